"""A claim of another source: one figure, what it counts, over which period, and who said it.

Shaped after UCDP GED: low / best / high with a qualifier, and a date precision for both the
period the figure is about and the date it was published.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import re
from dataclasses import dataclass, field, fields
from typing import get_args, get_type_hints

from tracker import domain

SUBJECTS = ("russia", "ukraine")  # whose losses
# What a claim's figure counts: tracker.domain's personnel definitions, worded as it words them,
# in the order claims are listed and grouped (the parts before their sum).
DEFINITIONS = {
    key: domain.DEFINITIONS[key].wording
    for key in ("killed", "wounded", "killed_or_wounded", "killed_confirmed_by_name", "missing")
}
KINDS = {
    "cumulative": "cumulative total as of a date",
    "period_total": "total over a period",
    "daily_average": "daily average over a period",
    "day": "a single day",
    "peak_day": "the highest single day in a period",
}
# Qualifiers as the claim words them; "" is a plain figure.
QUALIFIERS = ("about", "more than", "at least", "up to", "less than")
LOWER_BOUNDS = ("more than", "at least")
UPPER_BOUNDS = ("up to", "less than")
PRECISIONS = ("day", "month", "quarter", "year", "range")
# A claim without a URL says why in its note, which starts with this (the reason is then stored
# and revised with the claim, as the store keeps the note; the claim table has no other place).
NO_URL_PREFIX = "No URL:"

_MONTH = re.compile(r"(\d{4})-(\d{2})")
_QUARTER = re.compile(r"(\d{4})-Q([1-4])", re.IGNORECASE)
_YEAR = re.compile(r"(\d{4})")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True, slots=True)
class Period:
    """A span of calendar days [start, end] and how precisely the claim named it."""

    start: dt.date
    end: dt.date
    precision: str

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def label(self) -> str:
        return format_period(self.start, self.end, self.precision)


def parse_period(text: str) -> Period:
    """'2024-10-09', '2024-09', '2024-Q3', '2024' or a range 'A/B' of those; ValueError if not."""
    value = text.strip()
    if "/" in value:
        first, _, second = value.partition("/")
        if "/" in second:
            raise ValueError(f"malformed period {text!r}: a range has one '/'")
        try:
            a, b = parse_period(first), parse_period(second)
        except ValueError as exc:
            raise ValueError(f"malformed period {text!r}: {exc}") from None
        if b.end < a.start:
            raise ValueError(f"period end {second.strip()} is before its start {first.strip()}")
        return Period(a.start, b.end, "range")
    if _DAY.fullmatch(value):
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"malformed date {value!r}") from None
        return Period(day, day, "day")
    if match := _MONTH.fullmatch(value):
        year, month = int(match[1]), int(match[2])
        if not 1 <= month <= 12 or year < 1:
            raise ValueError(f"malformed month {value!r}")
        return Period(dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1]), "month")
    if match := _QUARTER.fullmatch(value):
        year, quarter = int(match[1]), int(match[2])
        first_month = 3 * quarter - 2
        return Period(
            dt.date(year, first_month, 1),
            dt.date(year, first_month + 2, calendar.monthrange(year, first_month + 2)[1]),
            "quarter",
        )
    if (match := _YEAR.fullmatch(value)) and int(match[1]) >= 1:
        year = int(match[1])
        return Period(dt.date(year, 1, 1), dt.date(year, 12, 31), "year")
    raise ValueError(f"malformed date or period {text!r} (use YYYY-MM-DD, YYYY-MM, YYYY-Qn, YYYY or A/B)")


def format_period(start: dt.date, end: dt.date, precision: str) -> str:
    """The inverse of parse_period for a stored period."""
    if precision == "day":
        return start.isoformat()
    if precision == "month":
        return f"{start.year:04d}-{start.month:02d}"
    if precision == "quarter":
        return f"{start.year:04d}-Q{(start.month - 1) // 3 + 1}"
    if precision == "year":
        return f"{start.year:04d}"
    return f"{start.isoformat()}/{end.isoformat()}"


def source_problem(url: str | None, note: str | None) -> str | None:
    """Why a claim's URL and note break the rule "a URL, or a note saying why not"; None if they keep it.

    Every claim names where it was published, or says in its note why it cannot: a note starting
    "No URL:" followed by the reason. A URL together with such a note is refused too, so a reason
    cannot outlive the URL that replaced it.
    """
    says_why = note is not None and note[: len(NO_URL_PREFIX)].lower() == NO_URL_PREFIX.lower()
    if url is None and not says_why:
        return (
            f"url is missing: give the address where the claim was published, "
            f"or start the note with {NO_URL_PREFIX!r} and say why there is none"
        )
    if url is None and note is not None and not note[len(NO_URL_PREFIX) :].strip():
        return f"the note says {NO_URL_PREFIX!r} but gives no reason after it"
    if url is not None and says_why:
        return f"the note starts with {NO_URL_PREFIX!r} but the claim has a url; drop one of them"
    return None


def rounding_unit(value: float) -> float:
    """The rounding a figure's own digits imply: 41,980 -> 10; 1,271 -> 1; 1,050,000 -> 10,000.

    Trailing zeros of a whole number are read as rounding, but to no fewer than two significant
    figures: "about 300,000" is read as 300,000 ± 5,000, not ± 50,000 (which would let one
    figure "agree" with anything from 250,000 to 350,000). A figure with decimals is precise to
    its last decimal.
    """
    if not math.isfinite(value) or value == 0:
        return 1.0
    if float(value).is_integer():
        n, unit = abs(int(value)), 1
        while n % (unit * 10) == 0:
            unit *= 10
        coarsest = 10 ** max(len(str(n)) - 2, 0)
        return float(min(unit, coarsest))
    text = repr(float(value))
    decimals = len(text.split(".")[1].rstrip("0")) if "e" not in text else 6
    return 10.0**-decimals


# A field's column in a claims file, where it is not the field's own name: a period and a
# published date are one text each ("2024-Q3", "2024-10-09/2024-10-20") for their parts.
_COLUMN = "column"


@dataclass(frozen=True, slots=True)
class ClaimRecord:
    """One figure of one statement, validated (see tracker.claims.parse).

    The one list of a claim's fields: what is stored (STORED_FIELDS), a claims file's columns
    (COLUMNS, REQUIRED) and what makes two claims the same statement (IDENTITY_FIELDS) follow
    from it, in its order."""

    key: str = field(metadata={_COLUMN: "claim_key"})  # chosen by the curator: revisions share it
    source: str  # tracker.store.sources key of who made the claim
    subject: str  # whose losses
    metric: str  # canonical metric (tracker.domain)
    definition: str  # what the figure counts (DEFINITIONS)
    kind: str  # KINDS
    period_start: dt.date = field(metadata={_COLUMN: "period"})
    period_end: dt.date = field(metadata={_COLUMN: "period"})
    period_precision: str = field(metadata={_COLUMN: "period"})
    qualifier: str | None
    low: float | None
    best: float | None
    high: float | None
    published_date: dt.date = field(metadata={_COLUMN: "published"})
    published_precision: str = field(metadata={_COLUMN: "published"})
    url: str | None
    based_on: str | None
    note: str | None

    @property
    def period(self) -> str:
        return format_period(self.period_start, self.period_end, self.period_precision)

    @property
    def published(self) -> str:
        return format_period(self.published_date, self.published_date, self.published_precision)

    def values(self) -> tuple[object, ...]:
        """Every field but the key, in STORED_FIELDS order (what a revision compares)."""
        return tuple(getattr(self, name) for name in STORED_FIELDS)


def column_of(name: str) -> str:
    """The claims file's column a ClaimRecord field is written in: 'period' for period_end."""
    return next(str(f.metadata.get(_COLUMN, f.name)) for f in fields(ClaimRecord) if f.name == name)


