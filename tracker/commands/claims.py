"""Commands on claims of other sources: ingest the curated file, add, list, show, compare."""

from __future__ import annotations

import math
import re
import sys
import textwrap
from collections.abc import Sequence
from typing import Annotated

import typer

from tracker.commands.options import DbOption
from tracker.commands.store import ObservedOption, QuietOption, WaitOption, run_feed
from tracker.errors import InvalidInput
from tracker.render import sanitize as printable

FORMATS = ("table", "json", "csv")
VERDICT_RULE = (
    "Verdicts (the claim against the series): agrees = within the rounding the claim's digits imply "
    "(at least two significant figures) or its low-high range; consistent = its 'more than' / 'up to' "
    "holds; close = within {tol:.0%} (never for single or peak days); higher / lower = the claim is "
    "higher / lower. covered: days as UK Defence Intelligence counts them (the report of D+1 gives "
    "day D); report: figures dated by their report (as news coverage does)."
)


# The filters `claims list` and `compare` share (the issue: compare filters "as in claims list").
ClaimSourceOption = Annotated[str | None, typer.Option("--source", help="Only claims of this source.")]
ClaimMetricOption = Annotated[str | None, typer.Option("--metric", help="Only claims of this metric.")]
ClaimKindOption = Annotated[str | None, typer.Option("--kind", help="Only this kind.")]
ClaimPeriodOption = Annotated[
    str | None,
    typer.Option(
        "--period", help="Only claims whose period overlaps this one (e.g. 2024, 2024-09, 2024-05-01/2024-06-30)."
    ),
]
ClaimFormatOption = Annotated[str, typer.Option("--format", help="table, json or csv.")]


def _db(db: str | None) -> str:
    from tracker.config import resolve_db_url

    return resolve_db_url(db)


def _check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise InvalidInput(f"--format must be one of {', '.join(FORMATS)}, not {printable(fmt[:40])!r}")
    return fmt


def _cell(value: object, limit: int | None = None) -> str:
    """One value for a person: thousands separators, ISO dates, '—' when missing, made safe."""
    from tracker.render import format_value

    if isinstance(value, float) and not math.isnan(value) and not value.is_integer():
        return f"{value:,.2f}"
    text = format_value(value) or "—"
    return text if limit is None or len(text) <= limit else text[: limit - 1] + "…"


def _ratio(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{float(value):.4f}"  # type: ignore[arg-type]  # ratios near 1 are the interesting ones


def _table_column(values: list[object], key: str, limit: int | None) -> list[object]:
    """A column's cells: numbers as right-aligned text (2 decimals, ratios 4), other text cut to `limit`."""
    numbers = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    if numbers and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in numbers):
        cells = [_ratio(v) if key.endswith("ratio") else _cell(v) for v in values]
        width = max(len(c) for c in cells)
        return [c.rjust(width) for c in cells]
    return [_cell(v, limit) for v in values]


def print_records(
    rows: Sequence[dict],
    fmt: str,
    columns: Sequence[tuple[str, str, int | None]],
    fields: Sequence[str],
    *,
    notes: Sequence[str] = (),
) -> None:
    """Rows in the chosen format (tracker.render): a table of `columns` (title, key, width limit)
    with `notes` under it, or every one of `fields` as JSON or CSV."""
    from tracker.render import render_csv, render_json, render_table

    if fmt == "json":
        print(render_json([{f: r.get(f) for f in fields} for r in rows]))
    elif fmt == "csv":
        sys.stdout.write(render_csv(rows, list(fields)))
    else:
        keys = [key for _, key, _ in columns]
        cols = {key: _table_column([r.get(key) for r in rows], key, limit) for _, key, limit in columns}
        cells = [{key: cols[key][i] for key in keys} for i in range(len(rows))]
        print(render_table(cells, keys, headers={key: title for title, key, _ in columns}, notes=notes))


def _slug(*parts: str) -> str:
    text = "-".join(p for p in parts if p).lower().replace("/", "-to-")
    text = re.sub(r"[^a-z0-9._-]+", "-", text).strip("-._")
    return text[:128] or "claim"


LIST_FIELDS = [
    "id",
    "key",
    "source",
    "source_name",
    "subject",
    "metric",
    "definition",
    "kind",
    "period",
    "qualifier",
    "low",
    "best",
    "high",
    "figure",
    "published",
    "url",
    "based_on",
    "note",
    "feed",
    "revision",
    "entered_at",
    "revised_at",
]
LIST_COLUMNS = [
    ("id", "id", None),
    ("source", "source", 26),
    ("published", "published", None),
    ("kind", "kind", None),
    ("period", "period", None),
    ("definition", "definition", None),
    ("figure", "figure", 24),
    ("note", "note", 60),
]
COMPARE_FIELDS = [
    "id",
    "key",
    "source",
    "subject",
    "metric",
    "definition",
    "kind",
    "period",
    "qualifier",
    "low",
    "best",
    "high",
    "figure",
    "claim_value",
    "rounding",
    "published",
    "comparable",
    "reason",
    "covered_series",
    "covered_series_low",
    "covered_series_high",
    "covered_day",
    "covered_diff",
    "covered_ratio",
    "covered_verdict",
    "covered_basis",
    "report_series",
    "report_series_low",
    "report_series_high",
    "report_day",
    "report_diff",
    "report_ratio",
    "report_verdict",
    "report_basis",
]
COMPARE_COLUMNS = [
    ("id", "id", None),
    ("source", "source", 26),
    ("kind", "kind", None),
    ("period", "period", None),
    ("claim", "figure", 24),
    ("covered", "covered_series", None),
    ("ratio", "covered_ratio", None),
    ("verdict", "covered_verdict", None),
    ("report", "report_series", None),
    ("ratio", "report_ratio", None),
    ("verdict", "report_verdict", None),
]


