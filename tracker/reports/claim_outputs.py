"""What the claims commands print: the list of claims, one claim with its revisions, and the
comparison of claims with the General Staff series — a table for people, JSON or CSV for
machines, every string made safe."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from tracker.claims.claim import STORED_FIELDS, column_of
from tracker.claims.parse import FIELDS
from tracker.claims.queries import COLUMNS as READ_COLUMNS
from tracker.errors import sanitize
from tracker.reports.render import format_value, render_csv, render_json, render_table

VERDICT_RULE = (
    "Verdicts (the claim against the series): agrees = within the rounding the claim's digits imply "
    "(at least two significant figures) or its low-high range; consistent = its 'more than' / 'up to' "
    "holds; close = within {tol:.0%} (never for single or peak days); higher / lower = the claim is "
    "higher / lower. by = the date convention the claim is judged under: covered = days as UK Defence "
    "Intelligence counts them (the report of D+1 gives day D); report = figures dated by their report "
    "(as news coverage does)."
)


def _cell(value: object) -> str:
    """One value for a person: thousands separators, 2 decimals for a fraction, ISO dates, '—'
    when missing."""
    if isinstance(value, float) and not math.isnan(value) and not value.is_integer():
        return f"{value:,.2f}"
    return format_value(value) or "—"


def _ratio(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    # 4 decimals: ratios near 1 are the interesting ones.
    return f"{float(value):.4f}"  # type: ignore[arg-type]  # a ratio column holds floats; None and NaN are handled above


def rows_output(
    rows: Sequence[dict[str, Any]],
    fmt: str,
    columns: Sequence[tuple[str, str, int | None]],
    fields: Sequence[str],
    *,
    notes: Sequence[str] = (),
    formats: Mapping[str, Callable[[Any], str]] | None = None,
) -> str:
    """Rows in the chosen format: a table of `columns` (title, key, width limit) with `notes`
    under it, or every one of `fields` as JSON or CSV. `formats` words a column its own way
    (default: ratios to 4 places, other values as _cell does)."""
    if fmt == "json":
        return render_json([{f: r.get(f) for f in fields} for r in rows])
    if fmt == "csv":
        return render_csv(rows, list(fields)).rstrip("\n")
    keys = [key for _, key, _ in columns]
    formats = {key: (_ratio if key.endswith("ratio") else _cell) for key in keys} | dict(formats or {})
    limits = {key: limit for _, key, limit in columns if limit is not None}
    headers = {key: title for title, key, _ in columns}
    return render_table(rows, keys, headers=headers, notes=notes, formats=formats, limits=limits)


# What `claims list` prints as JSON or CSV: every column a claim is read with but the parts of its
# period and published date (their text stands for them) and the run that stored it.
LIST_FIELDS = [c for c in READ_COLUMNS if (c not in STORED_FIELDS or column_of(c) == c) and c != "run_id"]
LIST_COLUMNS = [
    ("id", "id", None),
    ("source", "source", 26),
    ("side", "subject", None),  # whose losses: both sides' claims are listed together
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
    "convention",
    "corrections",
    "series",
    "series_low",
    "series_high",
    "day",
    "diff",
    "diff_pct",
    "ratio",
    "verdict",
    "basis",
    "covered_series",
    "covered_series_low",
    "covered_series_high",
    "covered_day",
    "covered_diff",
    "covered_diff_pct",
    "covered_ratio",
    "covered_verdict",
    "covered_basis",
    "report_series",
    "report_series_low",
    "report_series_high",
    "report_day",
    "report_diff",
    "report_diff_pct",
    "report_ratio",
    "report_verdict",
    "report_basis",
    "feed",  # the General Staff feed the series was read from
    "feeds_agree",  # whether its other feeds agree on every report (null: one feed)
]
# The claimant's convention only (both conventions' figures and ratios are in JSON and CSV); the
# source column is cut only as far as the terminal needs (compare_output's `width`).
COMPARE_COLUMNS = [
    ("id", "id", None),
    ("source", "source", None),
    ("kind", "kind", None),
    ("period", "period", None),
    ("claim", "figure", None),
    ("by", "convention", None),
    ("series", "series", None),
    ("diff", "diff", None),
    ("diff %", "diff_pct", None),
    ("ratio", "ratio", None),
    ("verdict", "verdict", None),
]


def _signed(value: object) -> str:
    """A difference with its sign: '+12,345', '-950', '+2.50'; '—' when missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    number = float(value)  # type: ignore[arg-type]  # a diff column holds numbers; None and NaN are handled above
    if number == 0:
        return "0"
    return f"{number:+,.0f}" if number.is_integer() else f"{number:+,.2f}"


