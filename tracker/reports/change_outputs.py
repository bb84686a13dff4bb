"""What `tracker changes` (and the end of `tracker daily`) prints: the alerts first (a new record,
a milestone passed), then per feed what its runs changed; JSON for machines with every row.

Wording only: the changes come from tracker.reports.changes.collect_changes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import Any

from tracker.analysis.news import MilestonePassed, NewRecord
from tracker.errors import sanitize
from tracker.ingest.withdrawals import RULE as WITHDRAWAL_RULE
from tracker.reports.changes import Changes, FeedChanges
from tracker.reports.render import render_json, render_table

ROWS_SHOWN = 30  # per section in a table; JSON lists every row
TEXT_SHOWN = 100  # characters of a finding's message or a note in a table (JSON: all of it)
INDENT = "  "


def when(moment: dt.datetime | None) -> str:
    """A moment as tables show it: 2023-01-13T19:19:00Z (UTC)."""
    return "" if moment is None else moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _series(metric: str, side: str) -> str:
    return metric if side == "russia" else f"{metric}, {side}'s losses"


def record_line(record: NewRecord) -> str:
    """NEW RECORD: 1,770 in the report of 2024-11-11, beating 1,740 of 2024-05-13 — the deadliest
    day (personnel; ua-dataset, ua-general-staff)."""
    return (
        f"NEW RECORD: {record.value:,} in the report of {record.report_date.isoformat()}, beating "
        f"{record.previous_value:,} of {record.previous_report_date.isoformat()} — the {record.wording} "
        f"({_series(record.metric, record.side)}; {record.feed}, {record.source})"
    )


def milestone_line(passed: MilestonePassed) -> str:
    """MILESTONE: 700,000 passed in the report of 2024-11-04 (total 700,390) — personnel (...)."""
    flagged = f" [flagged: {passed.flags.replace(';', ', ')}]" if passed.flags else ""
    return (
        f"MILESTONE: {passed.milestone:,} passed in the report of {passed.report_date.isoformat()} "
        f"(total {passed.total:,}) — {_series(passed.metric, passed.side)} ({passed.feed}, {passed.source}){flagged}"
    )


def alert_lines(changes: Changes) -> list[str]:
    """The story lines: every new record, then every milestone passed (made safe)."""
    lines = [record_line(r) for r in changes.records] + [milestone_line(x) for x in changes.milestones]
    return [sanitize(line) for line in lines]


def news_items(changes: Changes) -> list[tuple[str, str, dict[str, Any]]]:
    """The story of the changes as (kind, line, plain fields): each new record, each milestone
    passed, and each withdrawal a run held (its `withdrawal_held` finding), for `tracker daily
    --quiet-unless-news` and `--notify`."""
    items: list[tuple[str, str, dict[str, Any]]] = []
    items += [("record", sanitize(record_line(r)), {**asdict(r), "margin": r.margin}) for r in changes.records]
    items += [("milestone", sanitize(milestone_line(x)), asdict(x)) for x in changes.milestones]
    for feed in changes.feeds:
        for finding in feed.findings:
            if finding["rule"] == WITHDRAWAL_RULE:
                line = f"WITHDRAWAL HELD: {feed.feed} ({feed.source}): {finding['message']}"
                fields = {"feed": feed.feed, "source": feed.source, **finding}
                items.append(("withdrawal", sanitize(line), fields))
    return items


def window_line(changes: Changes) -> str:
    w = changes.window
    if w.run_ids:
        return "What this job's runs changed:"
    if w.last_run:
        return "What each feed's last successful run changed:"
    span = f"from {when(w.since)}" + (f" to {when(w.until)}" if w.until else " to now")
    return f"What the runs observed {span} changed ({w.asked}):"


def _counts(feed: FeedChanges) -> dict[str, int]:
    return {
        "new_reports": len(feed.new_reports),
        "revisions": len(feed.revisions),
        "removals": len(feed.removals),
        "readds": len(feed.readds),
        "records": len(feed.records),
        "milestones": len(feed.milestones),
        "new_findings": len(feed.findings),
        "claims": len(feed.claims),
        "notes": len(feed.notes),
    }


def _runs_line(feed: FeedChanges) -> str:
    shown = [f"#{r['id']} {r['status']} {when(r['observed_at'])}" for r in feed.runs[:5]]
    more = f", … {len(feed.runs) - 5} more" if len(feed.runs) > 5 else ""
    failed = [r for r in feed.runs if r["status"] == "failed"]
    error = f"; last failure: {failed[-1]['error']}" if failed and failed[-1]["error"] else ""
    plural = "s" if len(feed.runs) != 1 else ""
    return f"{feed.feed} ({feed.source}): {len(feed.runs)} run{plural} ({', '.join(shown)}{more}){error}"


def _summary_line(feed: FeedChanges) -> str:
    c = _counts(feed)
    dates = sorted({r["report_date"] for r in feed.new_reports})
    where = ""
    if dates:
        span = dates[0].isoformat() if len(dates) == 1 else f"{dates[0].isoformat()} … {dates[-1].isoformat()}"
        where = f" in {len(dates):,} report{'s' if len(dates) > 1 else ''} ({span})"
    words = [
        (c["new_reports"], "new figure" + where, "new figures" + where),
        (c["revisions"], "revision", "revisions"),
        (c["removals"], "removal", "removals"),
        (c["readds"], "re-add", "re-adds"),
        (c["new_findings"], "new finding", "new findings"),
        (c["claims"], "claim changed", "claims changed"),
        (c["notes"], "note changed", "notes changed"),
    ]
    return ", ".join(f"{n:,} {one if n == 1 else many}" for n, one, many in words)


def _metric_cell(row: dict[str, Any]) -> str:
    name = _series(row["metric"], row["side"])
    return name if row["kind"] == "total" else f"{name} ({row['kind']})"


def _section(
    title: str,
    rows: Sequence[dict[str, Any]],
    shape: Callable[[dict[str, Any]], dict[str, Any]],
    *,
    newest_first: bool = True,
    limits: dict[str, int] | None = None,
) -> list[str]:
    """A titled table of at most ROWS_SHOWN rows (the newest when `newest_first`)."""
    if not rows:
        return []
    chosen = list(rows)[-ROWS_SHOWN:] if newest_first else list(rows)[:ROWS_SHOWN]
    notes = []
    if len(rows) > ROWS_SHOWN:
        which = "the latest" if newest_first else "the first"
        notes.append(f"… {which} {ROWS_SHOWN} of {len(rows):,} shown; --format json lists them all")
    text = render_table([shape(r) for r in chosen], title=title, notes=notes, limits=limits)
    return [INDENT + line for line in text.splitlines()]


def _new_report(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "report_date": r["report_date"],
        "metric": _metric_cell(r),
        "total": r["value"],
        "qualifier": r["qualifier"] or "",
        "increment": r.get("increment"),
        "span_days": r.get("span_days"),
        "flags": r.get("flags", ""),
    }


def _revision(r: dict[str, Any]) -> dict[str, Any]:
    change = f"{r['old_value']:,} → {r['value']:,}" if r["old_value"] != r["value"] else f"{r['value']:,}"
    if r["old_qualifier"] != r["qualifier"]:
        change += f" (qualifier {r['old_qualifier'] or '-'} → {r['qualifier'] or '-'})"
    return {
        "report_date": r["report_date"],
        "metric": _metric_cell(r),
        "change": change,
        "was_seen_at": when(r["old_seen_at"]),
        "revised_at": when(r["seen_at"]),
    }


def _removal(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "report_date": r["report_date"],
        "metric": _metric_cell(r),
        "last_value": r["old_value"],
        "seen_since": when(r["old_seen_at"]),
        "removed_at": when(r["seen_at"]),
    }


def _readd(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "report_date": r["report_date"],
        "metric": _metric_cell(r),
        "total": r["value"],
        "increment": r.get("increment"),
        "removed_at": when(r["removed_at"]),
        "readded_at": when(r["seen_at"]),
    }


def _record(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "record": r["wording"],
        "metric": _series(r["metric"], r["side"]),
        "report_date": r["report_date"],
        "value": r["value"],
        "beat": r["previous_value"],
        "beat_report_date": r["previous_report_date"],
        "margin": r["margin"],
    }


def _milestone(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "metric": _series(r["metric"], r["side"]),
        "milestone": r["milestone"],
        "report_date": r["report_date"],
        "total": r["total"],
        "flags": r["flags"],
    }


def _finding(r: dict[str, Any]) -> dict[str, Any]:
    return {k: r[k] for k in ("severity", "rule", "metric", "report_date", "message")}


def _claim(r: dict[str, Any]) -> dict[str, Any]:
    figure = (
        f"{r['old_figure']} → {r['figure']}"
        if r["change"] == "revised" and r["old_figure"] != r["figure"]
        else r["figure"]
    )
    return {
        "change": r["change"] + (f" ({', '.join(r['changed'])})" if r["changed"] else ""),
        "claim": r["key"],
        "source": r["source"],
        "metric": r["metric"],
        "figure": figure,
        "published": r["published_date"],
    }


def _note(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "change": r["change"],
        "report_date": r["report_date"],
        "note": r["key"],
        "text": r["text"] or r["old_text"],
    }


def _record_rows(feed: FeedChanges) -> list[dict[str, Any]]:
    return [{**asdict(r), "margin": r.margin} for r in feed.records]


def changes_table(changes: Changes, *, alerts: bool = True) -> str:
    """The changes for people: alerts first (unless `alerts` is false: the caller prints them
    itself), then each feed's runs, counts and tables."""
    out = alert_lines(changes) if alerts else []
    out.append(sanitize(window_line(changes)))
    if not changes.feeds:
        out.append(f"{INDENT}no runs: nothing changed")
        return "\n".join(out)
    for feed in changes.feeds:
        out.append("")
        out.append(sanitize(_runs_line(feed)))
        out.append(INDENT + _summary_line(feed))
        sections = [
            _section("New reports (increment: the change since the previous report)", feed.new_reports, _new_report),
            _section("Revisions (old → new, with when each was first seen)", feed.revisions, _revision),
            _section("Removals", feed.removals, _removal),
            _section("Re-added", feed.readds, _readd),
            _section("New records (one day; doubtful days left out)", _record_rows(feed), _record, newest_first=False),
            _section("Milestones passed", [asdict(x) for x in feed.milestones], _milestone, newest_first=False),
            _section("New findings", feed.findings, _finding, limits={"message": TEXT_SHOWN}),
            _section("Claims", feed.claims, _claim, newest_first=False),
            _section("Report notes", feed.notes, _note, limits={"text": TEXT_SHOWN}),
        ]
        for lines in sections:
            out.extend(lines)
    return "\n".join(out)


def changes_payload(changes: Changes) -> dict[str, Any]:
    """Every change as plain data: the window, the alert lines, and per feed every row."""
    w = changes.window
    return {
        "window": {
            "asked": w.asked,
            "since": w.since,
            "until": w.until,
            "last_run": w.last_run,
            "run_ids": list(w.run_ids),
        },
        "alerts": alert_lines(changes),
        "feeds": [
            {
                "feed": f.feed,
                "source": f.source,
                "runs": f.runs,
                "counts": _counts(f),
                "new_reports": f.new_reports,
                "revisions": f.revisions,
                "removals": f.removals,
                "readds": f.readds,
                "records": _record_rows(f),
                "milestones": [asdict(x) for x in f.milestones],
                "findings": f.findings,
                "claims": f.claims,
                "notes": f.notes,
            }
            for f in changes.feeds
        ],
    }


def changes_output(changes: Changes, fmt: str) -> str:
    """`tracker changes` in the format asked for: table or json."""
    return render_json(changes_payload(changes)) if fmt == "json" else changes_table(changes)
