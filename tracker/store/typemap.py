"""A source's own types and how they map onto the canonical metrics: data, not code.

`data/sources/<source>-types.csv` (shipped as tracker/_sources) has one row per name the source
uses: `type` (the source's name), `metric` (the series it is stored as; several names of one
renamed category share a metric), `counts_toward` (the canonical metric, tracker.domain, it is a
part of, or blank), `note`, and `caveat` (blank, or why the category it counts toward is not like
for like with the claimant's, which every ratio of that category carries). A blank `metric` marks a summary row (a total over types, not a
type); a `type` ending in `*` matches any name starting with the text before it, for summary
rows whose names are sentences with changing numbers in them.

Names match after whitespace is collapsed and case is folded: Oryx writes "Surface-To-Air
Missile Systems\\n" for one side and "Anti-tank" for the other.

A canonical metric's composite is the sum of its parts at the same snapshot date; a part absent
at that date (a type that appeared later, or a row that could not be read) counts 0, and the
row's lineage names the parts present.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Protocol

from tracker.domain import METRICS, Metric

TYPES_DIR = Path(__file__).parent.parent / "_sources"
COLUMNS = ("type", "metric", "counts_toward", "note", "caveat")
# A declared type's unit, kind and milestone step (Oryx's types are all equipment items).
TYPE_UNIT, TYPE_KIND, TYPE_MILESTONE = "items", "equipment", 100


def normalize(name: str) -> str:
    """A type name as matched: whitespace collapsed (an embedded newline is a space), case folded."""
    return " ".join(name.split()).casefold()


def clean(name: str) -> str:
    """A type name as shown and stored: whitespace collapsed, case kept."""
    return " ".join(name.split())


def slug(source: str, name: str) -> str:
    """The metric an unmapped type is stored as: "<source>.<words_joined_by_underscores>"."""
    words = re.sub(r"[^a-z0-9]+", "_", clean(name).lower()).strip("_")
    return f"{source}.{words or 'unnamed'}"


@dataclass(frozen=True)
class TypeRow:
    """One row of a types file."""

    type: str
    metric: str | None  # None: a summary row, never stored
    counts_toward: str | None
    note: str
    caveat: str | None = None  # why its category is not like for like with the claimant's

    @property
    def summary(self) -> bool:
        return self.metric is None


@dataclass(frozen=True)
class TypeMap:
    """A source's types file, read."""

    source: str
    rows: tuple[TypeRow, ...]

    def lookup(self, name: str) -> TypeRow | None:
        """The row for a name as the source wrote it (exact names first, then `*` prefixes)."""
        key = normalize(name)
        for row in self.rows:
            if not row.type.endswith("*") and normalize(row.type) == key:
                return row
        for row in self.rows:
            if row.type.endswith("*") and key.startswith(normalize(row.type[:-1])):
                return row
        return None

    @property
    def metrics(self) -> tuple[str, ...]:
        """Every stored metric of the file, in file order, once each."""
        return tuple(dict.fromkeys(r.metric for r in self.rows if r.metric))

    def label(self, metric: str) -> str:
        """A metric's label: the name of its first row (the file lists a category's current name first)."""
        return next(r.type for r in self.rows if r.metric == metric)

    def parts(self, canonical: str) -> tuple[str, ...]:
        """The stored metrics that count toward a canonical metric, in file order."""
        return tuple(dict.fromkeys(r.metric for r in self.rows if r.metric and r.counts_toward == canonical))

    def caveat(self, canonical: str) -> str | None:
        """Why a canonical metric's figure is not like for like with the claimant's (the caveats
        of the types counting toward it, once each), or None when it is."""
        found = dict.fromkeys(r.caveat for r in self.rows if r.metric and r.counts_toward == canonical and r.caveat)
        return " ".join(found) or None

    @property
    def canonical(self) -> tuple[str, ...]:
        """The canonical metrics that have parts, in tracker.domain order."""
        mapped = {r.counts_toward for r in self.rows if r.metric and r.counts_toward}
        return tuple(name for name in METRICS if name in mapped)

    def specs(self) -> dict[str, Metric]:
        """The Metric of every stored metric of the file, for a payload's metric_specs."""
        return {name: type_metric(name, self.label(name)) for name in self.metrics}