# Every field but the key, in the dataclass' order: the claim table's value columns.
STORED_FIELDS = tuple(f.name for f in fields(ClaimRecord) if f.name != "key")
# A claims file's columns (its header, in this order), one for each field or group of fields.
COLUMNS = tuple(dict.fromkeys(column_of(f.name) for f in fields(ClaimRecord)))
# The columns a claim cannot leave blank: those of the fields that cannot be None.
REQUIRED = tuple(
    dict.fromkeys(
        column_of(name) for name, hint in get_type_hints(ClaimRecord).items() if type(None) not in get_args(hint)
    )
)
# What makes two claims the same statement, whatever their key, URL, basis or note.
IDENTITY_FIELDS = tuple(f for f in STORED_FIELDS if f not in ("url", "based_on", "note"))


def figure_label(qualifier: str | None, low: float | None, best: float | None, high: float | None) -> str:
    """A claim's figure as a person would say it: 'about 1,500', '70,000–80,000', 'more than 600,000'."""

    def fmt(x: float) -> str:
        return f"{int(x):,}" if float(x).is_integer() else f"{x:,.2f}".rstrip("0").rstrip(".")

    parts = []
    if best is not None:
        parts.append(fmt(best))
    if low is not None or high is not None:
        span = f"{fmt(low) if low is not None else '…'}–{fmt(high) if high is not None else '…'}"
        parts.append(f"({span})" if best is not None else span)
    text = " ".join(parts)
    return f"{qualifier} {text}" if qualifier else text
