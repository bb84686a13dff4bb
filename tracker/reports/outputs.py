"""The series reports (records, averages, headline, series) as text in the requested format.

Each `*_report` function is what a command prints: it reads the series the options ask for,
calls the pure analysis functions and renders the result; a repeated question is served from
the report cache. The `*_output` builders take an already loaded series, for notebooks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tracker.reports.cache import served
from tracker.reports.options import By, OutputFormat, ReportOptions, load_daily, load_series

if TYPE_CHECKING:
    import pandas as pd


# --- shared output helpers ------------------------------------------------------------------


def _header(opts: ReportOptions, title: str) -> list[str]:
    scope = []
    if opts.since or opts.until:
        scope.append(f"days {opts.since or '…'} to {opts.until or '…'}")
    if opts.as_of:
        scope.append(f"as known on {opts.as_of}")
    lines = [
        f"{title}: {opts.label} ({opts.metric}), source {opts.source}" + (f"; {', '.join(scope)}" if scope else ""),
        f"By {opts.by}: {opts.describe()['convention']}.",
    ]
    return lines


def _date_columns(opts: ReportOptions, *cols: str) -> list[str]:
    """Show the report date next to the date only when the two differ (by covered day)."""
    out = []
    for c in cols:
        out.append(c)
        if c == "date" and opts.by == By.covered.value:
            out.append("report_date")
    return out


def _long_csv(sections: list[tuple[str, Any]]) -> list[dict[str, Any]]:
    """Several tables as one: a `section` column, then the union of their columns."""
    from tracker.render import rows_of

    rows: list[dict[str, Any]] = []
    for name, data in sections:
        _, section_rows = rows_of(data)
        rows.extend({"section": name, **r} for r in section_rows)
    return rows


def _emit(opts: ReportOptions, *, table: str, payload: dict[str, Any], csv_rows: Any) -> str:
    """The output in the requested format (JSON carries the options and convention too)."""
    from tracker.render import render_csv, render_json

    if opts.format == OutputFormat.json.value:
        return render_json({**opts.describe(), **payload})
    if opts.format == OutputFormat.csv.value:
        return render_csv(csv_rows)
    return table


def _first_row(frame: pd.DataFrame) -> dict[str, Any] | None:
    from tracker.render import rows_of

    rows = rows_of(frame)[1]
    return rows[0] if rows else None


# --- builders: library results into text in the requested format ---------------------------


def records_output(
    opts: ReportOptions, daily: pd.DataFrame, *, top: int, streak_threshold: float | None, milestone_step: int | None
) -> str:
    """The records of the daily series in the requested format."""
    from tracker.analysis import default_streak_threshold, records
    from tracker.metrics import METRICS
    from tracker.render import render_table

    threshold = (
        streak_threshold
        if streak_threshold is not None
        else default_streak_threshold(daily, include_flagged=opts.include_flagged)
    )
    step = milestone_step or METRICS[opts.metric].milestone_step
    rec = records(
        daily,
        top=top,
        streak_threshold=threshold,
        milestone_step=step,
        include_flagged=opts.include_flagged,
        metric=opts.metric,
    )
    r = rec.results
    month_x, year_x = r["deadliest_month"].excluded, r["deadliest_year"].excluded
    payload = {
        "counted_days": rec.counted_days,
        "excluded_days": len(rec.excluded),
        "top": top,
        "streak_threshold": threshold,
        "milestone_step": step,
        "deadliest_day": _first_row(r["deadliest_day"].table),
        "record_progression": r["record_progression"].table,
        "top_days": r["top_days"].table,
        "deadliest_7_days": _first_row(r["deadliest_7_days"].table),
        "deadliest_month": _first_row(r["deadliest_month"].table),
        "deadliest_year": _first_row(r["deadliest_year"].table),
        "streaks": r["streaks"].table,
        "milestones": r["milestones"].table,
        "excluded": rec.excluded,
        "excluded_months": month_x,
        "excluded_years": year_x,
        "notes": {name: res.note for name, res in r.items()},
    }
    left_out = (
        f"left out {len(rec.excluded):,} flagged day{'s' if len(rec.excluded) != 1 else ''}"
        " (listed at the end; --include-flagged counts them)"
        if len(rec.excluded)
        else "left out no day" + (" (flagged days included)" if opts.include_flagged else "")
    )
    lines = _header(opts, "Records")
    lines.append(f"Counted {rec.counted_days:,} days; {left_out}.")
    blocks = ["\n".join(lines)]

    def block(title: str, name: str, cols: list[str], data: pd.DataFrame | None = None) -> None:
        res = r[name]
        blocks.append(render_table(res.table if data is None else data, cols, title=f"{title} ({res.note})"))

    block("Deadliest day", "deadliest_day", _date_columns(opts, "date", "increment", "total", "flags"))
    block(
        "Record progression",
        "record_progression",
        _date_columns(opts, "date", "increment", "previous_date", "previous_increment", "margin", "flags"),
    )
    block(f"Top {top} days", "top_days", ["rank"] + _date_columns(opts, "date", "increment", "total", "flags"))
    block("Deadliest 7 days", "deadliest_7_days", ["start", "end", "total", "daily_average"])
    block("Deadliest month", "deadliest_month", ["period", "total", "days", "daily_average", "complete"])
    block("Deadliest year", "deadliest_year", ["period", "total", "days", "daily_average", "complete"])
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
    if len(rec.excluded):
        blocks.append(
            render_table(
                rec.excluded,
                ["date", "increment", "flags", "reason"],
                title=f"Left out of the day records: {len(rec.excluded):,} days",
            )
        )
    periods_left = list(month_x["period"]) + list(year_x["period"])
    if periods_left:
        blocks.append(
            render_table(
                [*month_x.to_dict("records"), *year_x.to_dict("records")],
                ["period", "total", "flagged_days", "reason"],
                title="Left out of the month and year records",
            )
        )
    csv_rows = _long_csv(
        [
            ("deadliest_day", r["deadliest_day"].table),
            ("record_progression", r["record_progression"].table),
            ("top_days", r["top_days"].table),
            ("deadliest_7_days", r["deadliest_7_days"].table),
            ("deadliest_month", r["deadliest_month"].table),
            ("deadliest_year", r["deadliest_year"].table),
            ("streaks", r["streaks"].table),
            ("milestones", r["milestones"].table),
            ("excluded", rec.excluded),
            ("excluded_months", month_x),
            ("excluded_years", year_x),
        ]
    )
    return _emit(opts, table="\n\n".join(blocks), payload=payload, csv_rows=csv_rows)


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
    the changes, earlier days for the first rolling windows."""
    from tracker.analysis import period_table, rolling_average
    from tracker.render import render_table

    lines = _header(opts, "Averages")
    if rolling:
        table = rolling_average(daily if context is None else context, rolling)
        table = table.loc[table["date"].isin(daily["date"])].reset_index(drop=True)
        lines.append(
            f"{rolling}-day rolling average for each day: the increments dated in the "
            f"{rolling} days ending on it, over the days they cover. Flagged days are "
            "counted (flagged_days says how many are in each window)."
        )
        cols = ["date", "increment", "rolling_total", "rolling_days", "rolling_average", "flagged_days"]
        payload = {"rolling": rolling, "rows": table}
    else:
        table = period_table(daily, period, context=None if period == "all" else context)
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
        payload = {"period": period, "rows": table}
    text = "\n".join(lines) + "\n\n" + render_table(table, cols)
    return _emit(opts, table=text, payload=payload, csv_rows=table)


