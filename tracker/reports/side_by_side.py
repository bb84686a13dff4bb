"""What `tracker compare --side ukraine` prints: claims about one side's losses set beside each
other, group by group (tracker.analysis.sidebyside) — a table for people, JSON or CSV for machines."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

from tracker.analysis.sidebyside import COLUMNS as ANALYSIS_COLUMNS
from tracker.reports.claim_outputs import rows_output

FIELDS = ANALYSIS_COLUMNS  # the analysis' columns, in its order
# The group's name and what it counts on its first row only, so each group reads as one block.
COLUMNS = [
    ("group", "group_cell", None),
    ("counts", "definition_cell", None),
    ("kind", "kind_cell", None),
    ("id", "id", None),
    ("source", "source", 22),
    ("claim", "figure", 20),
    ("as of / period", "period", None),
    ("published", "published", None),
    ("× lowest", "ratio_to_lowest", None),
]
RULE = (
    "Claims that count the same thing the same way are grouped: a cumulative claim by the quarter "
    "of its 'as of' date, any other by its own period. × lowest = the claim's figure (its best, or "
    "the middle of its range) over the lowest figure in its group, where two or more sources speak. "
    "No daily series of {side}'s losses exists to judge them by: they are set beside each other, "
    "not judged."
)


def _times(value: object) -> str:
    """'2.50×', or '—' where the group has one source."""
    return "—" if value is None else f"{float(value):,.2f}×"  # type: ignore[arg-type]  # a ratio column holds floats or None


def side_by_side_output(rows: Sequence[dict[str, Any]], fmt: str, *, side: str) -> str:
    """The grouped claims; the table names each group once and ends with the rule."""
    if fmt != "table":
        return rows_output(rows, fmt, COLUMNS, FIELDS)
    shown = []
    previous: tuple[object, ...] | None = None
    for r in rows:
        group = (r["definition"], r["kind"], r["group_start"], r["group_end"])
        first = group != previous
        previous = group
        shown.append(
            {
                **r,
                "group_cell": r["group"] if first else "",
                "definition_cell": str(r["definition"]).replace("_", " ") if first else "",
                "kind_cell": str(r["kind"]).replace("_", " ") if first else "",
            }
        )
    groups = len({(r["definition"], r["kind"], r["group_start"], r["group_end"]) for r in rows})
    shared = len({(r["definition"], r["kind"], r["group_start"], r["group_end"]) for r in rows if r["sources"] >= 2})
    sources = len({r["source"] for r in rows})
    notes = textwrap.wrap(
        f"({len(rows):,} claim(s) about {side.title()}'s losses by {sources} source(s), in {groups} group(s); "
        f"{shared} group(s) with two or more sources)",
        width=100,
    )
    notes += textwrap.wrap(RULE.format(side=side.title()), width=100)
    return rows_output(
        shown,
        fmt,
        COLUMNS,
        FIELDS,
        notes=notes,
        formats={"group_cell": str, "definition_cell": str, "kind_cell": str, "ratio_to_lowest": _times},
    )
