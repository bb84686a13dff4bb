"""What the claims commands print: the list of claims, one claim with its revisions, and the
comparison of claims with the General Staff series — a table for people, JSON or CSV for
machines, every string made safe."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from typing import Any

from tracker.claims.validate import FIELDS
from tracker.render import format_value, render_csv, render_json, render_table, sanitize

VERDICT_RULE = (
    "Verdicts (the claim against the series): agrees = within the rounding the claim's digits imply "
    "(at least two significant figures) or its low-high range; consistent = its 'more than' / 'up to' "
    "holds; close = within {tol:.0%} (never for single or peak days); higher / lower = the claim is "
    "higher / lower. covered: days as UK Defence Intelligence counts them (the report of D+1 gives "
    "day D); report: figures dated by their report (as news coverage does)."
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
) -> str:
    """Rows in the chosen format: a table of `columns` (title, key, width limit) with `notes`
    under it, or every one of `fields` as JSON or CSV."""
    if fmt == "json":
        return render_json([{f: r.get(f) for f in fields} for r in rows])
    if fmt == "csv":
        return render_csv(rows, list(fields)).rstrip("\n")
    keys = [key for _, key, _ in columns]
    formats = {key: (_ratio if key.endswith("ratio") else _cell) for key in keys}
    limits = {key: limit for _, key, limit in columns if limit is not None}
    headers = {key: title for title, key, _ in columns}
    return render_table(rows, keys, headers=headers, notes=notes, formats=formats, limits=limits)


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


def claims_list_output(rows: Sequence[dict[str, Any]], fmt: str) -> str:
    """The current claims, oldest publication first."""
    note = f"({len(rows):,} claim(s); `tracker claims show ID` for one claim and its revisions)"
    return rows_output(rows, fmt, LIST_COLUMNS, LIST_FIELDS, notes=[note])


def compare_output(rows: Sequence[dict[str, Any]], fmt: str, *, latest: object, explain: bool, tolerance: float) -> str:
    """Each claim against the series under both conventions, the claims left out and why, and
    the verdict rule; with `explain`, how each series figure was computed."""
    if fmt != "table":
        return rows_output(rows, fmt, COMPARE_COLUMNS, COMPARE_FIELDS)
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
    notes += textwrap.wrap(VERDICT_RULE.format(tol=tolerance), width=100)
    return rows_output(rows, fmt, COMPARE_COLUMNS, COMPARE_FIELDS, notes=notes)


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
