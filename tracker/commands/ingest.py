"""Ingest commands: fetch a feed, archive its raw payload, store what changed as revisions.

Each command parses its options and calls `tracker.ingest.run.run_ingest` (or
`tracker.ingest.snapshots.ingest_snapshots`); `tracker.reports.store_outputs` words the result.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from tracker.commands.options import DbOption, Number
from tracker.errors import InvalidInput, TrackerError
from tracker.reports.options import parse_date
from tracker.store.source_registry import GENERAL_STAFF

if TYPE_CHECKING:
    from tracker.ingest.csvload import CsvPlan
    from tracker.ingest.feeds import Feed
    from tracker.store.run_report import RunReport


def _check_wait(value: float) -> float:
    from tracker.store.lock import check_wait  # at call time: SQLAlchemy stays out of `tracker --help`

    return check_wait(value)


QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="Print one log line per run (for cron).")]
WaitOption = Annotated[
    float,
    typer.Option(
        "--wait",
        click_type=Number(0, 86_400, unit="seconds"),
        callback=_check_wait,
        help="Seconds to wait for another run's writer lock before giving up (exit 7).",
    ),
]
AllowShrinkOption = Annotated[
    bool,
    typer.Option(
        "--allow-shrink",
        help="Apply at once the removals held by default as a likely broken upstream file (a whole "
        "series, its latest reports, or more than 2% of it: see `tracker feeds withdrawals`).",
    ),
]
ObservedOption = Annotated[
    str | None,
    typer.Option(
        "--observed-at",
        help="Ingest as if fetched at this time (ISO 8601, UTC if no offset): backfills archived snapshots "
        "with their true history. Snapshots must be ingested in time order.",
        show_default=False,
    ),
]
DatasetFromOption = Annotated[
    str | None,
    typer.Option(
        "--from",
        help="A local folder or file of the dataset, or a base URL. Default: the live dataset on GitHub.",
        show_default=False,
    ),
]
OrcLossesFromOption = Annotated[
    str | None,
    typer.Option(
        "--from",
        help="A local russian-losses.json (or a folder holding it), or its URL. "
        "Default: the live file of lod-db/orc-losses on GitHub.",
        show_default=False,
    ),
]
SnapshotsOption = Annotated[
    bool,
    typer.Option(
        "--snapshots",
        help="--from is a folder of snapshot folders named by fetch time "
        "(as kept by git scraping, e.g. 2023-01-12T1204_day323): ingest each in order as observed then.",
    ),
]
ApiFromOption = Annotated[
    str | None,
    typer.Option(
        "--from",
        help="A local JSON file or folder of API responses, or the API base URL. "
        "Default: https://russianwarship.rip/api/v2",
        show_default=False,
    ),
]
CsvFromOption = Annotated[
    str,
    typer.Option(
        "--from",
        help="A CSV file (or URL) with columns report_date,metric,value[,qualifier][,source], named in its header, "
        "in any order.",
    ),
]
CsvSourceOption = Annotated[
    str,
    typer.Option(
        "--source",
        help="Who makes these claims (a source key; see `tracker sources list`). With a `source` column: "
        "the source of rows whose cell is blank.",
    ),
]
CsvDefinitionOption = Annotated[
    str | None,
    typer.Option(
        "--definition",
        show_default=False,
        help="What the figures count: killed, wounded, killed_or_wounded, killed_confirmed_by_name (personnel rows), "
        "claimed or confirmed (equipment rows); rows of the other kind keep their source's. Default: each source's.",
    ),
]
CsvSideOption = Annotated[
    str | None,
    typer.Option("--side", show_default=False, help="Whose losses: russia or ukraine. Default: each source's."),
]


def run_feed(
    feed: Feed,
    location: str | None,
    db: str | None,
    *,
    quiet: bool,
    wait: float,
    observed_at: str | None,
    source: str | None = None,
    fetch_options: dict[str, object] | None = None,
    allow_shrink: bool = False,
) -> int:
    """Run one ingest (tracker.ingest.run.run_ingest: an unchanged repeat on SQLite is confirmed with
    sqlite3 alone, no SQLAlchemy imported) and print its summary; returns the exit code."""
    from tracker.config import resolve_db_url
    from tracker.ingest.run import run_ingest
    from tracker.store.run_report import RunOptions

    moment = None
    if observed_at:
        from tracker.ingest.snapshots import parse_moment

        moment = parse_moment(observed_at)
    report = run_ingest(
        resolve_db_url(db),
        feed,
        location=location,
        source=source,
        observed_at=moment,
        fetch_options=fetch_options,
        options=RunOptions(lock_wait=wait, allow_shrink=allow_shrink),
    )
    return _print_run(report, quiet=quiet)


def _print_run(report: RunReport, *, quiet: bool) -> int:
    """Print a run's summary where it belongs (a failure on stderr); its exit code."""
    from tracker.reports.store_outputs import run_summary

    note_runs([report])
    text, to_stderr = run_summary(report, quiet=quiet)
    print(text, file=sys.stderr if to_stderr else sys.stdout)
    return int(report.exit_code)


