"""`tracker ingest oryx`: Oryx's visually confirmed losses, one snapshot or a folder of them."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tracker.commands.ingest import (
    AllowShrinkOption,
    ObservedOption,
    QuietOption,
    SnapshotsOption,
    WaitOption,
    note_runs,
    run_feed,
)
from tracker.commands.options import DbOption
from tracker.errors import InvalidInput

if TYPE_CHECKING:
    from tracker.store.run_report import RunReport

OryxFromOption = Annotated[
    str | None,
    typer.Option(
        "--from",
        help="A totals_by_type.csv file, a folder holding one, or a URL; with --snapshots a folder of "
        "snapshot folders. Default: the live file of scarnecchia/oryx_data.",
        show_default=False,
    ),
]
PROGRESS_EVERY = 50  # snapshots between two progress lines of a backfill


def ingest_oryx(
    location: OryxFromOption = None,
    snapshots: SnapshotsOption = False,
    observed_at: ObservedOption = None,
    db: DbOption = None,
    quiet: QuietOption = False,
    wait: WaitOption = 10.0,
    allow_shrink: AllowShrinkOption = False,
) -> None:
    """Oryx's visually confirmed equipment losses by type and status, for both sides.

    A snapshot has no dates of its own: its figures are dated by when it was taken (the UTC date
    of the fetch, of --observed-at, or of a snapshot folder's name).
    """
    from tracker.ingest.feeds.oryx import OryxFeed
    from tracker.ingest.snapshots import parse_moment

    if snapshots:
        raise typer.Exit(_backfill(location, observed_at, db, quiet=quiet, wait=wait, allow_shrink=allow_shrink))
    moment = parse_moment(observed_at) if observed_at else None
    code = run_feed(
        OryxFeed(observed_at=moment),
        location,
        db,
        quiet=quiet,
        wait=wait,
        observed_at=observed_at,
        allow_shrink=allow_shrink,
    )
    raise typer.Exit(code)


def _backfill(
    location: str | None, observed_at: str | None, db: str | None, *, quiet: bool, wait: float, allow_shrink: bool
) -> int:
    """Ingest every snapshot folder in time order; prints a progress line every PROGRESS_EVERY
    snapshots (stderr), the lines of runs that failed or found warnings, and one total line."""
    from tracker.config import resolve_db_url
    from tracker.ingest.feeds.oryx import OryxFeed
    from tracker.ingest.snapshots import ingest_snapshots, not_yet_seen, snapshot_folders
    from tracker.store.source_registry import ORYX

    if not location or observed_at:
        raise InvalidInput("--snapshots needs --from FOLDER and takes each snapshot's time from its name")
    url = resolve_db_url(db)
    every = snapshot_folders(Path(location), on_skip=lambda line: print(line, file=sys.stderr))
    folders, _last = not_yet_seen(url, OryxFeed.name, ORYX, every)
    if not folders:
        print(f"oryx: all {len(every):,} snapshots are already stored: nothing to do")
        return 0
    stored = len(every) - len(folders)
    skipped = f" ({stored:,} already stored)" if stored else ""
    refused: list[Path] = []
    clock = time.perf_counter()
    done = 0

    def progress(report: RunReport) -> None:
        nonlocal done
        done += 1
        if not quiet and (done % PROGRESS_EVERY == 0 or done == len(folders)):
            print(
                f"oryx: {done:,}/{len(folders):,} snapshots ({report.observed_at:%Y-%m-%d}) "
                f"[{time.perf_counter() - clock:.0f}s]",
                file=sys.stderr,
                flush=True,
            )

    reports = ingest_snapshots(
        url,
        OryxFeed,
        folders,
        wait=wait,
        allow_shrink=allow_shrink,
        dated_feed=lambda moment: OryxFeed(observed_at=moment),
        progress=progress,
        on_refused=lambda folder, why: _refused(refused, folder, why),
    )
    return _print_backfill(reports, len(refused), len(folders), skipped, quiet=quiet)


def _refused(refused: list[Path], folder: Path, why: str) -> None:
    """An older snapshot whose dates the store saw later: named on stderr with why, counted."""
    refused.append(folder)
    print(f"oryx: skipped {folder}: {why}", file=sys.stderr)


def _print_backfill(reports: list[RunReport], refused: int, planned: int, skipped: str, *, quiet: bool) -> int:
    """The lines of runs that failed or found warnings, and the total line; the backfill's code."""
    from tracker.reports.store_outputs import run_summary

    note_runs(reports)
    if refused:
        skipped += f" ({refused:,} older skipped: their dates hold figures seen later)"
    for report in reports:
        if report.status == "failed" or (not quiet and report.status == "ok_with_findings"):
            text, to_stderr = run_summary(report, quiet=True)
            print(text, file=sys.stderr if to_stderr else sys.stdout)
    print(_total_line(reports, planned - refused, skipped))
    return max((int(r.exit_code) for r in reports), default=0)


def _total_line(reports: list[RunReport], planned: int, skipped: str) -> str:
    """One line for a whole backfill: snapshots run, what changed, findings, the latest report."""
    from tracker.errors import sanitize

    new = sum(r.counts.new + r.counts.readded for r in reports)
    revised = sum(r.counts.revised for r in reports)
    removed = sum(r.counts.removed for r in reports)
    unchanged = sum(r.counts.unchanged for r in reports)
    findings = sum(len(r.new_findings) for r in reports)
    warnings = sum(1 for r in reports for f in r.new_findings if f.severity == "warning")
    failed = sum(1 for r in reports if r.status == "failed")
    latest = max((r.latest_report_date for r in reports if r.latest_report_date), default=None)
    stopped = f", stopped after a failed run ({planned - len(reports):,} not run)" if failed else ""
    return sanitize(
        f"oryx: {len(reports):,} of {planned:,} snapshots ingested{skipped}{stopped} — {new:,} new, "
        f"{revised:,} revised, {removed:,} removed, {unchanged:,} unchanged; {findings:,} new findings "
        f"({warnings:,} warnings); latest report {latest.isoformat() if latest else '—'} "
        f"[{sum(r.seconds for r in reports):.1f}s]"
    )


def register(ingest_app: typer.Typer) -> None:
    """Add `ingest oryx`."""
    ingest_app.command("oryx")(ingest_oryx)
