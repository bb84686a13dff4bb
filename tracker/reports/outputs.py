"""The series reports (records, averages, headline, series) as text in the requested format.

Each `*_report` function is what a command prints: it reads the series the options ask for,
calls the pure analysis functions and renders the result; a repeated question is served from
the report cache. The `*_output` builders take an already loaded series, for notebooks.
`records_report` computes on plain rows (tracker.analysis.daily_rows, records_rows_output) rather than
DataFrames: the text without importing pandas, for the first query after new data (its pandas
twin, tests/records_reference.py, is the reference tests hold it to).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from tracker.reports.cache import served
from tracker.reports.options import (
    By,
    OutputFormat,
    ReportOptions,
    load_daily,
    load_daily_rows,
    load_series,
    refuse_documented,
    side_phrase,
    source_name,
)

if TYPE_CHECKING:
    import pandas as pd

    from tracker.analysis.daily_rows import DailyRows

    Daily = pd.DataFrame | DailyRows  # a daily series: a frame, or rows with the same attrs


# --- shared output helpers ------------------------------------------------------------------


# CSV is for spreadsheets and Datawrapper: averages and percentages to one decimal (JSON keeps
# full precision).
CSV_ROUNDED = (
    "daily_average",
    "previous_average",
    "year_ago_average",
    "change_vs_previous_pct",
    "change_vs_year_ago_pct",
    "rolling_average",
    "average_7d",
    "month.daily_average",
    "previous_month.daily_average",
    "highest_month.daily_average",
)


def _documented(daily: Daily) -> bool:
    return bool(daily.attrs.get("dates_by") == "documented")


def _convention(opts: ReportOptions, daily: Daily) -> str:
    """The date convention in words; a documented series says whose documenting dates it."""
    if _documented(daily):
        return (
            f"dated by when {source_name(opts.source)} documented each loss (its snapshot), not when the loss happened"
        )
    return str(opts.describe()["convention"])


def _report_dates(daily: Daily) -> list[Any]:
    """The report dates of the figures a report used (the series in view)."""
    from tracker.analysis.daily_rows import DailyRows

    if isinstance(daily, DailyRows):
        return [r["report_date"] for r in daily.rows]
    return [ts.date() for ts in daily["report_date"]]


def _feed_fields(daily: Daily) -> dict[str, Any]:
    """`feed` (the feed read), `feeds` (the source's feeds of the metric) and `feeds_agree` (whether
    the others agree on every report in view; null with one feed) for JSON."""
    check = daily.attrs.get("feedcheck")
    if check is None:
        return {"feed": daily.attrs.get("feed"), "feeds": None, "feeds_agree": None}
    return dict(check.fields(_report_dates(daily)))


def _disputes(daily: Daily) -> list[dict[str, Any]]:
    """The disputed report dates in view: the read feed's total, the others', the verdict."""
    check = daily.attrs.get("feedcheck")
    if check is None:
        return []
    dates = set(_report_dates(daily))
    return [
        {
            "report_date": day,
            "total": x.values[check.feed],
            "others": check.others(day),
            "class": x.cls,
            "verdict": x.verdict,
        }
        for day, x in sorted(check.disputed.items())
        if day in dates
    ]


def _mark_disputed(flags: Any) -> str:
    """A table's flags cell, with the disputed mark where the figure is disputed."""
    from tracker.analysis.daily_rows import DISPUTED
    from tracker.reports.feedcheck import DISPUTED_MARK

    text = "" if flags is None else str(flags)
    return f"{text} {DISPUTED_MARK}" if DISPUTED in text.split(";") else text


_MARKED = {"flags": _mark_disputed}


def _disputed_note(daily: Daily) -> list[str]:
    """The line explaining the disputed mark, when a figure in view is disputed."""
    from tracker.reports.feedcheck import DISPUTED_NOTE

    return [DISPUTED_NOTE] if _disputes(daily) else []