def _percent(value: object) -> str:
    """A difference in percent of the series' figure: '+77.0%'; '—' when missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    number = float(value)  # type: ignore[arg-type]  # numbers; None and NaN are handled above
    return "0.0%" if round(number, 1) == 0 else f"{number:+.1f}%"


COMPARE_FORMATS: dict[str, Callable[[Any], str]] = {
    "diff": _signed,
    "diff_pct": _percent,
    "ratio": lambda v: _ratio2(v),
}


def claims_list_output(rows: Sequence[dict[str, Any]], fmt: str) -> str:
    """The current claims, oldest publication first."""
    note = f"({len(rows):,} claim(s); `tracker claims show ID` for one claim and its revisions)"
    return rows_output(rows, fmt, LIST_COLUMNS, LIST_FIELDS, notes=[note])


def compare_output(
    rows: Sequence[dict[str, Any]],
    fmt: str,
    *,
    latest: object,
    explain: bool,
    tolerance: float,
    convention: str | None = None,
    width: int | None = None,
    order: str | None = None,
) -> str:
    """Each claim against the series under its claimant's convention (or `convention` for all),
    the claims left out and why, those the other convention judges otherwise, and the verdict
    rule; with `explain`, how each series figure was computed under both conventions. A table
    is narrowed to fit `width` columns (NARROWING; None: shown whole); `order` names the sort,
    for the note."""
    if fmt != "table":
        return rows_output(rows, fmt, COMPARE_COLUMNS, COMPARE_FIELDS)
    whose = f"all by {convention}" if convention else "each by its source's date convention"
    notes = textwrap.wrap(
        f"({len(rows):,} claim(s) against the General Staff personnel series (killed or wounded), "
        f"latest report {latest}; {whose}; {ORDER_TEXT.get(order or 'date', order or '')}; diff = claim - "
        "series, diff % = of the series, ratio = claim / series; documented corrections taken out of "
        "period totals)",
        width=100,
    )
    notes += [f"  {r['id']}: not comparable — {r['reason']}" for r in rows if not r["comparable"]]
    differ = [r for r in rows if r["covered_verdict"] != r["report_verdict"]]
    if differ:
        text = (
            f"({len(differ)} claim(s) get another verdict by the other convention: "
            + ", ".join(f"{r['id']} {_other(r, 'verdict')}" for r in differ)
            + "; `--convention covered|report` judges all by one)"
        )
        notes += textwrap.wrap(text, width=100, break_on_hyphens=False)
    for r in rows if explain else []:
        if r["comparable"]:
            own = r["convention"]
            other = "report" if own == "covered" else "covered"
            notes.append(f"  {r['id']} {r['key']}")
            for conv in (own, other):
                notes += textwrap.wrap(
                    str(r[f"{conv}_basis"]),
                    width=118,
                    initial_indent=f"      {conv + ':':<8} ",
                    subsequent_indent=" " * 15,
                    break_on_hyphens=False,
                )
    notes += textwrap.wrap(VERDICT_RULE.format(tol=tolerance), width=100)
    shown, columns = _fitted(rows, COMPARE_COLUMNS, width)
    if all(key != "convention" for _, key, _ in columns):
        notes.insert(1, "(the by column is left out to fit the terminal: --format json or csv has it)")
    return rows_output(shown, fmt, columns, COMPARE_FIELDS, notes=notes, formats=COMPARE_FORMATS)


# How a table narrows to fit a terminal, in order: source keys cut (never below 12 characters),
# qualifiers written as signs ("more than 355,000" -> "> 355,000"), a range within one year
# without its end's year ("2025-01-01/07-10"), then the by column left out (the notes say so).
# A claim's figure is never cut.
SOURCE_FLOOR = 12
QUALIFIER_SIGNS = {"more than": ">", "at least": "≥", "up to": "≤", "less than": "<", "about": "~"}


def _short_figure(figure: object) -> str:
    """A claim's figure with its qualifier as a sign: '> 355,000', '~ 1,500', '70,000–80,000'."""
    text = str(figure or "")
    for words, sign in QUALIFIER_SIGNS.items():
        if text.startswith(words + " "):
            return sign + " " + text[len(words) + 1 :]
    return text


