"""Commands that fill and inspect the store: ingest, status, latest, findings, db."""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from tracker.commands.options import DbOption, parse_date
from tracker.errors import ExitCode, InvalidInput
from tracker.render import sanitize as printable

if TYPE_CHECKING:
    from tracker.feeds import Feed
    from tracker.ingest import RunReport

QuietOption = typer.Option(False, "--quiet", "-q", help="Print one log line per run (for cron).")


def _check_wait(value: float) -> float:
    """--wait must be a finite number of seconds, at least 0 (`--wait nan` would wait forever)."""
    if not math.isfinite(value) or value < 0:
        raise typer.BadParameter(f"expected a finite number of seconds, at least 0, not {value}")
    return value


WaitOption = typer.Option(
    10.0,
    "--wait",
    callback=_check_wait,
    help="Seconds to wait for another run's writer lock before giving up (exit 7).",
)
AllowShrinkOption = typer.Option(
    False,
    "--allow-shrink",
    help="Accept a snapshot that removes more than 2% of what the store holds for the feed, or a "
    "whole series (refused by default as a likely broken upstream file, exit 5).",
)
ObservedOption = typer.Option(
    None,
    "--observed-at",
    help="Ingest as if fetched at this time (ISO 8601, UTC if no offset): backfills archived snapshots "
    "with their true history. Snapshots must be ingested in time order.",
    show_default=False,
)
SNAPSHOT_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:?\d{2}(?::?\d{2})?)")