def _describe(opts: ReportOptions, daily: Daily) -> dict[str, Any]:
    """What was asked and what the series is, for JSON: its label follows its definition, and
    since/until are the days in view (resolved from --last); the feed read and whether the
    source's other feeds agree."""
    from tracker.analysis.daily_rows import CORRECTIONS
    from tracker.domain import label_for

    since, until = daily.attrs.get("window", (opts.since, opts.until))
    return {
        **opts.describe(),
        **_feed_fields(daily),
        "label": label_for(opts.metric, daily.attrs.get("definition")),
        "definition": daily.attrs.get("definition"),
        "dates_by": daily.attrs.get("dates_by"),
        "convention": _convention(opts, daily),
        "corrections": CORRECTIONS,
        "since": since,
        "until": until,
    }


def _header(opts: ReportOptions, title: str, daily: Daily) -> list[str]:
    """Two lines: what series (label by its definition, whose losses unless Russia's, source,
    days in view) and the date convention."""
    from tracker.domain import label_for

    since, until = daily.attrs.get("window", (opts.since, opts.until))
    scope = []
    if opts.last:
        scope.append(f"the last {opts.last}, {since} to {until}")
    elif since or until:
        scope.append(f"days {since or '…'} to {until or '…'}")
    if opts.as_of:
        scope.append(f"as known on {opts.as_of}")
    whose = side_phrase(opts.side)
    what = f"{label_for(opts.metric, daily.attrs.get('definition'))} ({opts.metric})" + (f", {whose}" if whose else "")
    by = "Documented" if _documented(daily) else f"By {opts.by}"
    check = daily.attrs.get("feedcheck")  # the feed is named where the source has several
    feed = check.feed if check is not None and len(check.feeds) > 1 else None
    return [
        f"{title}: {what}, source {opts.source}"
        + (f" (feed {feed})" if feed else "")
        + (f"; {', '.join(scope)}" if scope else ""),
        f"{by}: {_convention(opts, daily)}.",
    ]


def _one_decimal(data: Any) -> tuple[list[dict[str, Any]], list[str]]:
    """(rows, columns) for CSV with the averages of CSV_ROUNDED rounded to one decimal."""
    from tracker.reports.render import plain, rows_of

    cols, rows = rows_of(data)
    for row in rows:
        for c in CSV_ROUNDED:
            v = plain(row.get(c))
            if isinstance(v, float):
                row[c] = round(v, 1)
    return rows, cols


def _date_columns(opts: ReportOptions, *cols: str) -> list[str]:
    """Show the report date next to the date only when the two differ (by covered day)."""
    out = []
    for c in cols:
        out.append(c)
        if c == "date" and opts.by == By.covered.value:
            out.append("report_date")
    return out


def _emit(opts: ReportOptions, daily: Daily, *, table: str, payload: dict[str, Any], csv_rows: Any) -> str:
    """The output in the requested format: JSON carries the options, the series' definition and
    convention too; CSV is one table, averages to one decimal."""
    from tracker.reports.render import render_csv, render_json

    if opts.format == OutputFormat.json.value:
        return render_json({**_describe(opts, daily), **payload})
    if opts.format == OutputFormat.csv.value:
        return render_csv(*_one_decimal(csv_rows))
    return table


def _first_row(frame: pd.DataFrame) -> dict[str, Any] | None:
    from tracker.reports.render import rows_of

    rows = rows_of(frame)[1]
    return rows[0] if rows else None


def report_urls(opts: ReportOptions) -> dict[dt.date, str]:
    """The official page of each report date of the options' source that a feed names (its
    `source_url` note, tracker.store.queries.report_urls): what the builders link figures to."""
    from tracker.config import resolve_db_url
    from tracker.store.queries import report_urls as read_urls
    from tracker.store.reading import read_store

    return read_store(resolve_db_url(opts.db), lambda store: read_urls(store, source=opts.source))


def _day(value: Any) -> dt.date | None:
    """A row's report date as a date (a DataFrame gives a Timestamp; None for a missing one)."""
    if value is None or value != value:  # NaT and NaN are not equal to themselves
        return None
    day = value.date() if isinstance(value, dt.datetime) or hasattr(value, "to_pydatetime") else value
    return cast(dt.date, day)