def _fitted(
    rows: Sequence[dict[str, Any]], columns: Sequence[tuple[str, str, int | None]], width: int | None
) -> tuple[list[dict[str, Any]], list[tuple[str, str, int | None]]]:
    """The rows and `columns`, narrowed step by step until the table fits `width`; as they are
    when it fits already, when `width` is None (no terminal) or when there are no rows."""
    out, shown = list(columns), list(rows)
    if width is None or not rows:
        return shown, out

    def excess() -> int:
        table = rows_output(shown, "table", out, COMPARE_FIELDS, formats=COMPARE_FORMATS)
        return max(len(line) for line in table.splitlines()) - width

    over = excess()
    longest = max(len(str(r.get("source") or "")) for r in rows)
    if over > 0 and longest > SOURCE_FLOOR:
        out = [(t, k, max(SOURCE_FLOOR, longest - over) if k == "source" else lim) for t, k, lim in out]
        over = excess()
    if over > 0:
        shown = [{**r, "figure": _short_figure(r.get("figure"))} for r in shown]
        out = [(t, k, None if k == "figure" else lim) for t, k, lim in out]
        over = excess()
    if over > 0:
        shown = [{**r, "period": _short_period(r.get("period"))} for r in shown]
        over = excess()
    if over > 0:
        out = [c for c in out if c[1] != "convention"]
    return shown, out


def _short_period(period: object) -> str:
    """A range within one year with its end's year left out: '2025-01-01/07-10'."""
    text = str(period or "")
    start, sep, end = text.partition("/")
    if sep and len(start) == len(end) == 10 and start[:5] == end[:5]:
        return f"{start}/{end[5:]}"
    return text


ORDER_TEXT = {
    "date": "oldest publication first",
    "distance": "furthest from the series first (by |diff %|, either direction)",
    "ratio": "highest ratio first",
    "source": "by source, then publication",
}


def _other(row: dict[str, Any], field: str) -> str:
    """A row's `field` under the convention it is not judged by: 'report: higher'."""
    other = "report" if row["convention"] == "covered" else "covered"
    return f"({other}: {row[f'{other}_{field}']})"


SERIES_FIELDS = [
    "date", "source", "subject", "metric", "definition", "claim_value", "qualifier", "comparable", "reason",
    "convention", "corrections", "series", "diff", "diff_pct", "ratio", "verdict", "basis",
    "covered_series", "covered_diff", "covered_diff_pct", "covered_ratio", "covered_verdict", "covered_basis",
    "report_series", "report_diff", "report_diff_pct", "report_ratio", "report_verdict", "report_basis",
]  # fmt: skip
SERIES_COLUMNS = [
    ("date", "date", None),
    ("metric", "metric", None),
    ("figure", "claim_value", None),
    ("by", "convention", None),
    ("General Staff", "series", None),
    ("diff", "diff", None),
    ("diff %", "diff_pct", None),
    ("ratio", "ratio", None),
    ("verdict", "verdict", None),
]


def series_compare_output(
    rows: Sequence[dict[str, Any]], fmt: str, *, source: str, side: str, dates_by: str | None
) -> str:
    """A stored series against the General Staff's (tracker.analysis.compare.compare_series): per
    date, its figure, the General Staff's under the series' date convention, difference, ratio
    and verdict; every field as JSON or CSV."""
    if fmt != "table":
        return rows_output(rows, fmt, SERIES_COLUMNS, SERIES_FIELDS)
    by = rows[0]["convention"] if rows else ("covered" if dates_by == "covered" else "report")
    notes = textwrap.wrap(
        f"({len(rows):,} date(s) of {source}'s {side.capitalize()} losses, each figure judged as a cumulative "
        f"claim as of its date against the General Staff's total by {by} (covered: the report of the next "
        "day; report: the report of that date); diff = figure - General Staff, diff % = of the General "
        "Staff's, ratio = figure / General Staff)",
        width=100,
    )
    reasons = dict.fromkeys(str(r["reason"]) for r in rows if not r["comparable"])
    notes += [f"  not comparable: {reason}" for reason in reasons]
    missing = dict.fromkeys(str(r["basis"]) for r in rows if r["comparable"] and r["verdict"] == "not comparable")
    notes += [f"  no General Staff figure: {why}" for why in list(missing)[:5]]
    notes += textwrap.wrap(VERDICT_RULE.format(tol=0.05), width=100)
    return rows_output(rows, fmt, SERIES_COLUMNS, SERIES_FIELDS, notes=notes, formats=COMPARE_FORMATS)


CONFIRMED_COLUMNS = [
    ("date", "date", None),
    ("metric", "metric", None),
    ("claimed", "claimed_text", None),
    ("as of", "claimed_date", None),
    ("confirmed", "confirmed", None),
    ("ratio", "ratio_text", None),
]