def type_metric(name: str, label: str) -> Metric:
    """The metric a source's own type is registered as."""
    return Metric(name, label, TYPE_UNIT, TYPE_KIND, TYPE_MILESTONE)


def read_typemap(path: Path, source: str) -> TypeMap:
    """Read and check a types file; ValueError naming the line of the first problem."""
    rows: list[TypeRow] = []
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != COLUMNS:
            raise ValueError(f"{path}: header must be {','.join(COLUMNS)}")
        seen: set[str] = set()
        for row in reader:
            where = f"{path} line {reader.line_num}"
            name, metric, toward = clean(row["type"] or ""), (row["metric"] or "").strip(), row["counts_toward"].strip()
            if not name or normalize(name) in seen:
                raise ValueError(f"{where}: a type must be named once: {name!r}")
            seen.add(normalize(name))
            if metric and not metric.startswith(f"{source}."):
                raise ValueError(f"{where}: metric {metric!r} must start with {source + '.'!r}")
            if toward and (toward not in METRICS or not metric):
                raise ValueError(f"{where}: counts_toward {toward!r} is not a canonical metric of a stored type")
            if not (row["note"] or "").strip():
                raise ValueError(f"{where}: every type needs a note")
            caveat = (row["caveat"] or "").strip() or None
            if caveat and not toward:
                raise ValueError(f"{where}: a caveat belongs to a type that counts toward a canonical metric")
            rows.append(TypeRow(name, metric or None, toward or None, row["note"].strip(), caveat))
    return TypeMap(source, tuple(rows))


@cache
def load_typemap(source: str) -> TypeMap | None:
    """The shipped types file of a source (`<source>-types.csv`), or None when it has none."""
    path = TYPES_DIR / f"{source}-types.csv"
    if not path.is_file():
        return None
    return read_typemap(path, source)


class PartValue(Protocol):
    """What a composite needs of one part's figure at a date (queries.Revision has it)."""

    @property
    def value(self) -> Any: ...
    @property
    def revision(self) -> int: ...
    @property
    def first_seen_at(self) -> dt.datetime: ...
    @property
    def known_late(self) -> bool: ...


def composite_rows(parts: Mapping[str, Mapping[dt.date, PartValue]]) -> list[tuple[Any, ...]]:
    """The sum of the parts at every date any of them has, as rows in the order of
    tracker.store.queries.FRAME_COLUMNS; a part not yet listed (a type that appeared later) counts
    0 and the lineage ("a+b") names the parts present.

    A date where a part listed both before and after it is missing (its row unreadable that day,
    as Oryx's IFV row split over two lines on 2022-12-26) is left out: a sum without one of its
    parts would show a fall that never happened. A part that stops for good (a type Oryx renamed
    or split) simply ends.
    """
    dates = sorted(set().union(*(set(p) for p in parts.values()))) if parts else []
    spans = {name: (min(series), max(series)) for name, series in parts.items() if series}
    rows: list[tuple[Any, ...]] = []
    for day in dates:
        if any(
            name in spans and spans[name][0] < day < spans[name][1] and day not in series
            for name, series in parts.items()
        ):
            continue
        present = [(name, series[day]) for name, series in parts.items() if day in series]
        rows.append(
            (
                day,
                sum(int(r.value) for _, r in present),
                None,
                None,
                0,
                "+".join(name for name, _ in present),
                max(r.revision for _, r in present),
                max(r.first_seen_at for _, r in present),
                any(r.known_late for _, r in present),
            )
        )
    return rows
