"""Commands on claims of other sources: ingest the curated file, add, list, show, compare.

Each parses its options and calls the claims library (tracker.claims, tracker.analysis.compare);
tracker.reports.claim_outputs words the result.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer

from tracker.commands.ingest import ObservedOption, QuietOption, WaitOption, note_runs, run_feed
from tracker.commands.options import DbOption, FormatOption
from tracker.errors import InvalidInput
from tracker.reports.options import By, OutputFormat

if TYPE_CHECKING:
    from sqlalchemy import Engine

# The filters `claims list` and `compare` share (compare filters "as in claims list").
ClaimSourceOption = Annotated[
    str | None,
    typer.Option(
        "--source",
        help="Only claims of these sources: a key, a key prefix (uk: uk-defence-intelligence, …) or a word of the name (UK).",
    ),
]
ClaimMetricOption = Annotated[str | None, typer.Option("--metric", help="Only claims of this metric.")]
ClaimKindOption = Annotated[str | None, typer.Option("--kind", help="Only this kind.")]
ClaimPeriodOption = Annotated[
    str | None,
    typer.Option(
        "--period", help="Only claims whose period overlaps this one (e.g. 2024, 2024-09, 2024-05-01/2024-06-30)."
    ),
]
ClaimSideOption = Annotated[
    str | None,
    typer.Option("--side", show_default=False, help="Only claims about this side's losses: russia or ukraine."),
]
ClaimsFromOption = Annotated[
    str | None,
    typer.Option(
        "--from", help="A claims CSV file or URL. Default: the curated claims shipped with tracker.", show_default=False
    ),
]


def _store(db: str | None) -> Engine:
    from tracker.config import resolve_db_url
    from tracker.store.db import open_store

    return open_store(resolve_db_url(db), write=False)


ClaimsFeedOption = Annotated[
    str | None,
    typer.Option(
        "--feed",
        metavar="NAME",
        show_default=False,
        help="The feed the file's claims belong to. Default: claims-file for the curated file, else the "
        "file's name (newsdesk.csv: newsdesk). Each file is its own feed: loading one never removes another's.",
    ),
]
ClaimsShrinkOption = Annotated[
    bool,
    typer.Option(
        "--allow-shrink",
        help="Apply at once the removals held by default as a likely broken file (every claim of the feed, "
        "or more than 3 at once: see `tracker feeds withdrawals`).",
    ),
]


def ingest_claims(
    location: ClaimsFromOption = None,
    feed: ClaimsFeedOption = None,
    observed_at: ObservedOption = None,
    db: DbOption = None,
    quiet: QuietOption = False,
    wait: WaitOption = 10.0,
    allow_shrink: ClaimsShrinkOption = False,
) -> None:
    """A claims file (the curated one by default) as its own feed: every claim in it, with
    revisions for edits and removals."""
    from tracker.config import resolve_db_url
    from tracker.ingest.feeds.claims import ClaimsFeed, default_feed

    url = resolve_db_url(db)
    claims_feed = ClaimsFeed(feed if feed is not None else default_feed(location), sources=lambda: _claimants(url))
    raise typer.Exit(
        run_feed(claims_feed, location, url, quiet=quiet, wait=wait, observed_at=observed_at, allow_shrink=allow_shrink)
    )


def claims_add(
    source: Annotated[
        str,
        typer.Option("--source", help="Who made the claim (a registered source key, e.g. uk-defence-intelligence)."),
    ],
    definition: Annotated[
        str,
        typer.Option("--definition", help="killed, wounded, killed_or_wounded, killed_confirmed_by_name or missing."),
    ],
    kind: Annotated[str, typer.Option("--kind", help="cumulative, period_total, daily_average, day or peak_day.")],
    period: Annotated[str, typer.Option("--period", help="YYYY-MM-DD, YYYY-MM, YYYY-Qn, YYYY or START/END.")],
    published: Annotated[
        str, typer.Option("--published", help="When it was published: YYYY-MM-DD, YYYY-MM, YYYY-Qn or YYYY.")
    ],
    best: Annotated[str | None, typer.Option("--best", help="The figure (or leave out and give --low/--high).")] = None,
    low: Annotated[str | None, typer.Option("--low", help="Lower end of a range.")] = None,
    high: Annotated[str | None, typer.Option("--high", help="Upper end of a range.")] = None,
    qualifier: Annotated[
        str | None, typer.Option("--qualifier", help="about, more than, at least, up to or less than.")
    ] = None,
    subject: Annotated[str, typer.Option("--subject", help="Whose losses: russia or ukraine.")] = "russia",
    metric: Annotated[str, typer.Option("--metric", help="Canonical metric.")] = "personnel",
    url: Annotated[str | None, typer.Option("--url", help="Where it was reported (http or https).")] = None,
    note: Annotated[str | None, typer.Option("--note", help="A short note in our own words.")] = None,
    based_on: Annotated[str | None, typer.Option("--based-on", help="What the claim says it is based on.")] = None,
    key: Annotated[
        str | None, typer.Option("--key", help="A stable key (default: made from source, published, kind and period).")
    ] = None,
    db: DbOption = None,
    wait: WaitOption = 10.0,
) -> None:
    """Add one claim (validated; refused if the store already holds it), as its own run."""
    from tracker.claims.claim import figure_label
    from tracker.claims.parse import claim_from_fields, default_key
    from tracker.config import resolve_db_url
    from tracker.errors import sanitize
    from tracker.ingest.run import ingest_claim

    fields = dict(
        claim_key=key if key is not None else default_key(source, published, kind, period),
        source=source, subject=subject, metric=metric, definition=definition, kind=kind, period=period,
        qualifier=qualifier, low=low, best=best, high=high, published=published, url=url, note=note,
        based_on=based_on,
    )  # fmt: skip
    store_url = resolve_db_url(db)
    claimants = _claimants(store_url)
    claim = claim_from_fields(fields, sources=claimants)
    report = ingest_claim(store_url, claim, lock_wait=wait, sources=claimants)
    note_runs([report])
    if report.status == "failed":
        print(f"error: {sanitize(report.error)}", file=sys.stderr)
    else:
        figure = figure_label(claim.qualifier, claim.low, claim.best, claim.high)
        print(
            sanitize(
                f"added claim {claim.key!r}: {figure} ({claim.definition}, {claim.kind} {claim.period}) "
                f"by {claim.source}, published {claim.published} — run {report.run_id}"
            )
        )
    raise typer.Exit(int(report.exit_code))


def claims_list(
    source: ClaimSourceOption = None,
    metric: ClaimMetricOption = None,
    kind: ClaimKindOption = None,
    period: ClaimPeriodOption = None,
    side: ClaimSideOption = None,
    fmt: FormatOption = OutputFormat.table,
    db: DbOption = None,
) -> None:
    """The current claims, oldest publication first."""
    from tracker.claims.queries import list_claims
    from tracker.reports.claim_outputs import claims_list_output

    rows = list_claims(_store(db), source=source, metric=metric, kind=kind, period=period, subject=_side(side))
    print(claims_list_output(rows, OutputFormat(fmt).value))


def claims_show(
    ident: Annotated[str, typer.Argument(metavar="ID", help="A claim's id (as `claims list` shows) or its key.")],
    fmt: FormatOption = OutputFormat.table,
    db: DbOption = None,
) -> None:
    """One claim: every field, and every revision the store has kept of it (CSV: a row per revision)."""
    from tracker.claims.queries import claim_history
    from tracker.reports.claim_outputs import claim_history_output

    print(claim_history_output(claim_history(_store(db), ident.strip()), OutputFormat(fmt).value))


ConventionOption = Annotated[
    By | None,
    typer.Option(
        "--convention",
        case_sensitive=False,
        show_default=False,
        help="Judge every claim by this date convention (covered or report). Default: each claim by "
        "its source's (`tracker sources list`: UK Defence Intelligence dates by covered day).",
    ),
]


SeriesOption = Annotated[
    str | None,
    typer.Option(
        "--series",
        metavar="SOURCE",
        show_default=False,
        help="Instead of claims: a stored series beside the General Staff's. A confirmed series (oryx): per "
        "snapshot date and mapped category, claimed, confirmed and their ratio. Any other series of cumulative "
        "totals (a CSV source): per date, its figure, the General Staff's, difference, ratio and verdict.",
    ),
]
SideOption = Annotated[
    str | None,
    typer.Option(
        "--side",
        show_default=False,
        help="Whose losses: russia (default: claims judged against the General Staff series) or ukraine "
        "(claims set beside each other, as no daily series of Ukraine's losses exists). With --series: "
        "whose confirmed losses (the General Staff reports Russia's losses only).",
    ),
]
AllOption = Annotated[
    bool, typer.Option("--all", help="With --series: every snapshot date, not only each category's latest.")
]
SnapshotSinceOption = Annotated[
    str | None,
    typer.Option("--since", metavar="YYYY-MM-DD", show_default=False, help="With --series: first snapshot date."),
]
SnapshotUntilOption = Annotated[
    str | None,
    typer.Option("--until", metavar="YYYY-MM-DD", show_default=False, help="With --series: last snapshot date."),
]


CompareSourceOption = Annotated[
    str | None,
    typer.Option(
        "--source",
        help="Only claims of these sources: a source key, a key prefix (uk: uk-defence-intelligence, uk-fcdo, …) "
        "or a word of the source's name (UK).",
    ),
]
SortOption = Annotated[
    str | None,
    typer.Option(
        "--sort",
        metavar="distance|ratio|date|source",
        show_default=False,
        help="Row order: distance (furthest from the series first, either direction, by |diff %|), ratio "
        "(highest first), date (oldest publication first, the default) or source.",
    ),
]
SORTS = ("distance", "ratio", "date", "source")


CompareMetricOption = Annotated[
    str | None,
    typer.Option("--metric", help="Only claims of this metric; with --series, only this category (e.g. tanks)."),
]


def compare(
    source: CompareSourceOption = None,
    metric: CompareMetricOption = None,
    kind: ClaimKindOption = None,
    period: ClaimPeriodOption = None,
    fmt: FormatOption = OutputFormat.table,
    explain: Annotated[
        bool, typer.Option("--explain", help="Under the table, how each series figure was computed.")
    ] = False,
    convention: ConventionOption = None,
    feed: Annotated[
        str | None,
        typer.Option(
            "--feed", help="Which General Staff feed (default: $TRACKER_FEED where it exists, else ua-dataset)."
        ),
    ] = None,
    series: SeriesOption = None,
    side: SideOption = None,
    every: AllOption = False,
    since: SnapshotSinceOption = None,
    until: SnapshotUntilOption = None,
    sort: SortOption = None,
    db: DbOption = None,
) -> None:
    """Each claim against the General Staff's daily series, judged by its source's date convention
    (both conventions' figures in JSON and CSV); with --series oryx, the General Staff's claimed
    equipment totals beside Oryx's visually confirmed ones; with --series SOURCE (a stored series
    of cumulative totals), its figure at each of its dates beside the General Staff's."""
    if sort is not None and sort not in SORTS:
        raise InvalidInput(f"--sort {sort[:40]!r}: use {', '.join(SORTS)}")
    if series is not None:
        if source or kind or period or explain or convention or feed or sort:
            raise InvalidInput(
                "--series compares two series, not claims: leave out --source, --kind, --period, "
                "--explain, --convention, --feed and --sort"
            )
        _compare_series(series, metric, side, every, since, until, OutputFormat(fmt).value, db)
        return
    if every or since is not None or until is not None:
        raise InvalidInput("--all, --since and --until go with --series (e.g. tracker compare --series oryx)")
    if _side(side) == "ukraine":
        if sort is not None:
            raise InvalidInput("--sort orders claims judged against a series: leave it out with --side ukraine")
        return _compare_side(source, metric, kind, period, OutputFormat(fmt).value, db, explain or convention or feed)
    _compare_claims(
        source, metric, kind, period, OutputFormat(fmt).value, explain, convention, feed, sort or "date", db
    )