def _ratio2(value: object) -> str:
    """A claimed / confirmed ratio to 2 places (JSON and CSV keep every digit)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{float(value):,.2f}"  # type: ignore[arg-type]  # a ratio column holds floats; None and NaN are handled above


def confirmed_output(
    rows: Sequence[dict[str, Any]],
    fmt: str,
    *,
    confirmer: str,
    side: str,
    claimant_sides: Sequence[str],
    latest_only: bool,
) -> str:
    """The General Staff's claimed totals beside a confirmed series' (tracker.analysis.confirmed),
    per snapshot date and category: a table whose claimed figure carries what the General Staff
    counts apart ("28 (+1 submarine)"), or every field as JSON or CSV."""
    from tracker.analysis.confirmed import ALONGSIDE, caveat_marks
    from tracker.analysis.confirmed import COLUMNS as CONFIRMED_FIELDS
    from tracker.store.source_registry import source_info

    if fmt != "table":
        return rows_output(rows, fmt, CONFIRMED_COLUMNS, CONFIRMED_FIELDS)
    width = max((len(_cell(r["claimed"])) for r in rows), default=0)
    marks = caveat_marks(r.get("caveat") for r in rows)
    ratio_width = max((len(_ratio2(r["ratio"])) for r in rows), default=0)
    shown = [
        {
            **r,
            "claimed_text": _cell(r["claimed"]).rjust(width) + (f" ({r['claimed_note']})" if r["claimed_note"] else ""),
            # the figures aligned, the footnote mark after them
            "ratio_text": _ratio2(r["ratio"]).rjust(ratio_width)
            + (f" {marks[r['caveat']]}" if r.get("caveat") else ""),
        }
        for r in rows
    ]
    what = source_info(confirmer)
    what_name = what.name.split(" (")[0]
    notes = [
        f"({len(rows):,} row(s), {side.capitalize()}'s losses"
        + ("; the latest snapshot of each category, --all for every one)" if latest_only else ")"),
        "claimed: the General Staff's total in its report of that date, else the latest before it (as of); "
        f"confirmed: {what_name}'s total of the types mapped onto the category "
        f"(data/sources/{confirmer}-types.csv); ratio = claimed / confirmed.",
    ]
    if side not in claimant_sides:
        whose = " and ".join(f"{s.capitalize()}'s" for s in claimant_sides)
        notes.append(f"The General Staff reports {whose} losses only: nothing is claimed for {side.capitalize()}'s.")
    for metric in dict.fromkeys(r["metric"] for r in rows if r["claimed_note"]):
        notes.append(
            f"{metric}: the General Staff counts {ALONGSIDE.get(metric, 'some')} apart (in brackets, not in "
            f"the ratio); {what_name}'s types mapped onto {metric} include them."
        )
    for caveat, mark in marks.items():
        metrics = ", ".join(dict.fromkeys(r["metric"] for r in rows if r.get("caveat") == caveat))
        notes.append(f"{mark} {metrics}: {caveat}")
    notes.append(f"{what_name}: {what.note} {what.licence or ''}".strip())
    notes = [line for note in notes for line in textwrap.wrap(note, width=100, break_on_hyphens=False)]
    return rows_output(shown, fmt, CONFIRMED_COLUMNS, CONFIRMED_FIELDS, notes=notes)


CLAIM_LABELS = [
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
# What a revision can change, in the order a change is told: every field of a claim but its key.
REVISED_FIELDS = tuple(f for f in FIELDS if f != "claim_key")


def claim_history_output(found: Sequence[list[dict[str, Any]]], fmt: str) -> str:
    """Each claim found (a list of its revisions, oldest first): its fields and its history."""
    if fmt == "json":
        return render_json(found)
    if fmt == "csv":  # one row per revision, oldest first
        return render_csv([revision for revisions in found for revision in revisions]).rstrip("\n")
    return "\n".join(_claim_text(revisions) for revisions in found)


def _claim_text(revisions: list[dict[str, Any]]) -> str:
    current = revisions[-1]
    shown = next((r for r in reversed(revisions) if not r.get("removed")), current)
    lines = [
        f"claim {current['id']}  {current['key']}  (feed {current['feed']})"
        + ("  — REMOVED" if current.get("removed") else "")
    ]
    lines += [f"  {label:<11} {_cell(shown.get(key))}" for label, key in CLAIM_LABELS]
    lines.append(f"  revisions   {len(revisions)}")
    previous: dict[str, Any] | None = None
    for rev in revisions:
        lines.append(
            f"    r{rev['revision']} {_cell(rev['revised_at'])} run {rev['run_id']}: {revision_change(previous, rev)}"
        )
        previous = rev
    return sanitize("\n".join(lines), keep_newlines=True)


def revision_change(previous: dict[str, Any] | None, revision: dict[str, Any]) -> str:
    """What a revision did to the claim: entered, removed, re-added, or which fields changed."""
    if revision.get("removed"):
        return "removed from its feed"
    if previous is None:
        return "entered"
    if previous.get("removed"):
        return "re-added"
    changed = [k for k in REVISED_FIELDS if revision.get(k) != previous.get(k)]
    return "changed " + ", ".join(f"{k}: {_short(previous.get(k))} -> {_short(revision.get(k))}" for k in changed)


def _short(value: object, limit: int = 40) -> str:
    text = _cell(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