def note_runs(reports: list[RunReport]) -> None:
    """Remember the stored runs, so that output which cannot be printed says they were stored."""
    from tracker.reports.safe_write import note_stored

    for r in reports:
        if r.run_id is not None:
            note_stored(f"{r.feed} ({r.source}) run {r.run_id} ({r.status})")


def ingest_dataset(
    location: DatasetFromOption = None,
    snapshots: SnapshotsOption = False,
    observed_at: ObservedOption = None,
    db: DbOption = None,
    quiet: QuietOption = False,
    wait: WaitOption = 10.0,
    allow_shrink: AllowShrinkOption = False,
) -> None:
    """The open General Staff dataset: personnel, equipment and corrections."""
    from tracker.ingest.feeds.dataset import DatasetFeed

    if not snapshots:
        code = run_feed(
            DatasetFeed(), location, db, quiet=quiet, wait=wait, observed_at=observed_at, allow_shrink=allow_shrink
        )
        raise typer.Exit(code)
    raise typer.Exit(_ingest_snapshots(location, observed_at, db, quiet=quiet, wait=wait, allow_shrink=allow_shrink))


def ingest_orc_losses(
    location: OrcLossesFromOption = None,
    observed_at: ObservedOption = None,
    db: DbOption = None,
    quiet: QuietOption = False,
    wait: WaitOption = 10.0,
    allow_shrink: AllowShrinkOption = False,
) -> None:
    """Orc Losses: a second transcription of the General Staff's reports, each with its official page."""
    from tracker.ingest.feeds.orc_losses import OrcLossesFeed

    code = run_feed(
        OrcLossesFeed(), location, db, quiet=quiet, wait=wait, observed_at=observed_at, allow_shrink=allow_shrink
    )
    raise typer.Exit(code)


def _ingest_snapshots(
    location: str | None, observed_at: str | None, db: str | None, *, quiet: bool, wait: float, allow_shrink: bool
) -> int:
    from pathlib import Path

    from tracker.config import resolve_db_url
    from tracker.ingest.feeds.dataset import DatasetFeed
    from tracker.ingest.snapshots import ingest_snapshots, snapshot_folders
    from tracker.reports.store_outputs import run_summary

    if not location or observed_at:
        raise InvalidInput("--snapshots needs --from FOLDER and takes each snapshot's time from its name")
    folders = snapshot_folders(Path(location), on_skip=lambda line: print(line, file=sys.stderr))
    hidden = quiet or not sys.stderr.isatty()
    with typer.progressbar(folders, label="snapshots", file=sys.stderr, hidden=hidden) as bar:
        reports = ingest_snapshots(resolve_db_url(db), DatasetFeed, bar, wait=wait, allow_shrink=allow_shrink)
    note_runs(reports)
    for report in reports:
        text, to_stderr = run_summary(report, quiet=True)
        print(text, file=sys.stderr if to_stderr else sys.stdout)
    return max(int(r.exit_code) for r in reports)