def _compare_claims(
    source: str | None, metric: str | None, kind: str | None, period: str | None, fmt: str, explain: bool,
    convention: By | None, feed: str | None, sort: str, db: str | None,
) -> None:  # fmt: skip
    """`compare` of claims about Russia's losses: those the filters keep (--source by key, prefix
    or name) against the General Staff's personnel series, in `sort` order, fitted to the terminal."""
    from tracker.analysis.compare import CLOSE_TOLERANCE
    from tracker.reports.claim_outputs import compare_output
    from tracker.reports.comparison import compare_rows

    chosen = By(convention).value if convention is not None else None
    engine = _store(db)
    try:
        found = compare_rows(
            engine, source=source, metric=metric, kind=kind, period=period, convention=chosen, feed=feed, sort=sort
        )
    finally:
        engine.dispose()
    print(
        compare_output(
            found.rows, fmt, latest=found.latest, explain=explain, tolerance=CLOSE_TOLERANCE, convention=chosen,
            width=_terminal_width(), order=sort,
        )
    )  # fmt: skip


def _side(side: str | None) -> str | None:
    """`--side` checked: russia, ukraine or not given."""
    from tracker.claims.claim import SUBJECTS

    if side is None:
        return None
    if side.strip().lower() not in SUBJECTS:
        raise InvalidInput(f"--side {side[:40]!r}: use one of {', '.join(SUBJECTS)}")
    return side.strip().lower()


