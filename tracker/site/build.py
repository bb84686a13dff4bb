"""`tracker site`: a self-contained static page for a newsroom, built from the same analysis the
report commands print — the headline, what changed, the records, monthly averages, claims against the
series, claimed against confirmed, the charts (SVG with a PNG fallback), a CSV of every table, and the
sources with their licences and date conventions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from tracker.errors import InvalidInput
from tracker.site.page import (
    SCRIPT,
    SCRIPT_FILE,
    STYLE,
    STYLE_FILE,
    Chart,
    Page,
    Section,
    Table,
    columns,
    external,
    render_page,
)

if TYPE_CHECKING:
    import pandas as pd
    from sqlalchemy import Engine

    from tracker.reports.options import ReportOptions

PAGE_FILE = "index.html"
MONTHS_SHOWN = 12  # the page shows the last year of months; the CSV carries them all
# What each chart shows, for its alt text (read aloud where the image is not seen).
CHART_ALT = {
    "daily": "Line chart of the daily increase in reported Russian personnel losses, with the record days labelled.",
    "cumulative": "Line chart of the cumulative total of reported Russian personnel losses, with claims of other "
    "sources marked.",
    "monthly": "Bar chart of the average daily losses per month.",
    "compare": "Chart of each claim of another source against the General Staff's series, as a difference.",
    "equipment": "Small multiples of weekly equipment losses by category.",
    "claimed-vs-confirmed": "Small multiples of the ratio of the General Staff's claimed equipment losses to Oryx's "
    "visually confirmed losses, per category.",
    "ukraine-claims": "Timelines of the figures different sources have claimed for Ukraine's military losses: "
    "killed, wounded, and killed or wounded, one panel each, a marker per source.",
}
# How a claim's kind reads in the claims table (tracker.claims.KINDS).
CLAIM_KINDS = {
    "cumulative": "total",
    "period_total": "period total",
    "daily_average": "daily average",
    "day": "single day",
    "peak_day": "peak day",
}
# The caption under each chart: what it shows and how its dates are counted.
_BY_REPORT = "dated by report (a report dated D covers mostly day D−1)"
CHART_CAPTION = {
    "daily": f"Russian personnel losses claimed each day by Ukraine's General Staff, {_BY_REPORT}; multi-day "
    "catch-ups and other flagged days are left out of the records labelled.",
    "cumulative": f"The General Staff's cumulative total of Russian personnel losses, {_BY_REPORT}, with the "
    "claims of other sources marked on the day they refer to.",
    "monthly": "The average daily losses of each month: the sum of the reports dated in the month divided by "
    "the days they cover.",
    "compare": "Each claim of another source against the General Staff's series, as a difference, each judged "
    "under its claimant's own date convention (UK Defence Intelligence dates by the day covered).",
    "equipment": f"Weekly equipment losses claimed by the General Staff, per category, {_BY_REPORT}; complete "
    "weeks only.",
    "claimed-vs-confirmed": "The General Staff's claimed equipment losses divided by Oryx's visually confirmed "
    "ones, per category; Oryx dates a loss when it is documented, so the ratio is against a floor.",
    "ukraine-claims": "What each source has claimed about Ukraine's own military losses, killed and wounded "
    "apart, dated by the day each figure is as of; no daily series exists to judge them by, so they stand "
    "beside each other.",
}
# The CSV on the page holding the figures each chart draws.
CHART_DATA = {
    "daily": "series-personnel.csv",
    "cumulative": "series-personnel.csv",
    "monthly": "monthly-averages.csv",
    "compare": "claims-vs-series.csv",
    "equipment": "equipment-weekly.csv",
    "claimed-vs-confirmed": "claimed-vs-confirmed.csv",
    "ukraine-claims": "claims-about-ukraine.csv",
}


@dataclass
class SiteResult:
    out_dir: Path
    page: Path
    files: list[Path] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (part, why)


def build_site(url: str, out_dir: Path | str, *, progress: Callable[[str], None] | None = None) -> SiteResult:
    """Write the page, its style, charts and CSVs into `out_dir` (created if missing; files of a
    previous build are replaced, nothing else there is touched). Parts the store cannot answer (no
    claims, no Oryx data) are left out and listed in `skipped` and on the page."""
    from tracker.reports.safe_write import ensure_folder, publish, scratch_folder, write_file
    from tracker.store.db import open_store

    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InvalidInput(f"--out-dir {out}: exists and is not a folder")
    ensure_folder(out, "--out-dir")
    say = progress or (lambda _msg: None)
    engine = open_store(url, write=False)
    result = SiteResult(out, out / PAGE_FILE)
    try:
        # Build in a scratch folder beside the target, then move the files in: a failed build
        # leaves the previous page whole.
        with scratch_folder(out, "site-build") as work:
            say("reading the series")
            page = _page(engine, url, work, result, say)
            say("writing the page")
            write_file(work / STYLE_FILE, STYLE)
            write_file(work / SCRIPT_FILE, SCRIPT)
            write_file(work / PAGE_FILE, render_page(page))
            result.files.extend(publish(sorted(work.iterdir()), out))
    finally:
        engine.dispose()
    return result


def _page(engine: Engine, url: str, work: Path, result: SiteResult, say: Callable[[str], None]) -> Page:
    from tracker.reports.options import load_series, report_options
    from tracker.reports.outputs import report_urls
    from tracker.store.source_registry import GENERAL_STAFF

    opts = report_options(
        metric="personnel",
        source=GENERAL_STAFF,
        by="report",
        format="json",
        include_flagged=False,
        db=url,
    )
    _full, daily = load_series(opts)
    latest = daily["report_date"].max().date()
    # Each report's official page, where a feed of the source names it: the figures link to it.
    urls = report_urls(opts)
    sections = [_headline(daily, urls)]
    parts: tuple[tuple[str, Callable[[], Section]], ...] = (
        ("what changed", lambda: _changes(engine)),
        ("records", lambda: _records(daily, urls, opts)),
        ("monthly averages", lambda: _monthly(daily)),
        ("claims", lambda: _claims(engine, url)),
        ("claimed against confirmed", lambda: _confirmed(engine)),
    )
    for name, make in parts:
        say(f"computing the {name}")
        try:
            sections.append(make())
        except InvalidInput as exc:
            result.skipped.append((name, str(exc)))
    say("drawing the charts")
    for section in sections:
        for table in section.tables:
            _write_csv(work, table)
    _write_series_csv(work, daily)
    sections.append(_charts(url, work, result, opts))
    sections.append(_sources(engine, result))
    for table in sections[-1].tables:
        _write_csv(work, table)
    return Page(
        title="Russian losses as claimed by Ukraine's General Staff, and what others say",
        subtitle=f"Latest report: {latest.isoformat()}. Every figure is a claim of its source, not a fact.",
        generated=_generated().isoformat(),
        sections=sections,
        banner=staleness_banner(engine, latest),
    )


def staleness_banner(engine: Engine, latest: dt.date, *, now: dt.datetime | None = None) -> str | None:
    """A warning when the page's figures are out of date — the judgement of `tracker status`: every
    daily feed of the General Staff stale (or, loaded only once from a file, a latest report older
    than the feeds' 36 hours) — with the date of the last successful run; None when they are fresh."""
    from tracker.store.queries import feed_status
    from tracker.store.source_registry import GENERAL_STAFF

    stale_hours = 36.0
    feeds = [r for r in feed_status(engine, now=now, stale_hours=stale_hours) if r["source"] == GENERAL_STAFF]
    if not feeds:
        return None
    judged = [r for r in feeds if r["judged"]]
    ages = [r["latest_report_age_hours"] for r in feeds if r["latest_report_age_hours"] is not None]
    age_days = min(ages) / 24 if ages else None
    if judged:
        stale = all(r["stale"] for r in judged)
    else:
        stale = age_days is not None and age_days * 24 > stale_hours
    if not stale:
        return None
    runs = sorted((r["last_success"], r["feed"]) for r in feeds if r["last_success"])
    if runs:
        moment = dt.datetime.fromisoformat(runs[-1][0]).astimezone(dt.UTC)
        last = f"the last successful run was {moment:%Y-%m-%d %H:%M} UTC (feed {runs[-1][1]})"
    else:
        last = "no run of the General Staff's feeds has succeeded"
    age = f", {_days(age_days)} old" if age_days is not None else ""
    how = (
        "The General Staff reports daily"
        if judged
        else "These figures were loaded once from a file, not by a daily feed"
    )
    return (
        f"Out of date: the latest report here is of {latest.isoformat()}{age}. {how}; {last}. Newer reports may exist."
    )


def _days(days: float) -> str:
    whole = int(days)
    return f"{whole:,} day{'s' if whole != 1 else ''}" if whole >= 1 else f"{days * 24:.0f} hours"


def _write_series_csv(work: Path, daily: pd.DataFrame) -> None:
    """The personnel series the daily and cumulative charts draw: each report, its increment and total."""
    from tracker.reports.render import render_csv
    from tracker.reports.safe_write import write_file

    keys = [k for k in ("report_date", "increment", "total", "span_days", "flags") if k in daily.columns]
    write_file(work / CHART_DATA["daily"], render_csv(daily[keys].pipe(_dicts), keys))


def _generated() -> dt.date:
    from tracker.charts.output import generated_date

    return generated_date()


def _headline(daily: pd.DataFrame, urls: dict[dt.date, str]) -> Section:
    from tracker.analysis import headline

    h = headline(daily, metric="personnel")
    day = dt.date.fromisoformat(str(h.numbers["report_date"])[:10])
    page = urls.get(day)
    links = [(page, f"The official page of the report of {day.isoformat()}")] if page else []
    return Section("headline", "The latest report", paragraphs=list(h.sentences), links=links)


def _changes(engine: Engine) -> Section:
    """What each feed's last successful run changed, with any new record or milestone first."""
    from tracker.reports.change_outputs import alert_lines
    from tracker.reports.changes import collect_changes
    from tracker.reports.window import parse_window

    found = collect_changes(engine, parse_window("last-run"))
    started = _run_starts(engine, [r["id"] for feed in found.feeds for r in feed.runs])
    rows = []
    for feed in found.feeds:
        # When the run happened, not the moment its figures are of (an Oryx snapshot is dated by
        # its fetch, perhaps months before it was loaded).
        last = max((started[r["id"]] for r in feed.runs if r["id"] in started), default=None)
        rows.append(
            {
                "feed": feed.feed,
                "source": feed.source,
                "observed_at": f"{last.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC" if last else None,
                "new_reports": len(feed.new_reports),
                "revisions": len(feed.revisions),
                "removals": len(feed.removals),
                "findings": len(feed.findings),
                "claims": len(feed.claims),
            }
        )
    revisions = [
        {"feed": feed.feed, **{k: r.get(k) for k in ("report_date", "metric", "side", "old_value", "value")}}
        for feed in found.feeds
        for r in feed.revisions
    ]
    tables = [
        Table(
            "changes-by-feed",
            "What each feed's last run changed",
            columns(
                ("feed", "Feed"),
                ("source", "Source"),
                ("observed_at", "Run"),
                ("new_reports", "New figures", True),
                ("revisions", "Revisions", True),
                ("removals", "Removals", True),
                ("findings", "New findings", True),
                ("claims", "Claims changed", True),
            ),
            rows,
        )
    ]
    if revisions:
        tables.append(
            Table(
                "changes-revisions",
                "Figures the last runs revised (old → new)",
                columns(
                    ("feed", "Feed"),
                    ("report_date", "Report"),
                    ("metric", "Metric"),
                    ("old_value", "Was", True),
                    ("value", "Now", True),
                ),
                revisions,
            )
        )
    alerts = alert_lines(found)
    return Section(
        "changes",
        "What changed in the last run",
        paragraphs=alerts or ["No new record and no milestone in the last run of each feed."],
        tables=tables,
    )


def _run_starts(engine: Engine, ids: list[int]) -> dict[int, dt.datetime]:
    """Each run's start (UTC), by id."""
    from sqlalchemy import select

    from tracker.store import models as m
    from tracker.store.db import as_utc

    if not ids:
        return {}
    run = m.ingest_run.c
    with engine.connect() as conn:
        starts = conn.execute(select(run.id, run.started_at).where(run.id.in_(ids))).all()
    return {i: when for i, t in starts if (when := as_utc(t)) is not None}


def _confirmed(engine: Engine) -> Section:
    """The General Staff's claimed equipment losses beside Oryx's visually confirmed ones, at the
    latest Oryx snapshot of each category."""
    from tracker.domain import METRICS
    from tracker.reports.claimed_confirmed import claimed_confirmed_frame
    from tracker.store.source_registry import ORYX

    rows = claimed_confirmed_frame(engine, ORYX).pipe(_dicts)
    for row in rows:
        row["category"] = METRICS[row["metric"]].label if row["metric"] in METRICS else row["metric"]
    return Section(
        "confirmed",
        "Claimed against visually confirmed equipment losses",
        paragraphs=[
            "Kyiv's cumulative equipment claims beside Oryx's count of losses with photo or video evidence "
            "(a floor, dated when documented), at Oryx's latest snapshot; the ratio is claimed ÷ confirmed."
        ],
        tables=[
            Table(
                "claimed-vs-confirmed",
                "Claimed (General Staff) against confirmed (Oryx)",
                columns(
                    ("category", "Category"),
                    ("date", "Oryx snapshot"),
                    ("claimed", "Claimed", True),
                    ("confirmed", "Confirmed", True),
                    ("ratio", "Ratio", True, 2),
                ),
                _rounded(rows, ("ratio",), places=2),
            )
        ],
    )


def _records(daily: pd.DataFrame, urls: dict[dt.date, str], opts: ReportOptions) -> Section:
    """The record progression and the top days, each report linked to its official page where known."""
    from tracker.analysis import default_streak_threshold, records
    from tracker.domain import METRICS
    from tracker.reports.outputs import with_urls

    rec = records(
        daily,
        top=10,
        streak_threshold=default_streak_threshold(daily),
        milestone_step=METRICS["personnel"].milestone_step,
        include_flagged=False,
        metric="personnel",
    )
    r = rec.results
    progression = with_urls(r["record_progression"].table.iloc[::-1], urls, opts)
    top_days = with_urls(r["top_days"].table, urls, opts)
    return Section(
        "records",
        "Records",
        paragraphs=[
            f"Counted {rec.counted_days:,} day{'s' if rec.counted_days != 1 else ''}; {len(rec.excluded):,} flagged "
            f"day{'s are' if len(rec.excluded) != 1 else ' is'} left out of the records "
            "(rounded early-2022 figures, catch-ups after missing reports, outliers, changes of category).",
        ],
        tables=[
            Table(
                "records-progression",
                "Each new deadliest day, latest first, with the record it beat",
                columns(
                    ("report_date", "Report", False, None, "source_url"),
                    ("increment", "Losses that day", True),
                    ("previous_date", "Previous record"),
                    ("previous_increment", "Previous", True),
                    ("margin", "Margin", True),
                ),
                progression.pipe(_dicts),
            ),
            Table(
                "records-top-days",
                "The ten deadliest days",
                columns(
                    ("rank", "Rank", True),
                    ("report_date", "Report", False, None, "source_url"),
                    ("increment", "Losses", True),
                    ("total", "Total then", True),
                ),
                top_days.pipe(_dicts),
            ),
        ],
    )


def _monthly(daily: pd.DataFrame) -> Section:
    from tracker.analysis.averages import period_table

    months = period_table(daily, "month")
    shown = months.tail(MONTHS_SHOWN).iloc[::-1]
    cols = columns(
        ("period", "Month"),
        ("total", "Total", True),
        ("days", "Days", True),
        ("daily_average", "Daily average", True),
        ("change_vs_previous_pct", "vs previous month", True),
        ("change_vs_year_ago_pct", "vs a year earlier", True),
        ("complete", "Complete"),
    )
    one_decimal = ("daily_average", "change_vs_previous_pct", "change_vs_year_ago_pct")
    table = Table(
        "monthly-averages",
        "Average daily losses per month (the last 12; the CSV has all)",
        cols,
        _rounded(shown.pipe(_dicts), one_decimal),
        csv_rows=_rounded(months.pipe(_dicts), one_decimal),
    )
    return Section(
        "monthly",
        "Monthly averages",
        paragraphs=["A month's total is the sum of the reports dated in it; its average divides by the days covered."],
        tables=[table],
    )


def _dicts(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A frame's rows as dicts keyed by column name."""
    return cast("list[dict[str, Any]]", frame.to_dict("records"))


def _rounded(rows: list[dict[str, Any]], keys: tuple[str, ...], places: int = 1) -> list[dict[str, Any]]:
    """Averages and percentages to one decimal (ratios to two), as a spreadsheet or Datawrapper
    wants them."""
    out = []
    for row in rows:
        row = dict(row)
        for k in keys:
            if isinstance(row.get(k), float) and row[k] == row[k]:
                row[k] = round(row[k], places)
        out.append(row)
    return out


def _claims(engine: Engine, url: str) -> Section:
    from tracker.analysis.compare import compare_claims
    from tracker.claims.queries import claims_frame
    from tracker.store.queries import observations_frame
    from tracker.store.source_registry import GENERAL_STAFF
    from tracker.store.sources import known_sources

    # Claims about Ukraine's losses have no daily series to be judged by: the chart sets them side by side.
    claims = claims_frame(engine, subject="russia")
    if claims.empty:
        raise InvalidInput("no claims in the store (tracker ingest claims)")
    series = observations_frame(engine, source=GENERAL_STAFF, metric="personnel")
    with engine.connect() as conn:
        sources = known_sources(conn)
    rows = compare_claims(claims, series, dates_by={k: s.dates_by for k, s in sources.items()}).pipe(_dicts)
    links = {c["id"]: c["url"] for c in claims.pipe(_dicts) if external(c.get("url"))}
    for row in rows:
        row["source_name"] = sources[row["source"]].name if row["source"] in sources else row["source"]
        row["kind_shown"] = CLAIM_KINDS.get(str(row["kind"]), row["kind"])
        row["definition_shown"] = str(row["definition"] or "").replace("_", " ")
        row["publication"] = "publication" if row["id"] in links else None
        row["url"] = links.get(row["id"])
        row["why"] = row.get("basis") if row["verdict"] == "not comparable" else None
    return Section(
        "claims",
        "Claims of other sources against the series",
        paragraphs=[
            "Each claim is compared with the General Staff's series under the claimant's own date convention "
            "(UK Defence Intelligence dates a figure by the day it covers; most others by the report). "
            "A daily average is compared with the series' daily average over the same period, a period total "
            "with the losses of that period, a total with the cumulative total."
        ],
        tables=[
            Table(
                "claims-vs-series",
                "Claims against the General Staff's series",
                columns(
                    ("source_name", "Source"),
                    ("published", "Published"),
                    ("period", "Period"),
                    ("kind_shown", "Kind"),
                    ("definition_shown", "Definition"),
                    ("figure", "Figure as published"),
                    ("series", "Kyiv's figure", True),
                    ("diff", "Difference", True),
                    ("verdict", "Verdict"),
                    ("convention", "Dated by"),
                    ("publication", "Link", False, None, "url"),
                    ("why", "Not comparable because"),
                ),
                [{**r, **{k: _figure(r.get(k)) for k in ("series", "diff")}} for r in rows],
                sortable=True,
            )
        ],
    )


def _figure(value: object) -> object:
    """A compared figure as people read it: a whole number without decimals, else one decimal."""
    if isinstance(value, float) and value == value:
        return int(value) if value.is_integer() else round(value, 1)
    return value


def _charts(url: str, work: Path, result: SiteResult, opts: ReportOptions) -> Section:
    from tracker.charts.build import STANDARD_SET, ChartRequest, build_set, file_name

    request = ChartRequest()
    drawn_set = build_set(request, work, url, fmt=("png", "svg"))
    drawn = {p.name for p in drawn_set.written}
    if file_name("equipment", request.metric, "png") in drawn:
        _write_equipment_csv(work, opts)
    if file_name("ukraine-claims", request.metric, "png") in drawn:
        _write_ukraine_claims_csv(work, url)
    charts = []
    for kind in STANDARD_SET:
        png_name, svg_name = file_name(kind, request.metric, "png"), file_name(kind, request.metric, "svg")
        if png_name in drawn:
            data = CHART_DATA.get(kind)
            charts.append(
                Chart(
                    png_name,
                    svg_name if svg_name in drawn else None,
                    CHART_ALT.get(kind, kind),
                    CHART_CAPTION.get(kind, kind.replace("-", " ").capitalize() + "."),
                    data if data is not None and (work / data).is_file() else None,
                )
            )
    result.skipped.extend((f"chart {kind}", why) for kind, why in drawn_set.skipped)
    return Section(
        "charts",
        "Charts",
        paragraphs=[
            "Each chart carries its source line. Under each: the PNG and SVG for publication and the CSV of its figures."
        ],
        charts=charts,
    )


def _write_equipment_csv(work: Path, opts: ReportOptions) -> None:
    """The weekly equipment figures the equipment chart draws, one row per category and week."""
    from dataclasses import replace

    from tracker.charts.equipment import weekly
    from tracker.domain import MAIN_EQUIPMENT
    from tracker.reports.options import load_series
    from tracker.reports.render import render_csv
    from tracker.reports.safe_write import write_file

    rows: list[dict[str, Any]] = []
    for metric in MAIN_EQUIPMENT:
        try:
            _full, series = load_series(replace(opts, metric=metric))
        except InvalidInput:
            continue
        for row in weekly(series).pipe(_dicts):
            rows.append({"metric": metric, **row})
    keys = ["metric", "period", "week_start", "total", "days", "complete"]
    write_file(work / CHART_DATA["equipment"], render_csv(rows, keys))


def _write_ukraine_claims_csv(work: Path, url: str) -> None:
    """The claims about Ukraine's losses the Ukrainian-losses chart draws, one row per claim."""
    from tracker.claims.queries import list_claims
    from tracker.reports.render import render_csv
    from tracker.reports.safe_write import write_file
    from tracker.store.db import open_store

    keys = ["key", "source", "source_name", "metric", "definition", "kind", "period", "qualifier", "low", "best"]
    keys += ["high", "figure", "published", "url", "note"]
    engine = open_store(url, write=False)
    try:
        rows = list_claims(engine, subject="ukraine")
    finally:
        engine.dispose()
    write_file(work / CHART_DATA["ukraine-claims"], render_csv(rows, keys))


def _sources(engine: Engine, result: SiteResult) -> Section:
    from tracker.store.sources import known_sources

    with engine.connect() as conn:
        sources = known_sources(conn)
    rows = [
        {"name": s.name, "key": s.key, "dates_by": s.dates_by, "licence": s.licence or "", "url": s.url or ""}
        for s in sources.values()
    ]
    items = [
        "A General Staff report dated D covers the 24 hours up to that morning, so mostly day D−1; tables here are "
        "by report date unless they say otherwise.",
        "Figures are cumulative totals as reported; nothing is altered. Doubtful days (rounded early-2022 figures, "
        "catch-ups, outliers) are flagged and left out of records, and every table says so.",
        "Oryx counts only losses with photo or video evidence and dates them when documented: a floor, not an "
        "estimate.",
    ]
    if result.skipped:
        items += [f"Not on this page: {part} — {why}" for part, why in result.skipped]
    return Section(
        "sources",
        "Sources and method",
        items=items,
        tables=[
            Table(
                "sources",
                "Sources, their date conventions and licences",
                columns(("name", "Source"), ("key", "Key"), ("dates_by", "Dates by"), ("licence", "Licence")),
                rows,
            )
        ],
        links=[(s["url"], s["name"]) for s in rows if s["url"]],
    )


def _write_csv(work: Path, table: Table) -> None:
    from tracker.reports.render import render_csv
    from tracker.reports.safe_write import write_file

    name = f"{table.name}.csv"
    rows = table.csv_rows if table.csv_rows is not None else table.rows
    keys = [c.key for c in table.columns]
    keys += [c.link for c in table.columns if c.link and c.link not in keys]  # the pages linked, as a column
    write_file(work / name, render_csv(rows, keys))
    table.csv_name = name