def _flatten(prefix: str, value: Any, out: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _flatten(f"{prefix}.{k}" if prefix else str(k), v, out)
    elif isinstance(value, list):
        out[prefix] = ";".join(str(v) for v in value)
    else:
        out[prefix] = value


def headline_output(opts: ReportOptions, daily: pd.DataFrame) -> str:
    """The headline of the last report in view."""
    from tracker.analysis import headline
    from tracker.render import render_lines

    h = headline(daily, metric=opts.metric, include_flagged=opts.include_flagged)
    flat: dict[str, Any] = {}
    _flatten("", h.numbers, flat)
    text = "\n".join(_header(opts, "Headline")[:1]) + "\n\n" + render_lines(h.sentences)
    return _emit(opts, table=text, payload={"sentences": h.sentences, "numbers": h.numbers}, csv_rows=[flat])


def series_output(opts: ReportOptions, daily: pd.DataFrame) -> str:
    """The daily series with flags."""
    from tracker.render import render_table

    lines = _header(opts, "Daily series")
    lines.append(
        f"{len(daily):,} reports, {int(daily['doubtful'].sum()):,} doubtful "
        "(left out of records by default). increment = difference of totals less "
        "documented corrections; span_days > 1 means missing reports before it."
    )
    cols = _date_columns(opts, "date", "total", "increment", "span_days", "flags")
    text = "\n".join(lines) + "\n\n" + render_table(daily, cols)
    return _emit(opts, table=text, payload={"rows": daily}, csv_rows=daily)


# --- what the commands print ----------------------------------------------------------------


def records_report(
    opts: ReportOptions, *, top: int = 10, streak_threshold: float | None = None, milestone_step: int | None = None
) -> str:
    """Deadliest day and its progression, top days, deadliest 7 days, month and year, streaks
    and milestones, with what was left out and why."""
    extra = {"top": top, "streak_threshold": streak_threshold, "milestone_step": milestone_step}
    return served(
        "records",
        opts,
        extra,
        lambda: records_output(
            opts, load_daily(opts), top=top, streak_threshold=streak_threshold, milestone_step=milestone_step
        ),
    )


def averages_report(opts: ReportOptions, *, period: str = "month", rolling: int | None = None) -> str:
    """Totals and daily averages per period (or an N-day rolling average), with changes."""

    def produce() -> str:
        whole, cut = load_series(opts)
        return averages_output(opts, cut, period=period, rolling=rolling, context=whole)

    return served("averages", opts, {"period": period, "rolling": rolling}, produce)


def headline_report(opts: ReportOptions) -> str:
    """The latest report in view as news-ready sentences (and numbers in JSON)."""
    return served("headline", opts, {}, lambda: headline_output(opts, load_daily(opts)))


def series_report(opts: ReportOptions) -> str:
    """The derived daily series: total, increment, span and flags for every report."""
    return served("series", opts, {}, lambda: series_output(opts, load_daily(opts)))