def ingest_api(
    location: ApiFromOption = None,
    since: Annotated[str | None, typer.Option("--since", help="First report date to fetch (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, typer.Option("--until", help="Last report date to fetch (YYYY-MM-DD).")] = None,
    observed_at: ObservedOption = None,
    db: DbOption = None,
    quiet: QuietOption = False,
    wait: WaitOption = 10.0,
    allow_shrink: AllowShrinkOption = False,
) -> None:
    """The russianwarship.rip API v2: totals with the reported daily increase.

    Without dates it fetches the latest report; with --since/--until it pages through the range.
    """
    from tracker.ingest.feeds.warship import WarshipFeed, date_range

    options = date_range(parse_date(since, "--since"), parse_date(until, "--until"))
    if sys.stderr.isatty() and not quiet:
        options["progress"] = lambda pages: print(f"\rfetched {pages} page(s)", end="", file=sys.stderr, flush=True)
    code = run_feed(
        WarshipFeed(),  # type: ignore[arg-type]  # its fetch names its options; the Feed protocol takes any **options
        location,
        db,
        quiet=quiet,
        wait=wait,
        observed_at=observed_at,
        fetch_options=options,
        allow_shrink=allow_shrink,
    )
    if "progress" in options:
        print(file=sys.stderr)
    raise typer.Exit(code)


def ingest_csv(
    location: CsvFromOption,
    source: CsvSourceOption = GENERAL_STAFF,
    definition: CsvDefinitionOption = None,
    side: CsvSideOption = None,
    observed_at: ObservedOption = None,
    db: DbOption = None,
    quiet: QuietOption = False,
    wait: WaitOption = 10.0,
) -> None:
    """A plain CSV of cumulative totals: a person's own data, or the bundled sample.

    With a `source` column one file carries several sources: one run per source (its own "csv"
    feed, run record and archive), a blank cell meaning --source. A cell that is not a source key
    is a finding, reported in --source's run. Exits with the worst run's code.
    """
    from tracker.config import resolve_db_url
    from tracker.ingest.csvload import plan_csv

    plan = plan_csv(resolve_db_url(db), location, source=source, definition=definition, side=side)
    if plan.bulk:
        codes = _load_sources(plan, db, quiet, wait, observed_at)
    else:
        codes = [run_feed(plan.feed(), location, db, quiet=quiet, wait=wait, observed_at=observed_at, source=source)]
    if plan.unnamed and not quiet:
        for line in _unregistered_notes(plan.unnamed):
            print(line)
    raise typer.Exit(max(codes))


NOTES_EACH = 3  # unregistered sources named one line each; more are named together in one line


def _unregistered_notes(keys: list[str]) -> list[str]:
    """What to print about sources the store does not know by name: a line each for a few, one
    line for a file of many (a 600-source file would otherwise end in 600 notes)."""
    options = "--name NAME [--definition D] [--side S] [--dates-by report|covered]"
    if len(keys) <= NOTES_EACH:
        return [
            f"note: source {key!r} is not registered: `tracker sources add {key} {options}` "
            "says who it is and what it counts"
            for key in keys
        ]
    # The first few and the last; "..." only where a key is left out.
    named = ", ".join(keys) if len(keys) == NOTES_EACH + 1 else ", ".join(keys[:NOTES_EACH]) + f", ... {keys[-1]}"
    return [
        f"note: {len(keys):,} sources are not registered ({named}): `tracker sources add KEY {options}` "
        "says who each is and what it counts"
    ]


def _load_sources(plan: CsvPlan, db: str | None, quiet: bool, wait: float, observed_at: str | None) -> list[int]:
    """A multi-source file's runs, in one transaction; prints each run's summary."""
    from tracker.config import resolve_db_url
    from tracker.ingest.csvload import load_sources
    from tracker.ingest.snapshots import parse_moment
    from tracker.reports.store_outputs import run_summary

    # A load of many sources takes seconds to minutes; on a terminal a bar counts them written.
    hidden = quiet or not sys.stderr.isatty()
    readings = plan.readings
    with typer.progressbar(length=len(readings), label="sources", file=sys.stderr, hidden=hidden) as bar:

        def written(_report: object) -> None:
            bar.update(1)
            if bar.pos == len(readings):  # then the indexes and the commit, which take a while too
                bar.label = "sources written, committing"
                bar.render_progress()

        assert plan.survey is not None and not isinstance(plan.fetched, TrackerError)  # plan.bulk
        reports = load_sources(
            resolve_db_url(db),
            plan.fetched,
            plan.location,
            readings,
            plan.survey,
            observed_at=parse_moment(observed_at) if observed_at else None,
            lock_wait=wait,
            progress=written,
        )
    note_runs(reports)
    for report in reports:
        text, to_stderr = run_summary(report, quiet=quiet)
        print(text, file=sys.stderr if to_stderr else sys.stdout)
    return [int(r.exit_code) for r in reports]


def register(ingest_app: typer.Typer) -> None:
    """Add `ingest dataset|orc-losses|api|csv`."""
    ingest_app.command("dataset")(ingest_dataset)
    ingest_app.command("orc-losses")(ingest_orc_losses)
    ingest_app.command("api")(ingest_api)
    ingest_app.command("csv")(ingest_csv)