def with_urls(table: Any, urls: Mapping[dt.date, str] | None, opts: ReportOptions) -> Any:
    """`table` (a DataFrame or a tracker.analysis.daily_rows Table of per-report rows) with a `source_url`
    column: the official page of each row's report date, None where unknown. Unchanged when
    `urls` is None (a builder called without the store's pages) or the rows carry no report date."""
    from tracker.analysis.daily_rows import Table

    if urls is None:
        return table
    columns = [str(c) for c in table.columns]
    key = "report_date" if "report_date" in columns else "date" if opts.by == By.report.value else None
    if key is None or "source_url" in columns:
        return table
    if isinstance(table, Table):
        rows = [{**row, "source_url": urls.get(_day(row.get(key)))} for row in table.rows]  # type: ignore[arg-type]
        return Table([*table.columns, "source_url"], rows)
    return table.assign(source_url=[urls.get(_day(v)) for v in table[key]])  # type: ignore[arg-type]


# --- builders: library results into text in the requested format ---------------------------


# The tables of `records`, by the name --table and JSON use.
RECORD_TABLES = (
    "deadliest_day",
    "record_progression",
    "top_days",
    "deadliest_7_days",
    "deadliest_month",
    "deadliest_year",
    "streaks",
    "milestones",
    "excluded",
    "excluded_summary",
    "excluded_months",
    "excluded_years",
)
DEFAULT_CSV_TABLE = "top_days"
ONE_ROW_TABLES = ("deadliest_day", "deadliest_7_days", "deadliest_month", "deadliest_year")


def records_rows_output(
    opts: ReportOptions,
    daily: DailyRows,
    *,
    top: int,
    streak_threshold: float | None,
    milestone_step: int | None,
    explain: bool = False,
    table: str | None = None,
    urls: Mapping[dt.date, str] | None = None,
) -> str:
    """The records of the daily rows (tracker.analysis.daily_rows) in the requested format, without
    pandas. The table is short: the days left out are counted by reason (`explain` lists every
    one, and the months and years left out with why); JSON holds everything; CSV is one table,
    `table` (top_days by default). Given `table`, every format shows that table alone. With `urls`
    (report date -> official page) each day's row carries its `source_url`. tests/records_reference.py
    computes the same text from DataFrames (tracker.analysis.record_frames), the reference it is held to."""
    from tracker.analysis.daily_rows import excluded_summary_rows, records_of

    refuse_documented(daily, "daily records")
    _check_record_table(table)
    rec, threshold, step = records_of(
        daily,
        metric=opts.metric,
        top=top,
        streak_threshold=streak_threshold,
        milestone_step=milestone_step,
        include_flagged=opts.include_flagged,
    )
    tables: dict[str, Any] = {name: rec.tables[name] for name in rec.notes}
    tables.update(
        excluded=rec.excluded,
        excluded_summary=excluded_summary_rows(rec.excluded),
        excluded_months=rec.tables["excluded_months"],
        excluded_years=rec.tables["excluded_years"],
    )
    shown = RecordsShown(rec.counted_days, _linked(tables, urls, opts), rec.notes, top, threshold, step)
    return _records_text(opts, daily, shown, explain=explain, table=table)


# The records' tables of single reports: their rows carry each report's official page.
DAY_TABLES = ("deadliest_day", "record_progression", "top_days", "milestones", "excluded")


def _linked(tables: dict[str, Any], urls: Mapping[dt.date, str] | None, opts: ReportOptions) -> dict[str, Any]:
    return {name: with_urls(t, urls, opts) if name in DAY_TABLES else t for name, t in tables.items()}


def _check_record_table(table: str | None) -> None:
    if table is not None and table not in RECORD_TABLES:
        raise ValueError(f"--table {table[:40]!r}: use one of {', '.join(RECORD_TABLES)}")


@dataclass(frozen=True)
class RecordsShown:
    """What `records` shows, however it was computed: the tables by name (DataFrames or
    tracker.analysis.daily_rows Tables, in RECORD_TABLES order), the records' notes, and the settings."""

    counted_days: int
    tables: dict[str, Any]
    notes: dict[str, str]
    top: int
    threshold: float
    step: int