def register(app: typer.Typer, ingest_app: typer.Typer) -> None:
    """Add `ingest claims`, `claims add|list|show` and `compare`."""
    claims_app = typer.Typer(
        help="Claims of other sources: curated in data/claims/claims.csv or added here.", no_args_is_help=True
    )
    app.add_typer(claims_app, name="claims")

    @ingest_app.command("claims")
    def ingest_claims(
        location: str | None = typer.Option(
            None,
            "--from",
            help="A claims CSV file or URL. Default: the repository's data/claims/claims.csv.",
            show_default=False,
        ),
        observed_at: str | None = ObservedOption,
        db: DbOption = None,
        quiet: bool = QuietOption,
        wait: float = WaitOption,
    ) -> None:
        """The curated claims file: every claim in it, with revisions for edits and removals."""
        from tracker.feeds.claims import ClaimsFeed

        raise typer.Exit(run_feed(ClaimsFeed(), location, db, quiet=quiet, wait=wait, observed_at=observed_at))

    @claims_app.command("add")
    def claims_add(
        source: str = typer.Option(
            ..., "--source", help="Who made the claim (a registered source key, e.g. uk-defence-intelligence)."
        ),
        definition: str = typer.Option(
            ..., "--definition", help="killed, wounded, killed_or_wounded or killed_confirmed_by_name."
        ),
        kind: str = typer.Option(..., "--kind", help="cumulative, period_total, daily_average, day or peak_day."),
        period: str = typer.Option(..., "--period", help="YYYY-MM-DD, YYYY-MM, YYYY-Qn, YYYY or START/END."),
        published: str = typer.Option(
            ..., "--published", help="When it was published: YYYY-MM-DD, YYYY-MM, YYYY-Qn or YYYY."
        ),
        best: str | None = typer.Option(None, "--best", help="The figure (or leave out and give --low/--high)."),
        low: str | None = typer.Option(None, "--low", help="Lower end of a range."),
        high: str | None = typer.Option(None, "--high", help="Upper end of a range."),
        qualifier: str | None = typer.Option(
            None, "--qualifier", help="about, more than, at least, up to or less than."
        ),
        subject: str = typer.Option("russia", "--subject", help="Whose losses: russia or ukraine."),
        metric: str = typer.Option("personnel", "--metric", help="Canonical metric."),
        url: str | None = typer.Option(None, "--url", help="Where it was reported (http or https)."),
        note: str | None = typer.Option(None, "--note", help="A short note in our own words."),
        based_on: str | None = typer.Option(None, "--based-on", help="What the claim says it is based on."),
        key: str | None = typer.Option(
            None, "--key", help="A stable key (default: made from source, published, kind and period)."
        ),
        db: DbOption = None,
        wait: float = WaitOption,
    ) -> None:
        """Add one claim (validated; refused if the store already holds it), as its own run."""
        from tracker.claims.store import add_claim
        from tracker.claims.validate import claim_from_fields

        fields = {
            "claim_key": key if key is not None else _slug(source, published, kind, period),
            "source": source,
            "subject": subject,
            "metric": metric,
            "definition": definition,
            "kind": kind,
            "period": period,
            "qualifier": qualifier,
            "low": low,
            "best": best,
            "high": high,
            "published": published,
            "url": url,
            "note": note,
            "based_on": based_on,
        }
        claim = claim_from_fields(fields)
        report = add_claim(_db(db), claim, lock_wait=wait)
        if report.status == "failed":
            print(f"error: {printable(report.error)}", file=sys.stderr)
        else:
            from tracker.claims.records import figure_label

            print(
                printable(
                    f"added claim {claim.key!r}: {figure_label(claim.qualifier, claim.low, claim.best, claim.high)}"
                    f" ({claim.definition}, {claim.kind} {claim.period}) by {claim.source}, "
                    f"published {claim.published} — run {report.run_id}"
                )
            )
        raise typer.Exit(int(report.exit_code))

    @claims_app.command("list")
    def claims_list(
        source: ClaimSourceOption = None,
        metric: ClaimMetricOption = None,
        kind: ClaimKindOption = None,
        period: ClaimPeriodOption = None,
        fmt: ClaimFormatOption = "table",
        db: DbOption = None,
    ) -> None:
        """The current claims, oldest publication first."""
        from tracker.claims.queries import list_claims
        from tracker.store.db import open_store

        _check_format(fmt)
        rows = list_claims(open_store(_db(db), write=False), source=source, metric=metric, kind=kind, period=period)
        print_records(
            rows,
            fmt,
            LIST_COLUMNS,
            LIST_FIELDS,
            notes=[f"({len(rows):,} claim(s); `tracker claims show ID` for one claim and its revisions)"],
        )

    @claims_app.command("show")
    def claims_show(
        ident: str = typer.Argument(..., metavar="ID", help="A claim's id (as `claims list` shows) or its key."),
        fmt: str = typer.Option("table", "--format", help="table or json."),
        db: DbOption = None,
    ) -> None:
        """One claim: every field, and every revision the store has kept of it."""
        from tracker.claims.queries import claim_history
        from tracker.store.db import open_store

        if _check_format(fmt) == "csv":
            raise InvalidInput("claims show prints table or json")
        found = claim_history(open_store(_db(db), write=False), ident.strip())
        if fmt == "json":
            from tracker.render import render_json

            print(render_json(found))
            return
        for revs in found:
            _print_claim(revs)

    @app.command("compare")
    def compare(
        source: ClaimSourceOption = None,
        metric: ClaimMetricOption = None,
        kind: ClaimKindOption = None,
        period: ClaimPeriodOption = None,
        fmt: ClaimFormatOption = "table",
        explain: bool = typer.Option(False, "--explain", help="Under the table, how each series figure was computed."),
        feed: str | None = typer.Option(None, "--feed", help="Which General Staff feed (default: the fullest)."),
        db: DbOption = None,
    ) -> None:
        """Each claim against the General Staff's daily series, under both date conventions."""
        from tracker.analysis.compare import CLOSE_TOLERANCE, compare_claims
        from tracker.claims.queries import claims_frame
        from tracker.store.db import open_store
        from tracker.store.queries import observations_frame

        _check_format(fmt)
        engine = open_store(_db(db), write=False)
        claims = claims_frame(engine, source=source, metric=metric, kind=kind, period=period)
        series = observations_frame(engine, source="ua-general-staff", metric="personnel", feed=feed)
        rows = compare_claims(claims, series).to_dict("records")
        if fmt != "table":
            print_records(rows, fmt, COMPARE_COLUMNS, COMPARE_FIELDS)
            return
        latest = series["report_date"].max().date() if len(series) else None
        notes = [
            f"({len(rows):,} claim(s) against the General Staff personnel series (killed or wounded), "
            f"latest report {latest})"
        ]
        notes += [f"  {r['id']}: not comparable — {r['reason']}" for r in rows if not r["comparable"]]
        for r in rows if explain else []:
            if r["comparable"]:
                notes += [
                    f"  {r['id']} {r['key']}",
                    f"      covered: {r['covered_basis']}",
                    f"      report:  {r['report_basis']}",
                ]
        notes += textwrap.wrap(VERDICT_RULE.format(tol=CLOSE_TOLERANCE), width=100)
        print_records(rows, fmt, COMPARE_COLUMNS, COMPARE_FIELDS, notes=notes)


