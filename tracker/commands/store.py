"""Commands that inspect and look after the store: status, latest, findings, feeds, db, and the
morning job (`tracker daily`)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from tracker.commands.ingest import AllowShrinkOption, WaitOption
from tracker.commands.options import (
    DbOption,
    FormatOption,
    JsonAliasOption,
    Number,
    SideOption,
    chosen_format,
    output_path,
)
from tracker.errors import InvalidInput
from tracker.reports.options import OutputFormat, Side
from tracker.store.source_registry import GENERAL_STAFF

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from tracker.api.daily_job import DailyOutcome

StaleHoursOption = Annotated[
    float,
    typer.Option(
        "--stale-hours",
        click_type=Number(0, 87_600, above_low=True, unit="hours"),
        help="Warn when a daily feed's last success or latest report is older.",
    ),
]
FeedNameArgument = Annotated[str, typer.Argument(help="The feed's name, as `tracker feeds list` shows it.")]
FeedSourceOption = Annotated[
    str | None, typer.Option("--source", help="Only the feed of this source (a name may serve several).")
]


def _store(db: str | None, *, write: bool = False) -> Engine:
    from tracker.config import resolve_db_url
    from tracker.store.db import open_store

    return open_store(resolve_db_url(db), write=write)


def status(
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.table,
    as_json: JsonAliasOption = False,
    stale_hours: StaleHoursOption = 36.0,
) -> None:
    """Per feed: role, last successful run, latest report date, staleness and open findings.

    Only the feeds the daily job runs are judged (see `tracker feeds list`): one is stale when
    its last success or its latest report is older than --stale-hours. Exits 3 when a judged
    feed is stale or its last run failed, so cron can alert; one-off feeds never do.
    """
    from tracker.reports.store_outputs import status_exit_code, status_output
    from tracker.store.queries import feed_status

    rows = feed_status(_store(db), stale_hours=stale_hours)
    print(status_output(rows, chosen_format(fmt, as_json), stale_hours))
    raise typer.Exit(status_exit_code(rows))


def latest(
    source: Annotated[str, typer.Option("--source", help="Whose figures.")] = GENERAL_STAFF,
    feed: Annotated[str | None, typer.Option("--feed", help="Which feed of the source (default: the fullest).")] = None,
    side: SideOption = Side.russia,
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.table,
    as_json: JsonAliasOption = False,
) -> None:
    """The latest report's totals and increases, for every category (of one side's losses)."""
    from tracker.config import resolve_db_url
    from tracker.reports.store_outputs import latest_output
    from tracker.store.queries import latest_figures
    from tracker.store.reading import read_store

    rows = read_store(
        resolve_db_url(db), lambda store: latest_figures(store, source=source, feed=feed, side=side.value)
    )
    print(latest_output(rows, chosen_format(fmt, as_json), source, side=side.value))


def findings(
    db: DbOption = None,
    status_filter: Annotated[str, typer.Option("--status", help="open, resolved or all.")] = "open",
    rule: Annotated[str | None, typer.Option("--rule", help="Only this rule (e.g. outlier, coarse).")] = None,
    metric: Annotated[str | None, typer.Option("--metric", help="Only this metric.")] = None,
    limit: Annotated[
        int,
        typer.Option(
            "--limit", click_type=Number(0, 1_000_000_000, whole=True), help="At most this many rows (0: all)."
        ),
    ] = 50,
    fmt: FormatOption = OutputFormat.table,
    as_json: JsonAliasOption = False,
) -> None:
    """Validation findings: doubtful points flagged (never changed or dropped) by ingest."""
    from tracker.reports.store_outputs import findings_output
    from tracker.store.queries import list_findings

    if status_filter not in ("open", "resolved", "all"):
        raise InvalidInput("--status must be open, resolved or all")
    rows = list_findings(_store(db), status=status_filter, rule=rule, metric=metric, limit=limit or None)
    print(findings_output(rows, chosen_format(fmt, as_json)))


def db_upgrade(db: DbOption = None) -> None:
    """Create the store, or migrate it to the current schema."""
    from tracker.config import resolve_db_url
    from tracker.store.db import make_engine, safe_url, upgrade

    url = resolve_db_url(db)
    print(f"{safe_url(url)}: {upgrade(make_engine(url))}")


def db_current(db: DbOption = None) -> None:
    """Show the store's schema revision and the one this tracker needs."""
    from tracker.config import resolve_db_url
    from tracker.store.db import make_engine, refuse_newer, safe_url, schema_revision, sqlite_file_missing
    from tracker.store.models import SCHEMA_REVISION

    url = resolve_db_url(db)
    current = None if sqlite_file_missing(url) else schema_revision(make_engine(url))
    if current is not None:
        refuse_newer(make_engine(url), current)  # a store made by a newer tracker: say so, exit 6
    state = "up to date" if current == SCHEMA_REVISION else "run `tracker db upgrade`"
    print(f"{safe_url(url)}: {current or 'empty'} (needs {SCHEMA_REVISION}: {state})")