def _records_text(opts: ReportOptions, daily: Daily, shown: RecordsShown, *, explain: bool, table: str | None) -> str:
    """The records in the requested format (see records_rows_output)."""
    from tracker.analysis.daily_rows import record_words
    from tracker.reports.render import render_table, rows_of

    words = record_words(opts.metric)
    tables, notes, top, threshold, step = shown.tables, shown.notes, shown.top, shown.threshold, shown.step
    excluded = tables["excluded"]
    payload = {
        "record_words": {"day": words.day, "days": words.days.format(n=7), "month": words.month, "year": words.year},
        "counted_days": shown.counted_days,
        "excluded_days": len(excluded),
        "top": top,
        "streak_threshold": threshold,
        "milestone_step": step,
        **tables,
        **{name: _first_row(tables[name]) for name in ONE_ROW_TABLES},
        "notes": notes,
        "disputed": _disputes(daily),
    }
    n_left = len(excluded)
    left_out = (
        f"left out {n_left:,} flagged day{'s' if n_left != 1 else ''}"
        f" ({'listed' if explain else 'counted by reason'} at the end; --include-flagged counts them)"
        if n_left
        else "left out no day" + (" (flagged days included)" if opts.include_flagged else "")
    )
    lines = _header(opts, "Records", daily)
    lines.append(f"Counted {shown.counted_days:,} days; {left_out}.")
    disputed = _disputes(daily)
    if disputed:
        lines.append(
            f"{len(disputed):,} disputed report{'s' if len(disputed) != 1 else ''} in view "
            f"({', '.join(str(d['report_date']) for d in disputed[:5])}{', ...' if len(disputed) > 5 else ''}): "
            + (
                "counted, as --include-flagged asks; flags mark them " + _disputed_note(daily)[0]
                if opts.include_flagged
                else "left out with the day after (its increment rests on it); --include-flagged counts them."
            )
        )
    blocks = ["\n".join(lines)]

    def block(title: str, name: str, cols: list[str]) -> None:
        blocks.append(render_table(tables[name], cols, title=f"{title} ({notes[name]})", formats=_MARKED))

    block(words.day, "deadliest_day", _date_columns(opts, "date", "increment", "total", "flags"))
    block(
        "Record progression",
        "record_progression",
        _date_columns(opts, "date", "increment", "previous_date", "previous_increment", "margin", "flags"),
    )
    block(f"Top {top} days", "top_days", ["rank"] + _date_columns(opts, "date", "increment", "total", "flags"))
    block(words.days.format(n=7), "deadliest_7_days", ["start", "end", "total", "daily_average"])
    block(words.month, "deadliest_month", ["period", "total", "days", "daily_average", "complete"])
    block(words.year, "deadliest_year", ["period", "total", "days", "daily_average", "complete"])
    block(
        f"Streaks of days at or above {threshold:,g}",
        "streaks",
        ["start", "end", "days", "total", "minimum", "current"],
    )
    block(
        f"Milestones (every {step:,})",
        "milestones",
        _date_columns(opts, "milestone", "date", "total", "increment", "flags"),
    )
    if n_left and explain:
        blocks.append(
            render_table(
                excluded,
                ["date", "increment", "flags", "reason"],
                title=f"Left out of the day records: {n_left:,} day{'' if n_left == 1 else 's'}",
            )
        )
    elif n_left:
        blocks.append(
            render_table(
                tables["excluded_summary"],
                ["reason", "days", "first", "last", "meaning"],
                title=f"Left out of the day records: {n_left:,} day{'' if n_left == 1 else 's'}, by reason",
                notes=["A day may have several reasons. --explain lists every day with its reasons."],
            )
        )
    periods = [*rows_of(tables["excluded_months"])[1], *rows_of(tables["excluded_years"])[1]]
    if periods and explain:
        blocks.append(
            render_table(
                periods,
                ["period", "total", "flagged_days", "reason"],
                title="Left out of the month and year records",
            )
        )
    elif periods:
        blocks.append(
            f"Left out of the month and year records (they hold flagged days; --explain says which): "
            f"{', '.join(str(p['period']) for p in periods)}."
        )
    if table is not None:
        text = "\n".join(lines) + "\n\n" + render_table(tables[table], title=table)
        return _emit(opts, daily, table=text, payload={"table": table, "rows": tables[table]}, csv_rows=tables[table])
    csv_table = tables[DEFAULT_CSV_TABLE]
    return _emit(opts, daily, table="\n\n".join(blocks), payload=payload, csv_rows=csv_table)