def parse_moment(text: str) -> dt.datetime:
    """An ISO 8601 moment; '2023-01-12T1204' (as in snapshot folder names) is accepted too."""
    value = text.strip()
    match = re.fullmatch(r"(\d{4}-\d{2}-\d{2})T(\d{2})(\d{2})(\d{2})?", value)
    if match:
        value = f"{match[1]}T{match[2]}:{match[3]}" + (f":{match[4]}" if match[4] else "")
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(
            f"not an ISO 8601 time: {text!r} (e.g. 2023-01-12T12:04 or 2023-01-12T12:04:00+00:00)"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _print_report(report, quiet: bool) -> None:  # type: ignore[no-untyped-def]
    if report.status == "failed":
        print(f"error: {printable(report.summary())}", file=sys.stderr)
        return
    stamp = f"{report.observed_at:%Y-%m-%dT%H:%M:%SZ} " if quiet else ""
    print(stamp + printable(report.summary()))
    if quiet:
        return
    shown = report.new_findings[:20]
    for f in shown:
        where = " ".join(x for x in (f.metric or "", f.report_date.isoformat() if f.report_date else "") if x)
        print(printable(f"  {f.severity:<7} {f.rule:<17} {where:<28} {f.message}"))
    if len(report.new_findings) > len(shown):
        print(f"  … and {len(report.new_findings) - len(shown):,} more: tracker findings")


def _ingest(
    feed: Feed,
    location: str | None,
    db: str | None,
    *,
    wait: float,
    observed_at: str | None,
    source: str | None = None,
    fetch_options: dict | None = None,
    allow_shrink: bool = False,
) -> RunReport:
    from tracker.config import resolve_db_url
    from tracker.ingest import run_ingest

    return run_ingest(
        resolve_db_url(db),
        feed,
        location=location,
        source=source,
        observed_at=parse_moment(observed_at) if observed_at else None,
        fetch_options=fetch_options,
        lock_wait=wait,
        allow_shrink=allow_shrink,
    )


def run_feed(
    feed: Feed,
    location: str | None,
    db: str | None,
    *,
    quiet: bool,
    wait: float,
    observed_at: str | None,
    source: str | None = None,
    fetch_options: dict | None = None,
    allow_shrink: bool = False,
) -> int:
    """Run one ingest and print its summary; returns the exit code."""
    report = _ingest(
        feed,
        location,
        db,
        wait=wait,
        observed_at=observed_at,
        source=source,
        fetch_options=fetch_options,
        allow_shrink=allow_shrink,
    )
    _print_report(report, quiet)
    return int(report.exit_code)


def _snapshot_folders(root: Path) -> list[tuple[Path, dt.datetime]]:
    found = []
    for child in sorted(p for p in root.iterdir() if p.is_dir()):
        match = SNAPSHOT_NAME.match(child.name)
        if not match:
            raise InvalidInput(
                f"{child}: snapshot folder names must start with their fetch time, e.g. 2023-01-12T1204_day323"
            )
        found.append((child, parse_moment(match[1])))
    if not found:
        raise InvalidInput(f"{root}: no snapshot folders")
    return sorted(found, key=lambda item: item[1])


def register(app: typer.Typer, ingest_app: typer.Typer, db_app: typer.Typer) -> None:
    """Add ingest, status, latest, findings and db commands."""

    @ingest_app.command("dataset")
    def ingest_dataset(
        location: str | None = typer.Option(
            None,
            "--from",
            help="A local folder or file of the dataset, or a base URL. Default: the live dataset on GitHub.",
            show_default=False,
        ),
        snapshots: bool = typer.Option(
            False,
            "--snapshots",
            help="--from is a folder of snapshot folders named by fetch time "
            "(as kept by git scraping, e.g. 2023-01-12T1204_day323): ingest each in order as observed then.",
        ),
        observed_at: str | None = ObservedOption,
        db: DbOption = None,
        quiet: bool = QuietOption,
        wait: float = WaitOption,
        allow_shrink: bool = AllowShrinkOption,
    ) -> None:
        """The open General Staff dataset: personnel, equipment and corrections."""
        from tracker.feeds.dataset import DatasetFeed

        if not snapshots:
            raise typer.Exit(
                run_feed(
                    DatasetFeed(),
                    location,
                    db,
                    quiet=quiet,
                    wait=wait,
                    observed_at=observed_at,
                    allow_shrink=allow_shrink,
                )
            )
        if not location or observed_at:
            raise InvalidInput("--snapshots needs --from FOLDER and takes each snapshot's time from its name")
        folders = _snapshot_folders(Path(location))
        reports = []
        show_bar = sys.stderr.isatty() and not quiet
        with typer.progressbar(folders, label="snapshots", file=sys.stderr, hidden=not show_bar) as bar:
            for folder, moment in bar:
                reports.append(
                    _ingest(
                        DatasetFeed(),
                        str(folder),
                        db,
                        wait=wait,
                        observed_at=moment.isoformat(),
                        allow_shrink=allow_shrink,
                    )
                )
                if reports[-1].exit_code not in (ExitCode.OK, ExitCode.FINDINGS):
                    break
        for report in reports:
            _print_report(report, quiet=True)
        raise typer.Exit(max(int(r.exit_code) for r in reports))

    @ingest_app.command("api")
    def ingest_api(
        location: str | None = typer.Option(
            None,
            "--from",
            help="A local JSON file or folder of API responses, or the API base URL. "
            "Default: https://russianwarship.rip/api/v2",
            show_default=False,
        ),
        since: str | None = typer.Option(None, "--since", help="First report date to fetch (YYYY-MM-DD)."),
        until: str | None = typer.Option(None, "--until", help="Last report date to fetch (YYYY-MM-DD)."),
        observed_at: str | None = ObservedOption,
        db: DbOption = None,
        quiet: bool = QuietOption,
        wait: float = WaitOption,
        allow_shrink: bool = AllowShrinkOption,
    ) -> None:
        """The russianwarship.rip API v2: totals with the reported daily increase.

        Without dates it fetches the latest report; with --since/--until it pages through the range.
        """
        from tracker.feeds.warship import WarshipFeed

        date_from, date_to = parse_date(since, "--since"), parse_date(until, "--until")
        if date_from and not date_to:
            date_to = dt.date.today()
        if date_to and not date_from:
            raise InvalidInput("--until needs --since")
        if date_from and date_to and date_from > date_to:
            raise InvalidInput(f"--since {date_from} is after --until {date_to}")
        options: dict = {"date_from": date_from, "date_to": date_to}
        if sys.stderr.isatty() and not quiet:
            options["progress"] = lambda pages: print(f"\rfetched {pages} page(s)", end="", file=sys.stderr, flush=True)
        code = run_feed(
            WarshipFeed(),
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

    @ingest_app.command("csv")
    def ingest_csv(
        location: str = typer.Option(
            ..., "--from", help="A CSV file (or URL) with header report_date,metric,value[,qualifier]."
        ),
        source: str = typer.Option("ua-general-staff", "--source", help="Who makes these claims (a source key)."),
        observed_at: str | None = ObservedOption,
        db: DbOption = None,
        quiet: bool = QuietOption,
        wait: float = WaitOption,
    ) -> None:
        """A plain CSV of cumulative totals: a person's own data, or the bundled sample."""
        from tracker.feeds.csvfeed import CsvFeed

        if not re.fullmatch(r"[a-z0-9][a-z0-9._-]{0,63}", source):
            raise InvalidInput(
                f"--source must be a short key of lowercase letters, digits, '.', '_' or '-': {source[:80]!r}"
            )
        raise typer.Exit(
            run_feed(CsvFeed(), location, db, quiet=quiet, wait=wait, observed_at=observed_at, source=source)
        )

    @app.command("status")
    def status(
        db: DbOption = None,
        as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
        stale_hours: float = typer.Option(36.0, "--stale-hours", help="Warn when a feed's last success is older."),
    ) -> None:
        """Per feed: role, last successful run, latest report date, staleness and open findings.

        Only the feeds the daily job runs are judged (see `tracker feeds list`): one is stale when
        its last success or its latest report is older than --stale-hours. Exits 3 when a judged
        feed is stale or its last run failed, so cron can alert; one-off feeds never do.
        """
        from tracker.config import resolve_db_url
        from tracker.store.db import open_store
        from tracker.store.queries import feed_status

        rows = feed_status(open_store(resolve_db_url(db), write=False), stale_hours=stale_hours)
        if as_json:
            print(json.dumps(rows, indent=2))
        elif not rows:
            print("The store is empty: run `tracker ingest dataset` (see --help).")
        for row in [] if as_json else rows:
            findings = ", ".join(f"{n:,} {sev}" for sev, n in sorted(row["open_findings"].items())) or "none"
            age = row["hours_since_success"]
            report_age = row["latest_report_age_hours"]
            if not row["judged"]:
                state = f"{row['role']}, not judged"
            elif not row["stale"]:
                state = "fresh"
            elif age is None:
                state = "STALE: no successful run yet"
            elif age > stale_hours:
                state = f"STALE: last success {age:.1f} h ago (warn past {stale_hours:g} h)"
            else:
                state = f"STALE: latest report is {report_age / 24:.1f} days old (warn past {stale_hours:g} h)"
            print(f"{row['feed']} ({row['source']}): {state}")
            print(
                f"  last success   {row['last_success'] or 'never'}"
                + (f" ({age:.1f} h ago)" if age is not None else "")
            )
            print(f"  latest report  {row['latest_report_date'] or '—'}")
            print(
                f"  last run       {row['last_run_status'] or '—'}"
                + (f": {printable(row['last_run_error'])}" if row["last_run_status"] == "failed" else "")
            )
            print(f"  open findings  {findings}")
        bad = any(r["judged"] and (r["stale"] or r["last_run_status"] == "failed") for r in rows)
        raise typer.Exit(int(ExitCode.FINDINGS) if bad else 0)

    @app.command("latest")
    def latest(
        source: str = typer.Option("ua-general-staff", "--source", help="Whose figures."),
        feed: str | None = typer.Option(None, "--feed", help="Which feed of the source (default: the fullest)."),
        db: DbOption = None,
        as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
    ) -> None:
        """The latest report's totals and increases, for every category."""
        from tracker.config import resolve_db_url
        from tracker.store.db import open_store
        from tracker.store.queries import latest_figures

        rows = latest_figures(open_store(resolve_db_url(db), write=False), source=source, feed=feed)
        if as_json:
            print(json.dumps(rows, indent=2))
            return
        print(printable(f"Latest figures of {source}:"))
        for r in rows:
            inc = f"+{r['increase']:,}" if r["increase"] is not None else "—"
            span = f" over {r['days_since_previous']} days" if (r["days_since_previous"] or 1) > 1 else ""
            qual = f" ({r['qualifier']})" if r["qualifier"] else ""
            print(
                printable(f"  {r['label']:<38} {r['total']:>12,}{qual:<8} {inc:>9}{span}   report {r['report_date']}")
            )

    @app.command("findings")
    def findings(
        db: DbOption = None,
        status_filter: str = typer.Option("open", "--status", help="open, resolved or all."),
        rule: str | None = typer.Option(None, "--rule", help="Only this rule (e.g. outlier, coarse)."),
        metric: str | None = typer.Option(None, "--metric", help="Only this metric."),
        limit: int = typer.Option(50, "--limit", help="At most this many rows (0: all)."),
        as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
    ) -> None:
        """Validation findings: doubtful points flagged (never changed or dropped) by ingest."""
        from tracker.config import resolve_db_url
        from tracker.store.db import open_store
        from tracker.store.queries import list_findings

        if status_filter not in ("open", "resolved", "all"):
            raise InvalidInput("--status must be open, resolved or all")
        rows = list_findings(
            open_store(resolve_db_url(db), write=False),
            status=status_filter,
            rule=rule,
            metric=metric,
            limit=limit or None,
        )
        if as_json:
            print(json.dumps(rows, indent=2))
            return
        for r in rows:
            print(
                printable(
                    f"{r['feed']:<18} {r['severity']:<7} {r['rule']:<17} {r['metric'] or '':<20} "
                    f"{r['report_date'] or '':<10}  {r['message']}"
                )
            )
        print(f"({len(rows):,} finding(s) shown)")

    @db_app.command("upgrade")
    def db_upgrade(db: DbOption = None) -> None:
        """Create the store, or migrate it to the current schema."""
        from tracker.config import resolve_db_url
        from tracker.store.db import make_engine, safe_url, upgrade

        url = resolve_db_url(db)
        print(f"{safe_url(url)}: {upgrade(make_engine(url))}")

    @db_app.command("current")
    def db_current(db: DbOption = None) -> None:
        """Show the store's schema revision and the one this tracker needs."""
        from tracker.config import resolve_db_url
        from tracker.store.db import make_engine, safe_url, schema_revision, sqlite_file_missing
        from tracker.store.models import SCHEMA_REVISION

        url = resolve_db_url(db)
        current = None if sqlite_file_missing(url) else schema_revision(make_engine(url))
        state = "up to date" if current == SCHEMA_REVISION else "run `tracker db upgrade`"
        print(f"{safe_url(url)}: {current or 'empty'} (needs {SCHEMA_REVISION}: {state})")

    feeds_app = typer.Typer(
        help="The feeds in the store and which of them `tracker status` judges.", no_args_is_help=True
    )
    app.add_typer(feeds_app, name="feeds")
    feeds_app.command("list")(feeds_list)
    feeds_app.command("retire")(feeds_retire)
    feeds_app.command("schedule")(feeds_schedule)
    app.command("daily")(daily)


def feeds_list(
    db: DbOption = None,
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Every feed with its role: daily (judged by `tracker status`), one-off or retired."""
    from tracker.config import resolve_db_url
    from tracker.store.db import open_store
    from tracker.store.queries import feed_status

    rows = feed_status(open_store(resolve_db_url(db), write=False))
    if as_json:
        keys = ("feed", "source", "role", "last_success", "last_run_status", "latest_report_date")
        print(json.dumps([{k: r[k] for k in keys} for r in rows], indent=2))
        return
    for r in rows:
        print(
            printable(
                f"{r['feed']:<20} {r['source']:<20} {r['role']:<8} last success {r['last_success'] or 'never'}, "
                f"last run {r['last_run_status'] or '—'}"
            )
        )
    print(f"({len(rows)} feed(s))")


FeedNameArgument = typer.Argument(..., help="The feed's name, as `tracker feeds list` shows it.")
FeedSourceOption = typer.Option(None, "--source", help="Only the feed of this source (a name may serve several).")


def feeds_retire(name: str = FeedNameArgument, source: str | None = FeedSourceOption, db: DbOption = None) -> None:
    """Stop judging a feed in `tracker status` (its data stays; `tracker feeds schedule` undoes it)."""
    _set_role(name, "retired", source, db)


def feeds_schedule(name: str = FeedNameArgument, source: str | None = FeedSourceOption, db: DbOption = None) -> None:
    """Judge a feed in `tracker status` as one that runs daily (e.g. one you ingest from your own cron)."""
    _set_role(name, "daily", source, db)


def _set_role(name: str, role: str, source: str | None, db: str | None) -> None:
    from tracker.config import resolve_db_url
    from tracker.store.db import open_store
    from tracker.store.queries import set_feed_role

    for changed in set_feed_role(open_store(resolve_db_url(db), write=True), name, role, source=source):
        print(printable(f"{changed}: {role}"))


def daily(
    dataset_from: str | None = typer.Option(
        None,
        "--dataset-from",
        help="Where to read the General Staff dataset: a mirror's base URL or a local folder. "
        "Default: $TRACKER_DATASET_FROM, else the live dataset on GitHub.",
        show_default=False,
    ),
    claims_from: str | None = typer.Option(
        None,
        "--claims-from",
        help="The claims file: a path or URL. Default: $TRACKER_CLAIMS_FROM, else the curated file shipped with tracker.",
        show_default=False,
    ),
    charts_dir: Path | None = typer.Option(
        None,
        "--charts-dir",
        help="Where to redraw the standard charts. Default: $TRACKER_CHARTS_DIR; no charts when neither is set.",
        show_default=False,
    ),
    db: DbOption = None,
    wait: float = WaitOption,
    allow_shrink: bool = AllowShrinkOption,
) -> None:
    """The morning job for cron: ingest the dataset and the claims file, then redraw the charts.

    Prints one line per step and runs every step even after a failure. Exits with the first failing
    step's code (4 unreachable, 5 bad payload, 6 store, 7 busy), else 3 when a step recorded new
    findings, else 0. The feeds it runs are the ones `tracker status` judges.
    """
    from tracker.config import resolve_db_url
    from tracker.daily import DailySettings, StepResult, overall_exit_code, run_daily

    for name, value in (("--dataset-from", dataset_from), ("--claims-from", claims_from)):
        if value is not None and not value.strip():
            raise InvalidInput(f"{name} is empty: give a path or URL, or leave it out for the default")
    settings = DailySettings.from_env(
        dataset_from=dataset_from, claims_from=claims_from, charts_dir=charts_dir, wait=wait, allow_shrink=allow_shrink
    )

    def show(step: StepResult) -> None:
        print(printable(step.line), file=sys.stdout if step.exit_code in (0, 3) else sys.stderr, flush=True)

    raise typer.Exit(overall_exit_code(run_daily(resolve_db_url(db), settings, on_step=show)))