def feeds_list(db: DbOption = None, fmt: FormatOption = OutputFormat.table, as_json: JsonAliasOption = False) -> None:
    """Every feed with its role: daily (judged by `tracker status`), one-off or retired."""
    from tracker.reports.store_outputs import feeds_output
    from tracker.store.queries import feed_status

    print(feeds_output(feed_status(_store(db)), chosen_format(fmt, as_json)))


def feeds_retire(name: FeedNameArgument, source: FeedSourceOption = None, db: DbOption = None) -> None:
    """Stop judging a feed in `tracker status` (its data stays; `tracker feeds schedule` undoes it)."""
    _set_role(name, "retired", source, db)


def feeds_schedule(name: FeedNameArgument, source: FeedSourceOption = None, db: DbOption = None) -> None:
    """Judge a feed in `tracker status` as one that runs daily (e.g. one you ingest from your own cron)."""
    _set_role(name, "daily", source, db)


def _set_role(name: str, role: str, source: str | None, db: str | None) -> None:
    from tracker.errors import sanitize
    from tracker.store.queries import set_feed_role

    for changed in set_feed_role(_store(db, write=True), name, role, source=source):
        print(sanitize(f"{changed}: {role}"))


DatasetMirrorOption = Annotated[
    str | None,
    typer.Option(
        "--dataset-from",
        help="Where to read the General Staff dataset: a mirror's base URL or a local folder. "
        "Default: $TRACKER_DATASET_FROM, else the live dataset on GitHub.",
        show_default=False,
    ),
]
ClaimsFileOption = Annotated[
    str | None,
    typer.Option(
        "--claims-from",
        help="The claims file: a path or URL. Default: $TRACKER_CLAIMS_FROM, else the curated file shipped with tracker.",
        show_default=False,
    ),
]
OryxDailyOption = Annotated[
    bool,
    typer.Option(
        "--oryx",
        help="Also ingest Oryx's visually confirmed losses (from --oryx-from, $TRACKER_ORYX_FROM, else the live "
        "file), dated by the day of the fetch.",
    ),
]
OryxFileOption = Annotated[
    str | None,
    typer.Option(
        "--oryx-from",
        help="Where to read Oryx's totals_by_type.csv: a file, a folder holding it, or a URL. Implies --oryx. "
        "Default: $TRACKER_ORYX_FROM (which also implies it), else the live file.",
        show_default=False,
    ),
]
OrcLossesDailyOption = Annotated[
    bool,
    typer.Option(
        "--orc-losses",
        help="Also ingest Orc Losses, a second transcription of the General Staff's reports with each one's "
        "official page (from --orc-losses-from, $TRACKER_ORC_LOSSES_FROM, else the live file).",
    ),
]
OrcLossesFileOption = Annotated[
    str | None,
    typer.Option(
        "--orc-losses-from",
        help="Where to read Orc Losses' russian-losses.json: a file, a folder holding it, or a URL. Implies "
        "--orc-losses. Default: $TRACKER_ORC_LOSSES_FROM (which also implies it), else the live file.",
        show_default=False,
    ),
]
ChartsDirOption = Annotated[
    str | None,
    typer.Option(
        "--charts-dir",
        help="Where to redraw the standard charts. Default: $TRACKER_CHARTS_DIR; no charts when neither is set.",
        show_default=False,
    ),
]
SiteDirOption = Annotated[
    str | None,
    typer.Option(
        "--site-dir",
        help="Where to rebuild the newsroom page (`tracker site`). Default: $TRACKER_SITE_DIR; no page when "
        "neither is set.",
        show_default=False,
    ),
]


QuietOption = Annotated[
    bool,
    typer.Option(
        "--quiet-unless-news",
        help="Print only the story, and nothing on a day without one: new records, milestones passed, failed "
        "steps, withdrawals held, new disagreements between feeds (cron mails exactly the news). The exit code "
        "is the same.",
    ),
]
NotifyOption = Annotated[
    str | None,
    typer.Option(
        "--notify",
        help='POST the story (when there is one) as JSON to this webhook: {"text": ...} as Slack and Mattermost '
        "accept, plus exit_code and news. Default: $TRACKER_NOTIFY_URL. A failed post is a line of output; it "
        "never changes what was stored or the exit code.",
        show_default=False,
    ),
]