def averages_output(
    opts: ReportOptions,
    daily: pd.DataFrame,
    *,
    period: str,
    rolling: int | None,
    context: pd.DataFrame | None = None,
) -> str:
    """Period averages, or rolling averages, in the requested format.

    `context` is the whole series when `daily` is cut to --since/--until: earlier periods for
    the changes, earlier days for the first rolling windows. A series dated by documentation
    (Oryx) has weekly, monthly, yearly and overall totals of what was documented, no daily ones."""
    from tracker.analysis.averages import averages_table
    from tracker.reports.render import render_table

    if rolling or period == "day":
        refuse_documented(daily, "daily increments")
    lines = _header(opts, "Averages", daily)
    table = averages_table(daily, period=period, rolling=rolling, context=context)
    if rolling:
        lines.append(
            f"{rolling}-day rolling average for each day: the increments dated in the "
            f"{rolling} days ending on it, over the days they cover. Flagged days are "
            "counted (flagged_days says how many are in each window)."
        )
        cols = ["date", "increment", "rolling_total", "rolling_days", "rolling_average", "flagged_days"]
        payload: dict[str, Any] = {"rolling": rolling, "rows": table}
    else:
        if _documented(daily):
            lines.append(
                f"Per {period}: losses documented in the {period} (total = difference of the snapshots' "
                f"cumulative totals), not losses that happened in it; daily_average spreads them over "
                "the days between snapshots."
            )
        else:
            lines.append(
                f"Per {period}: total = difference of the bounding cumulative totals less "
                "documented corrections; flagged days are counted (flagged_days says how "
                "many); changes compare daily averages."
            )
        cols = [
            "period",
            "days",
            "total",
            "daily_average",
            "flagged_days",
            "complete",
            "change_vs_previous_pct",
            "change_vs_year_ago_pct",
        ]
        if _documented(daily):
            cols.remove("flagged_days")  # the daily rules do not apply to documented dates
        payload = {"period": period, "rows": table}
    text = "\n".join(lines) + "\n\n" + render_table(table, cols)
    return _emit(opts, daily, table=text, payload=payload, csv_rows=table)