def _compare_side(
    source: str | None, metric: str | None, kind: str | None, period: str | None, fmt: str, db: str | None,
    series_options: object, side: str = "ukraine",
) -> None:  # fmt: skip
    """`compare --side ukraine`: the claims about that side's losses beside each other, group by
    group (tracker.analysis.sidebyside), as no daily series exists to judge them by (the General
    Staff's series counts Russia's losses: `compare` without it judges the claims about those)."""
    if series_options:
        raise InvalidInput(
            f"--side {side} sets claims beside each other, not against a series: leave out --explain, "
            "--convention and --feed"
        )
    from tracker.analysis.sidebyside import claims_side_by_side
    from tracker.claims.queries import claims_frame
    from tracker.reports.side_by_side import side_by_side_output

    claims = claims_frame(_store(db), source=source, metric=metric, kind=kind, period=period, subject=side)
    frame = claims_side_by_side(claims)
    rows = cast("list[dict[str, Any]]", frame.to_dict("records"))
    print(side_by_side_output(rows, fmt, side=side))


def _compare_series(
    series: str, metric: str | None, side: str | None, every: bool, since: str | None, until: str | None, fmt: str,
    db: str | None,
) -> None:  # fmt: skip
    """`compare --series`: the General Staff's claimed totals beside a confirmed series, per
    snapshot date and category the series' types file maps (tracker.reports.claimed_confirmed)."""
    from tracker.reports.claim_outputs import confirmed_output, series_compare_output
    from tracker.reports.claimed_confirmed import claimed_confirmed_frame, series_comparison_frame
    from tracker.reports.options import parse_date
    from tracker.store.typemap import load_typemap

    if load_typemap(series) is None:  # a series of the General Staff's own categories (a CSV source)
        if every:
            raise InvalidInput(f"--all goes with a confirmed series (oryx); --series {series[:40]} lists every date")
        found = series_comparison_frame(
            _store(db), series, metric=metric, side=side or "russia", since=parse_date(since, "--since"),
            until=parse_date(until, "--until"),
        )  # fmt: skip
        rows = cast("list[dict[str, Any]]", found.to_dict("records"))
        print(series_compare_output(rows, fmt, source=series, side=side or "russia", dates_by=found.attrs["dates_by"]))
        return
    frame = claimed_confirmed_frame(
        _store(db), series, metric=metric, side=side or "russia", since=parse_date(since, "--since"),
        until=parse_date(until, "--until"), every=every,
    )  # fmt: skip
    rows = cast("list[dict[str, Any]]", frame.to_dict("records"))
    print(
        confirmed_output(
            rows, fmt, confirmer=series, side=side or "russia", claimant_sides=frame.attrs["claimant_sides"],
            latest_only=frame.attrs["latest_only"],
        )
    )  # fmt: skip


def _terminal_width() -> int | None:
    """The width a table must fit: $COLUMNS, else the terminal's; None (no limit) when the output
    goes to a file or pipe and $COLUMNS is unset."""
    import os
    import shutil

    if not os.environ.get("COLUMNS") and not sys.stdout.isatty():
        return None
    return shutil.get_terminal_size((120, 24)).columns


def _claimants(url: str) -> set[str]:
    """Sources a claim may name: the registry file's and, if the store exists, those it records
    (`tracker sources add`)."""
    from tracker.store.sources import sources_for_run

    return set(sources_for_run(url))


def register(app: typer.Typer, ingest_app: typer.Typer, claims_app: typer.Typer) -> None:
    """Add `ingest claims`, `claims add|list|show` and `compare`."""
    ingest_app.command("claims")(ingest_claims)
    claims_app.command("add")(claims_add)
    claims_app.command("list")(claims_list)
    claims_app.command("show")(claims_show)
    app.command("compare")(compare)
