"""Strict reading of the values every feed (and the CLI) accepts: whole numbers, ISO dates, text.

One definition for all of them, so that "5", "5.0" (in JSON) and " 5 " mean 5 everywhere, while
"+5", "5_000", "1e3", "٥" (an Arabic-Indic five), 5012.5, true, NaN and 10**30 mean nothing. Each
parser raises ValueError with a short reason; a feed turns it into a ParseIssue naming the file,
date and field, a command into a one-line usage error.
"""

from __future__ import annotations

import datetime as dt
import re

# A plausible maximum for any count a source reports: two orders of magnitude above the largest
# series (personnel, about 1.5 million in 2026). A larger figure is a typo or garbage, not a loss.
MAX_COUNT = 10**8

# More than this share of a file's values bad, and the file is not what we think it is (another
# format, a broken export, a shifted column): refuse it whole instead of storing the rest.
MAX_BAD_SHARE = 0.5

SHOW_LIMIT = 60  # characters of an offending value quoted in a message

# The widths of the store's text columns that a payload's own words reach (tracker/store/models.py;
# tests/test_run_records.py keeps them in step). PostgreSQL refuses a longer value, failing the
# whole run, where SQLite would store it: on both, a value that does not fit is found where it is
# read, a finding on its record, and the rest of the payload is stored. The other text columns
# hold the tracker's own words (kinds, sides, definitions, note keys) or vocabularies it checks
# (a claim's fields, a source key: a-z0-9._- up to 64).
MAX_METRIC_NAME = 64  # metric.name: a series a payload declares (an Oryx type's slug)
MAX_METRIC_LABEL = 200  # metric.label: the type's name as the source writes it
MAX_QUALIFIER = 32  # observation.qualifier: "about", "more than", as a source words it

_DIGITS = re.compile(r"[0-9]+")  # ASCII only: \d would accept any Unicode digit
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")


def show(value: object, limit: int = SHOW_LIMIT) -> str:
    """A value as a message quotes it: repr, cut to `limit` characters, printable whatever it holds.

    repr escapes control characters and lone surrogates, so the result is always safe to print
    and to store as UTF-8 text.
    """
    if isinstance(value, str) and len(value) > limit:
        return repr(value[:limit]) + "…"
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


def too_broken(bad: int, total: int) -> bool:
    """Whether `bad` of `total` values is more than MAX_BAD_SHARE (the file is refused whole)."""
    return total > 0 and bad > total * MAX_BAD_SHARE


def parse_count(value: object, *, signed: bool = False, limit: int = MAX_COUNT) -> int:
    """A whole number from ASCII-digit text or a JSON number; ValueError with a short reason.

    Accepts an int, an integral float (JSON's 5.0) or digits with surrounding spaces. Refuses
    bools, fractions, NaN/Infinity, signs (a leading '-' only when `signed`), separators, exponents,
    hex, non-ASCII digits and anything beyond `limit` in size (the store keeps 64-bit integers).
    """
    if isinstance(value, bool):
        raise ValueError("a boolean is not a number")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError("not a whole number")
        value = int(value)
    if isinstance(value, str):
        text = value.strip()
        negative = text.startswith("-")  # refused below unless `signed`, as a negative
        digits = text[1:] if negative else text
        if not _DIGITS.fullmatch(digits):
            raise ValueError("not a whole number: ASCII digits 0-9 only")
        if len(digits) > 19:  # beyond any 64-bit integer: do not even convert it
            raise ValueError(f"implausibly large (the limit is {limit:,})")
        value = -int(digits) if negative else int(digits)
    if value is None:
        raise ValueError("empty: not reported")
    if not isinstance(value, int):
        raise ValueError("not a number")
    if value < 0 and not signed:
        raise ValueError("negative")
    if abs(value) > limit:
        raise ValueError(f"implausibly large (the limit is {limit:,})")
    return value


def parse_json_count(value: object, *, signed: bool = False, limit: int = MAX_COUNT) -> int:
    """parse_count for a JSON value: a number must be a JSON number, not text that looks like one."""
    if isinstance(value, str):
        raise ValueError("text, not a number")
    return parse_count(value, signed=signed, limit=limit)


def parse_iso_date(value: object) -> dt.date:
    """A calendar date written exactly YYYY-MM-DD (ASCII digits); ValueError otherwise.

    date.fromisoformat alone is not enough: since Python 3.11 it also takes 20241111, week dates
    (2026-W32-7) and times; none of them is what a report date looks like.
    """
    if not isinstance(value, str):
        raise ValueError("a date must be text written YYYY-MM-DD")
    match = _ISO_DATE.fullmatch(value.strip())
    if match is None:
        raise ValueError("not a date written YYYY-MM-DD")
    try:
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise ValueError("no such calendar date") from None


def check_text(value: object, limit: int | None = None) -> str:
    """Text that can be stored: a str without lone surrogates (a JSON "\\ud800" cannot be encoded),
    and of at most `limit` characters when given (the width of its column)."""
    if not isinstance(value, str):
        raise ValueError("is not text")
    if limit is not None:
        check_fits(value, limit)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("holds a lone surrogate (not valid Unicode text)") from None
    return value


def check_fits(value: str, limit: int) -> str:
    """`value` if its column (`limit` characters wide) can hold it; ValueError otherwise."""
    if len(value) > limit:
        raise ValueError(check_fits_reason(value, limit))
    return value


def check_fits_reason(value: str, limit: int) -> str:
    """Why `value` does not fit a column `limit` characters wide, as a finding words it."""
    return f"is {len(value):,} characters long (the store keeps at most {limit})"


# The largest figure a threshold or step may name: a billion, far above any count of losses.
MOST_FIGURE = 1_000_000_000