def _flatten(prefix: str, value: Any, out: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _flatten(f"{prefix}.{k}" if prefix else str(k), v, out)
    elif isinstance(value, list):
        out[prefix] = ";".join(str(v) for v in value)
    else:
        out[prefix] = value


def headline_output(opts: ReportOptions, daily: pd.DataFrame, *, urls: Mapping[dt.date, str] | None = None) -> str:
    """The headline of the last report in view; with `urls` (report date -> official page), its
    numbers carry the `source_url` of the day's report and of the previous record's."""
    from tracker.analysis import headline
    from tracker.reports.render import render_lines

    refuse_documented(daily, "a day's figure and its records")
    h = headline(daily, metric=opts.metric, include_flagged=opts.include_flagged)
    latest = _report_dates(daily)[-1] if len(daily) else None
    disputed = [d for d in _disputes(daily) if d["report_date"] == latest]
    others = disputed[0]["others"] if disputed else None
    sentences = list(h.sentences)
    if disputed:
        feeds = ", ".join(f"{feed} {value:,}" for feed, value in (others or {}).items())
        sentences.append(
            f"Disputed: the source's other feeds give another total for this report ({feeds}); "
            "`tracker reconcile` shows each feed's value and why."
        )
    lines = list(sentences)
    if urls is not None:
        for part in (h.numbers, h.numbers.get("previous_record")):
            if isinstance(part, dict) and part.get("report_date"):
                part["source_url"] = urls.get(dt.date.fromisoformat(str(part["report_date"])[:10]))
        if h.numbers.get("source_url"):
            lines.append(f"Official page of the report: {h.numbers['source_url']}")
    flat: dict[str, Any] = {"disputed": bool(disputed)}
    _flatten("", h.numbers, flat)
    text = "\n".join(_header(opts, "Headline", daily)[:1]) + "\n\n" + render_lines(lines)
    payload = {"sentences": sentences, "numbers": h.numbers, "disputed": bool(disputed), "others": others}
    return _emit(opts, daily, table=text, payload=payload, csv_rows=[flat])


def series_output(
    opts: ReportOptions,
    daily: pd.DataFrame,
    *,
    above: float | None = None,
    below: float | None = None,
    urls: Mapping[dt.date, str] | None = None,
) -> str:
    """The daily series with flags; with `above`/`below`, only the days whose increment is
    strictly above / below (both: between), and a line counting them. A series dated by
    documentation lists its totals per snapshot. With `urls` (report date -> official page) each
    report's row carries its `source_url` in JSON and CSV."""
    from tracker.reports.render import render_table

    if not _documented(daily):
        daily = with_urls(daily, urls, opts)

    lines = _header(opts, "Daily series" if not _documented(daily) else "Totals per snapshot", daily)
    if above is not None or below is not None:
        refuse_documented(daily, "daily increments")
        if above is not None and below is not None and above >= below:
            raise ValueError(f"--above {above:,g} and --below {below:,g}: no figure is both")
        rows = daily
        if above is not None:
            rows = rows.loc[rows["increment"] > above]
        if below is not None:
            rows = rows.loc[rows["increment"] < below]
        rows = rows.reset_index(drop=True)
        cond = " and ".join(
            f"{word} {limit:,g}" for word, limit in (("above", above), ("below", below)) if limit is not None
        )
        counted = int(daily["increment"].notna().sum())
        span = f"dated {daily['date'].min().date()} to {daily['date'].max().date()}"
        lines.append(
            f"{len(rows):,} day{'s' if len(rows) != 1 else ''} {cond}, of {counted:,} days with an increment "
            f"{span} (every report counted, flagged or not: see flags)."
        )
        payload: dict[str, Any] = {"above": above, "below": below, "count": len(rows), "of": counted, "rows": rows}
        data = rows
    elif _documented(daily):
        lines.append(
            f"{len(daily):,} snapshots: the cumulative total {source_name(opts.source)} had documented by each. "
            "A change between snapshots is when losses were documented, not when they happened."
        )
        payload, data = {"rows": daily[["date", "total", "flags", "flag_reasons"]]}, daily[["date", "total", "flags"]]
        text = "\n".join(lines) + "\n\n" + render_table(data, ["date", "total", "flags"])
        return _emit(opts, daily, table=text, payload=payload, csv_rows=payload["rows"])
    else:
        lines.append(
            f"{len(daily):,} reports, {int(daily['doubtful'].sum()):,} doubtful "
            "(left out of records by default). increment = difference of totals less "
            "documented corrections; span_days > 1 means missing reports before it."
        )
        payload, data = {"rows": daily}, daily
    data, payload["rows"] = _with_disputes(daily, data), _with_disputes(daily, payload["rows"], others=True)
    cols = _date_columns(opts, "date", "total", "increment", "span_days", "flags")
    text = "\n".join(lines + _disputed_note(daily)) + "\n\n" + render_table(data, cols, formats=_MARKED)
    return _emit(opts, daily, table=text, payload=payload, csv_rows=data)


def _with_disputes(daily: pd.DataFrame, rows: pd.DataFrame, *, others: bool = False) -> pd.DataFrame:
    """The rows with a `disputed` column (the report's total is disputed) and, with `others`, the
    other feeds' totals of each disputed report (null elsewhere)."""
    check = daily.attrs.get("feedcheck")
    rows = rows.copy()
    days = [ts.date() for ts in rows["report_date"]]
    disputed = check.disputed if check is not None else {}
    rows["disputed"] = [d in disputed for d in days]
    if others:
        rows["others"] = [check.others(d) if check is not None and d in disputed else None for d in days]
    if "source_url" in rows.columns:  # the official page stays the last column, as in every export
        rows = rows[[c for c in rows.columns if c != "source_url"] + ["source_url"]]
    return rows


# --- what the commands print ----------------------------------------------------------------


def records_report(
    opts: ReportOptions,
    *,
    top: int = 10,
    streak_threshold: float | None = None,
    milestone_step: int | None = None,
    explain: bool = False,
    table: str | None = None,
) -> str:
    """Deadliest day and its progression, top days, deadliest 7 days, month and year, streaks
    and milestones, with what was left out and why."""
    extra = {
        "top": top,
        "streak_threshold": streak_threshold,
        "milestone_step": milestone_step,
        "explain": explain,
        "table": table,
    }
    return served(
        "records",
        opts,
        extra,
        lambda: records_rows_output(
            opts,
            load_daily_rows(opts),
            top=top,
            streak_threshold=streak_threshold,
            milestone_step=milestone_step,
            explain=explain,
            table=table,
            urls=report_urls(opts),
        ),
    )


def morning_reports(db: str | None) -> dict[str, Callable[[], str]]:
    """The reports a newsroom reads each morning, as `tracker daily` warms the cache for them:
    `records`, `headline` and `averages --period month`, every other option at its default (the
    same defaults as the commands'), by command line."""
    from tracker.reports.options import DEFAULT_METRIC, DEFAULT_SOURCE, NO_FILTERS, report_options

    opts = report_options(
        metric=DEFAULT_METRIC,
        source=DEFAULT_SOURCE,
        by=By.report,
        format=OutputFormat.table,
        include_flagged=False,
        db=db,
        filters=NO_FILTERS,
    )
    return {
        "records": lambda: records_report(opts),
        "headline": lambda: headline_report(opts),
        "averages --period month": lambda: averages_report(opts, period="month"),
    }


def averages_report(opts: ReportOptions, *, period: str = "month", rolling: int | None = None) -> str:
    """Totals and daily averages per period (or an N-day rolling average), with changes."""

    def produce() -> str:
        whole, cut = load_series(opts)
        return averages_output(opts, cut, period=period, rolling=rolling, context=whole)

    return served("averages", opts, {"period": period, "rolling": rolling}, produce)


def headline_report(opts: ReportOptions) -> str:
    """The latest report in view as news-ready sentences (and numbers in JSON)."""
    return served("headline", opts, {}, lambda: headline_output(opts, load_daily(opts), urls=report_urls(opts)))


def series_report(opts: ReportOptions, *, above: float | None = None, below: float | None = None) -> str:
    """The derived daily series: total, increment, span and flags for every report (or only the
    days above / below a figure)."""
    return served(
        "series",
        opts,
        {"above": above, "below": below},
        lambda: series_output(opts, load_daily(opts), above=above, below=below, urls=report_urls(opts)),
    )


def notes_output(
    rows: list[dict[str, Any]],
    fmt: str,
    *,
    source: str,
    since: Any = None,
    until: Any = None,
    latest: Any = None,
) -> str:
    """The "greatest losses direction" notes: a table for people, JSON or CSV (one table)."""
    from tracker.reports.render import render_csv, render_json, render_table

    if fmt == OutputFormat.json.value:
        return render_json({"source": source, "since": since, "until": until, "count": len(rows), "rows": rows})
    if fmt == OutputFormat.csv.value:
        return render_csv(rows, ["report_date", "direction", "revision", "first_seen_at", "feed"])
    scope = f", days {since or '…'} to {until or '…'}" if since or until else ""
    if latest is None:
        head = f"Greatest losses direction: no note from {source} in the store (`tracker ingest dataset` stores them)."
    else:
        head = (
            f"Greatest losses direction, as named in the reports of {source}{scope}: "
            f"{len(rows):,} note{'s' if len(rows) != 1 else ''} (the latest stored is dated {latest})."
        )
    if latest is None:
        return head
    return head + "\n\n" + render_table(rows, ["report_date", "direction", "revision"])