def daily(
    dataset_from: DatasetMirrorOption = None,
    claims_from: ClaimsFileOption = None,
    oryx: OryxDailyOption = False,
    oryx_from: OryxFileOption = None,
    orc_losses: OrcLossesDailyOption = False,
    orc_losses_from: OrcLossesFileOption = None,
    charts_dir: ChartsDirOption = None,
    site_dir: SiteDirOption = None,
    db: DbOption = None,
    wait: WaitOption = 10.0,
    allow_shrink: AllowShrinkOption = False,
    quiet_unless_news: QuietOption = False,
    notify: NotifyOption = None,
) -> None:
    """The morning job for cron: ingest the dataset and the claims file (and Oryx's confirmed losses
    with --oryx, Orc Losses with --orc-losses), then redraw the charts and the newsroom page, and end with what the job's runs
    changed.

    A new record or milestone is the first line ("NEW RECORD: ..."), so cron's mail carries the
    story; then one line per step, then the digest, all printed when the job ends. Every step runs
    even after a failure. Exits with the first failing step's code (4 unreachable, 5 bad payload,
    6 store, 7 busy), else 3 when a step recorded new findings, else 0. The feeds it runs are the
    ones `tracker status` judges. --quiet-unless-news prints only the story (nothing on a quiet
    day); --notify posts it.
    """
    from tracker.api.daily_job import DailySettings, run_daily_job
    from tracker.api.notify import notify_url
    from tracker.config import resolve_db_url

    given = (
        ("--dataset-from", dataset_from),
        ("--claims-from", claims_from),
        ("--oryx-from", oryx_from),
        ("--orc-losses-from", orc_losses_from),
    )
    for name, value in given:
        if value is not None and not value.strip():
            raise InvalidInput(f"{name} is empty: give a path or URL, or leave it out for the default")
    settings = DailySettings.from_env(
        dataset_from=dataset_from,
        claims_from=claims_from,
        oryx=oryx,
        oryx_from=oryx_from,
        orc_losses=orc_losses,
        orc_losses_from=orc_losses_from,
        charts_dir=output_path(charts_dir, "--charts-dir", "a folder, or leave it out for no charts"),
        site_dir=output_path(site_dir, "--site-dir", "a folder, or leave it out for no page"),
        wait=wait,
        allow_shrink=allow_shrink,
    )
    webhook = notify_url(notify)  # a bad URL is refused before anything runs
    outcome = run_daily_job(resolve_db_url(db), settings)
    _print_daily(outcome, quiet=quiet_unless_news, webhook=webhook)
    raise typer.Exit(outcome.exit_code)


def _print_daily(outcome: DailyOutcome, *, quiet: bool, webhook: str | None) -> None:
    """Print the job's lines (only its story when `quiet`), failures on stderr, after posting
    the story to `webhook` when there is one; the post's line comes last (when quiet: only a
    failed one)."""
    from tracker.api.notify import post_story
    from tracker.errors import sanitize
    from tracker.reports.safe_write import note_stored

    for step in outcome.lines:  # before the first line: output that cannot be written names every stored run
        if step.run_id is not None:
            note_stored(f"{step.step} run {step.run_id}")
    posted: tuple[bool, str] | None = None
    if webhook is not None and outcome.news:
        posted = post_story(webhook, outcome.news, outcome.exit_code)
    if quiet:
        shown = [(n.line, n.kind != "failure") for n in outcome.news]
    else:
        shown = [(s.line, s.exit_code in (0, 3)) for s in outcome.lines]
    if posted is not None and not (quiet and posted[0]):
        shown.append((posted[1], posted[0]))
    for line, ok in shown:
        print(sanitize(line), file=sys.stdout if ok else sys.stderr, flush=True)


def feeds_withdrawals(
    name: FeedNameArgument,
    source: FeedSourceOption = None,
    every: Annotated[bool, typer.Option("--all", help="Closed withdrawals (accepted, undone) too.")] = False,
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.table,
    as_json: JsonAliasOption = False,
) -> None:
    """The rows a snapshot left out that are held, not removed (an emptied series, its latest
    reports cut off, a large share of it), per withdrawal: the run that held it, when, how many
    rows, which series and report dates."""
    from tracker.ingest.withdrawals import list_withdrawals
    from tracker.reports.store_outputs import withdrawals_output

    print(
        withdrawals_output(list_withdrawals(_store(db), name, source=source, every=every), chosen_format(fmt, as_json))
    )


def feeds_accept_withdrawal(
    name: FeedNameArgument,
    source: FeedSourceOption = None,
    run: Annotated[
        int | None, typer.Option("--run", min=1, help="Only the withdrawal this run held (default: every one held).")
    ] = None,
    db: DbOption = None,
) -> None:
    """Remove the rows a withdrawal holds: removal revisions, history kept, in a run of its own."""
    from tracker.errors import sanitize
    from tracker.ingest.withdrawals import accept

    _store(db).dispose()  # a missing store holds nothing: say so rather than create one
    for line in accept(_store(db, write=True), name, source=source, run=run):
        print(sanitize(line))


def register(app: typer.Typer, db_app: typer.Typer, feeds_app: typer.Typer) -> None:
    """Add status, latest, findings, daily, `db upgrade|current` and `feeds list|retire|schedule|
    withdrawals|accept-withdrawal`."""
    for name, command in (("status", status), ("latest", latest), ("findings", findings), ("daily", daily)):
        app.command(name)(command)
    db_app.command("upgrade")(db_upgrade)
    db_app.command("current")(db_current)
    feeds_app.command("list")(feeds_list)
    feeds_app.command("retire")(feeds_retire)
    feeds_app.command("schedule")(feeds_schedule)
    feeds_app.command("withdrawals")(feeds_withdrawals)
    feeds_app.command("accept-withdrawal")(feeds_accept_withdrawal)
