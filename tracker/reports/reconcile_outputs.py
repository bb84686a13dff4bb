"""`tracker reconcile`: where the feeds (transcriptions) of one source disagree, each feed's value,
the arbiter's class and verdict (tracker.analysis.reconcile), and a summary per metric.

Reads the store (tracker.store.transcriptions) once: every feed's totals of the source, and the
official page of each report date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from tracker.errors import InvalidInput


@dataclass(frozen=True)
class ReconcileOptions:
    """The options of `tracker reconcile`, validated."""

    source: str
    metric: str | None
    since: dt.date | None
    until: dt.date | None
    as_of: dt.date | None
    all_dates: bool
    format: str
    db: str | None
    side: str = "russia"


def reconcile_options(
    *,
    source: str,
    metric: str | None,
    since: str | None,
    until: str | None,
    as_of: str | None,
    all_dates: bool,
    format: str,
    db: str | None,
) -> ReconcileOptions:
    """Validate the options: a known metric, real dates, since not after until, no future --as-of."""
    from tracker.domain import resolve
    from tracker.reports.options import OutputFormat, parse_window

    canonical = None
    if metric is not None:
        try:
            canonical = resolve(metric).name
        except KeyError as exc:
            raise InvalidInput(str(exc.args[0])) from None
    start, end, when = parse_window(since, until, as_of)
    return ReconcileOptions(source, canonical, start, end, when, all_dates, OutputFormat(format).value, db)


def read_reconciliation(opts: ReconcileOptions) -> Any:
    """The source's feeds reconciled as the options ask (tracker.analysis.reconcile.Reconciliation).
    An unknown source, or one with no data, is a usage error naming the sources there are."""
    from tracker.analysis.reconcile import reconcile
    from tracker.config import resolve_db_url
    from tracker.store.reading import fetch, read_store
    from tracker.store.transcriptions import Totals, feed_totals, official_pages, source_feeds

    def read(store: Any) -> tuple[list[str], Totals, dict[dt.date, str]]:
        from tracker.store.queries import _connection

        conn = _connection(store)
        try:
            feeds = [name for _, name in source_feeds(conn, opts.source)]
            if not feeds:
                known = [r[0] for r in fetch(conn, 'SELECT DISTINCT source."key" FROM source JOIN feed '
                                             "ON feed.source_id = source.id ORDER BY 1", {})]  # fmt: skip
                raise InvalidInput(
                    f"no data for source {opts.source[:60]!r} in the store; sources: {', '.join(known) or 'none yet'}"
                )
            totals = feed_totals(
                conn,
                opts.source,
                metrics=[opts.metric] if opts.metric else None,
                side=opts.side,
                as_of=opts.as_of,
            )
            pages = official_pages(conn, opts.source, as_of=opts.as_of)
        finally:
            if conn is not store:
                conn.close()
        return feeds, totals, pages

    feeds, totals, pages = read_store(resolve_db_url(opts.db), read)
    found = reconcile(totals, pages=pages, since=opts.since, until=opts.until)
    found.feeds = sorted(set(found.feeds) | set(feeds))
    return found


def reconcile_report(opts: ReconcileOptions) -> str:
    """What `tracker reconcile` prints."""
    return reconcile_output(opts, read_reconciliation(opts))


def _summary_line(row: dict[str, Any]) -> str:
    return (
        f"{row['metric']}: {row['agree']:,} agree, {row['disagree']:,} disagree, "
        f"{row['one_sided']:,} one-sided (of {row['feeds']} feed{'s' if row['feeds'] != 1 else ''})"
    )


def reconcile_output(opts: ReconcileOptions, found: Any) -> str:
    """The reconciliation in the requested format: a table for people (date, metric, each feed's
    value, class, verdict, stated increase; a summary line per metric; with --all the one-sided
    dates), JSON with everything, or CSV of the disagreements (with --all, the one-sided dates)."""
    from tracker.reports.render import render_csv, render_json, render_table

    feeds = list(found.feeds)
    rows = [d.as_row(feeds) for d in found.disagreements]
    one_sided = [
        {
            "report_date": o.report_date,
            "metric": o.metric,
            "has": ", ".join(o.has),
            "lacks": ", ".join(o.lacks),
            "within": o.within,
        }
        for o in found.one_sided
    ]
    if opts.format == "json":
        payload: dict[str, Any] = {
            "source": opts.source,
            "metric": opts.metric,
            "since": opts.since,
            "until": opts.until,
            "as_of": opts.as_of,
            "feeds": feeds,
            "summary": found.summary,
            "disagreements": [
                {
                    "report_date": d.report_date,
                    "metric": d.metric,
                    "values": d.values,
                    "class": d.cls,
                    "classes": d.classes,
                    "verdict": d.verdict,
                    "backed": list(d.backed),
                    "arbiter": d.arbiter,
                    "stated_increase": d.stated_increase,
                    "source_url": d.source_url,
                }
                for d in found.disagreements
            ],
            "one_sided_count": len(one_sided),
        }
        if opts.all_dates:
            payload["one_sided"] = one_sided
        return render_json(payload)
    if opts.format == "csv":
        if opts.all_dates:
            return render_csv(one_sided, ["report_date", "metric", "has", "lacks", "within"])
        return render_csv(
            rows, ["report_date", "metric", *feeds, "class", "verdict", "stated_increase", "arbiter", "source_url"]
        )
    scope = []
    if opts.since or opts.until:
        scope.append(f"days {opts.since or '…'} to {opts.until or '…'}")
    if opts.as_of:
        scope.append(f"as known on {opts.as_of}")
    head = [
        f"Reconcile: the feeds of {opts.source} ({', '.join(feeds)})"
        + (f", {opts.metric}" if opts.metric else "")
        + (f"; {', '.join(scope)}" if scope else ""),
    ]
    if len(feeds) < 2:
        head.append(f"{opts.source} has one feed in the store: nothing to compare.")
    shown = [r for r in found.summary if r["disagree"] or r["one_sided"] or (opts.metric and r["feeds"] > 1)]
    head += [_summary_line(r) for r in shown]
    rest = [r for r in found.summary if r not in shown]
    groups = (
        ("Held by one feed only", [r["metric"] for r in rest if r["feeds"] < 2]),
        ("No report in view", [r["metric"] for r in rest if r["feeds"] > 1 and not r["agree"]]),
        ("Every feed agrees on every date of", [r["metric"] for r in rest if r["feeds"] > 1 and r["agree"]]),
    )
    head += [f"{title}: {', '.join(metrics)}." for title, metrics in groups if metrics]
    blocks = ["\n".join(head)]
    blocks.append(
        render_table(
            rows,
            ["report_date", "metric", *feeds, "class", "verdict", "stated_increase"],
            title=f"Disagreements: {len(rows):,}",
            notes=[
                "class: what the value not backed looks like (stale_copy, transposed, shifted, decrease, other); "
                "verdict: the feed whose value fits its neighbouring totals and the increase the official page "
                "states, or undecided. --format json gives the arbiter's reasons and the page."
            ],
        )
    )
    if opts.all_dates:
        blocks.append(
            render_table(
                one_sided,
                ["report_date", "metric", "has", "lacks", "within"],
                title=f"One-sided dates: {len(one_sided):,} (within: inside every lacking feed's span)",
            )
        )
    elif one_sided:
        blocks.append(
            f"{len(one_sided):,} one-sided dates (a feed has the report, another lacks it): --all lists them."
        )
    return "\n\n".join(blocks)


# How many new disagreements the daily digest names one by one; the rest are counted.
DIGEST_NAMED = 5


def store_disagreements(url: str) -> dict[tuple[Any, ...], Any]:
    """Every current disagreement of every source with two feeds or more in the store at `url`,
    by (source, metric, report date, each feed's value): what `tracker daily` compares before and
    after its ingest steps. A store with no source of several feeds costs one query."""
    from tracker.analysis.reconcile import reconcile
    from tracker.store.reading import fetch, read_store
    from tracker.store.transcriptions import feed_totals, official_pages

    def read(store: Any) -> dict[tuple[Any, ...], Any]:
        from tracker.store.queries import _connection

        conn = _connection(store)
        try:
            sources = [
                str(r[0])
                for r in fetch(
                    conn,
                    'SELECT source."key" FROM source JOIN feed ON feed.source_id = source.id '
                    'GROUP BY source."key" HAVING count(feed.id) > 1 ORDER BY 1',
                    {},
                )
            ]
            out: dict[tuple[Any, ...], Any] = {}
            for source in sources:
                found = reconcile(feed_totals(conn, source), pages=official_pages(conn, source))
                for d in found.disagreements:
                    out[(source, d.metric, d.report_date, tuple(sorted(d.values.items())))] = d
            return out
        finally:
            if conn is not store:
                conn.close()

    return read_store(url, read)


def new_disagreement_lines(before: dict[tuple[Any, ...], Any], after: dict[tuple[Any, ...], Any]) -> list[str]:
    """The digest's lines naming the disagreements present after the job and not before: one a
    line for the first DIGEST_NAMED, then a count of the rest."""
    return [line for line, _ in new_disagreements(before, after)]


def new_disagreements(
    before: dict[tuple[Any, ...], Any], after: dict[tuple[Any, ...], Any]
) -> list[tuple[str, dict[str, Any]]]:
    """`new_disagreement_lines`, each with its plain fields (source, metric, report date, each
    feed's value, class, verdict; the count line: how many more) for a webhook."""
    new = sorted(set(after) - set(before), key=lambda k: (k[2], k[0], k[1]))
    out: list[tuple[str, dict[str, Any]]] = []
    for key in new[:DIGEST_NAMED]:
        d = after[key]
        values = ", ".join(f"{feed} {value:,}" for feed, value in d.values.items())
        line = (
            f"reconcile: new disagreement, {key[0]} {d.metric} {d.report_date}: {values} "
            f"({d.cls}; verdict: {d.verdict})"
        )
        fields = {
            "source": key[0],
            "metric": d.metric,
            "report_date": d.report_date,
            "values": dict(d.values),
            "class": d.cls,
            "verdict": d.verdict,
        }
        out.append((line, fields))
    if len(new) > DIGEST_NAMED:
        more = len(new) - DIGEST_NAMED
        out.append((f"reconcile: and {more:,} more new disagreements (`tracker reconcile`)", {"more": more}))
    return out
