"""Orc Losses replay drill: every upstream version of russian-losses.json, ingested in commit order
as a daily job would have fetched it, each observed at its commit time.

    python -m drills.orc_replay [--db URL] [--limit N]

../shared/data/orc-losses/history.jsonl.gz holds one line per upstream commit: the rows new or
changed since the previous line (`upsert`) and the dates that disappeared (`remove`); the file at
line i is lines 0..i applied in order. Prints how many versions were stored, unchanged and
refused (with each refusal's line and reason), and the store's final totals.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from drills.common import PROJECT_ROOT

FILE_NAME = "russian-losses.json"

HISTORY = PROJECT_ROOT.parent / "shared" / "data" / "orc-losses" / "history.jsonl.gz"


def versions(path: Path = HISTORY, limit: int | None = None) -> Iterator[tuple[int, dict[str, Any], list[Any]]]:
    """(line number, the line, the file's reports at that line, newest first) for each line."""
    state: dict[str, Any] = {}
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for number, text in enumerate(handle):
            if limit is not None and number >= limit:
                return
            line = json.loads(text)
            for row in line["upsert"]:
                state[row["date"]] = row
            for day in line["remove"]:
                state.pop(day, None)
            yield number, line, [state[day] for day in sorted(state, reverse=True)]


def committed_at(line: dict[str, Any]) -> dt.datetime:
    """A line's commit time in UTC: when a daily job could first have fetched that version."""
    return dt.datetime.fromisoformat(line["committed_at"]).astimezone(dt.UTC)


def replay(url: str, work: Path, limit: int | None = None) -> dict[str, Any]:
    """Ingest every version into the store at `url`; the counts and each refusal."""
    from tracker.ingest.feeds.orc_losses import FILE_NAME, OrcLossesFeed
    from tracker.ingest.run import run_ingest

    counts = {"stored": 0, "unchanged": 0, "refused": 0, "removed": 0, "re_added": 0, "held": 0}
    refusals: list[str] = []
    changes: list[str] = []  # the versions that removed or re-added values
    target = work / FILE_NAME
    for number, line, rows in versions(limit=limit):
        target.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
        report = run_ingest(url, OrcLossesFeed(), location=str(target), observed_at=committed_at(line))
        if report.status == "unchanged":
            counts["unchanged"] += 1
        elif report.status in ("ok", "ok_with_findings"):
            counts["stored"] += 1
        else:
            counts["refused"] += 1
            refusals.append(
                f"line {number} ({line['commit'][:8]} {line['subject'][:50]!r}): exit {int(report.exit_code)}: {report.error}"
            )
        counts["removed"] += report.counts.removed
        counts["re_added"] += report.counts.readded
        counts["held"] += report.held
        if report.counts.removed or report.counts.readded or report.held:
            changes.append(
                f"line {number} ({line['commit'][:8]} {line['subject'][:50]!r}): exit {int(report.exit_code)}, "
                f"{report.counts.removed} removed, {report.counts.readded} re-added, {report.held} held"
            )
    return {"counts": counts, "refusals": refusals, "changes": changes}


def current_state(url: str) -> tuple[set[tuple[str, str, int]], set[tuple[str, str]]]:
    """The feed's current (metric, report date, value) totals and (report date, page) notes."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    feed = "(SELECT id FROM feed WHERE name = 'orc-losses')"
    with engine.connect() as conn:
        totals = conn.execute(
            text(
                "SELECT m.name, o.report_date, o.value FROM observation o JOIN metric m ON m.id = o.metric_id "
                f"WHERE o.superseded_at IS NULL AND NOT o.removed AND o.feed_id = {feed}"
            )
        ).all()
        notes = conn.execute(
            text(
                "SELECT report_date, text FROM report_note "
                f"WHERE superseded_at IS NULL AND NOT removed AND key = 'source_url' AND feed_id = {feed}"
            )
        ).all()
    engine.dispose()
    return {(m, str(d), int(v)) for m, d, v in totals}, {(str(d), t) for d, t in notes}


def matches_latest(url: str, work: Path) -> bool:
    """Whether the replayed store's current view equals one ingest of the latest file."""
    from tracker.ingest.feeds.orc_losses import OrcLossesFeed
    from tracker.ingest.run import run_ingest

    fresh = f"sqlite:///{work / 'fresh.db'}"
    run_ingest(fresh, OrcLossesFeed(), location=str(HISTORY.parent / "latest"))
    return current_state(url) == current_state(fresh)


def final_totals(url: str) -> dict[str, Any]:
    """What the store holds for the feed at the end: reports, values, official pages, metrics."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    current = "superseded_at IS NULL AND NOT removed AND feed_id = (SELECT id FROM feed WHERE name = 'orc-losses')"
    with engine.connect() as conn:
        out = {
            "reports": conn.execute(
                text(f"SELECT COUNT(DISTINCT report_date) FROM observation WHERE {current}")
            ).scalar(),
            "values": conn.execute(text(f"SELECT COUNT(*) FROM observation WHERE {current}")).scalar(),
            "revisions": conn.execute(text("SELECT COUNT(*) FROM observation WHERE revision > 1")).scalar(),
            "withdrawals": ", ".join(
                f"{n} {status}"
                for status, n in conn.execute(
                    text("SELECT status, COUNT(*) FROM withdrawal GROUP BY status ORDER BY status")
                )
            )
            or "none",
            "source_urls": conn.execute(
                text(f"SELECT COUNT(*) FROM report_note WHERE key = 'source_url' AND {current}")
            ).scalar(),
            "metrics": conn.execute(
                text(f"SELECT COUNT(DISTINCT metric_id) FROM observation WHERE {current}")
            ).scalar(),
            "latest": str(conn.execute(text(f"SELECT MAX(report_date) FROM observation WHERE {current}")).scalar()),
        }
    engine.dispose()
    return out


def main(argv: list[str] | None = None) -> int:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--db", help="a store URL (default: a fresh SQLite file in a temporary folder)")
    args.add_argument("--limit", type=int, help="replay only the first N versions")
    options = args.parse_args(argv)
    if not HISTORY.exists():
        print(f"orc_replay: {HISTORY} not found (clone the project beside ../shared)", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="orc-replay-") as folder:
        work = Path(folder)
        url = options.db or f"sqlite:///{work / 'store.db'}"
        result = replay(url, work, options.limit)
        totals = final_totals(url)
        same = matches_latest(url, work) if options.limit is None else None
    counts = result["counts"]
    total = sum(counts[k] for k in ("stored", "unchanged", "refused"))
    print(
        f"orc-losses replay: {total} versions: {counts['stored']} stored, {counts['unchanged']} unchanged, "
        f"{counts['refused']} refused; {counts['removed']:,} values removed, {counts['re_added']:,} re-added "
        f"and {counts['held']:,} held (a suspicious withdrawal) in all"
    )
    for line in result["refusals"]:
        print(f"  refused: {line}")
    for line in result["changes"]:
        print(f"  {line}")
    print("final: " + ", ".join(f"{k} {v:,}" if isinstance(v, int) else f"{k} {v}" for k, v in totals.items()))
    if same is not None:
        print(f"the current view {'equals' if same else 'DIFFERS FROM'} one ingest of latest/{FILE_NAME}")
    return 0 if same is not False and not result["refusals"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