def _print_claim(revisions: list[dict]) -> None:
    current = revisions[-1]
    removed = current.get("removed")
    shown = next((r for r in reversed(revisions) if not r.get("removed")), current)
    print(
        f"claim {current['id']}  {printable(current['key'])}  (feed {printable(current['feed'])})"
        + ("  — REMOVED" if removed else "")
    )
    labels = [
        ("source", "source"),
        ("who", "source_name"),
        ("subject", "subject"),
        ("metric", "metric"),
        ("definition", "definition"),
        ("kind", "kind"),
        ("period", "period"),
        ("precision", "period_precision"),
        ("figure", "figure"),
        ("low", "low"),
        ("best", "best"),
        ("high", "high"),
        ("published", "published"),
        ("url", "url"),
        ("based on", "based_on"),
        ("note", "note"),
        ("entered", "entered_at"),
    ]
    for label, key in labels:
        print(f"  {label:<11} {_cell(shown.get(key))}")
    print(f"  revisions   {len(revisions)}")
    previous: dict | None = None
    for rev in revisions:
        when = _cell(rev["revised_at"])
        if rev.get("removed"):
            what = "removed from its feed"
        elif previous is None:
            what = "entered"
        elif previous.get("removed"):
            what = "re-added"
        else:
            changed = [
                k
                for k in (
                    "source",
                    "subject",
                    "metric",
                    "definition",
                    "kind",
                    "period",
                    "qualifier",
                    "low",
                    "best",
                    "high",
                    "published",
                    "url",
                    "based_on",
                    "note",
                )
                if rev.get(k) != previous.get(k)
            ]
            what = "changed " + ", ".join(
                f"{k}: {_cell(previous.get(k), 40)} -> {_cell(rev.get(k), 40)}" for k in changed
            )
        print(f"    r{rev['revision']} {when} run {rev['run_id']}: {what}")
        previous = rev
