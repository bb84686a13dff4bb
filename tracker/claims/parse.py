"""Turning text fields (a CSV row, CLI options) into a ClaimRecord, or one clear error.

Every message names the field and the offending value (shortened), so a curator can fix a
hand-edited file; nothing is silently coerced except case and spacing of vocabulary words.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
import unicodedata
from collections.abc import Collection, Mapping
from urllib.parse import urlsplit

from tracker.claims.claim import (
    COLUMNS,
    DEFINITIONS,
    IDENTITY_FIELDS,
    KINDS,
    QUALIFIERS,
    REQUIRED,
    SUBJECTS,
    ClaimRecord,
    column_of,
    parse_period,
    source_problem,
)
from tracker.domain import kyiv_today, resolve
from tracker.errors import InvalidInput
from tracker.store.source_registry import SOURCES

FIELDS = COLUMNS  # a claims file's columns, from the ClaimRecord's fields
KEY_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]{0,127}")
NOTE_MAX = 1000
BASED_ON_MAX = 300
URL_MAX = 2000
VALUE_MAX = 1e10  # far above any casualty figure; keeps values exact as floats
_NUMBER = re.compile(r"\d+(\.\d+)?|\d{1,3}(,\d{3})+(\.\d+)?", re.ASCII)  # 0-9 only: not ١٢٣
_BIDI = {0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069}
NOT_A_SOURCE = {"curated"}  # the feed's own source, not a claimant


def _short(value: str, limit: int = 60) -> str:
    return repr(value if len(value) <= limit else value[:limit] + "…")


def check_text(name: str, value: str, limit: int) -> None:
    """Refuse control characters (they corrupt terminals and CSV rows), lone surrogates and oversized text."""
    if len(value) > limit:
        raise InvalidInput(f"{name} is {len(value):,} characters long; the limit is {limit:,}")
    for pos, char in enumerate(value):
        code = ord(char)
        if 0xD800 <= code <= 0xDFFF:
            # Possible in a command-line argument (undecodable bytes) or a JSON "\ud800": such
            # text cannot be encoded, so it could never be stored or printed.
            raise InvalidInput(
                f"{name} contains a lone surrogate U+{code:04X} at position {pos + 1}: not valid Unicode text"
            )
        if unicodedata.category(char) == "Cc" or code in _BIDI:
            raise InvalidInput(
                f"{name} contains the control character U+{code:04X} at position {pos + 1}; use plain text on one line"
            )


def _vocab(name: str, value: str, allowed: Mapping[str, str] | tuple[str, ...]) -> str:
    word = re.sub(r"[\s-]+", "_", value.strip().lower())
    if word not in allowed:
        raise InvalidInput(f"unknown {name} {_short(value)}; use one of: {', '.join(allowed)}")
    return word


def _number(name: str, value: str) -> float | None:
    text = value.strip()
    if not text:
        return None
    if text.startswith("-") and _NUMBER.fullmatch(text[1:]):
        raise InvalidInput(f"{name} {text} is negative; figures are counts of people")
    if not _NUMBER.fullmatch(text):
        raise InvalidInput(f"{name} {_short(text)} is not a number (write e.g. 41980 or 1271.5)")
    number = float(text.replace(",", ""))
    if not math.isfinite(number) or number > VALUE_MAX:
        raise InvalidInput(f"{name} {_short(text)} is too large (the limit is {VALUE_MAX:,.0f})")
    return number


def check_url(value: str) -> str | None:
    """An absolute http(s) URL with a host, or None for blank."""
    text = value.strip()
    if not text:
        return None
    check_text("url", text, URL_MAX)
    try:
        parts = urlsplit(text)
        host = parts.hostname
    except ValueError:
        raise InvalidInput(f"malformed url {_short(text)}") from None
    if parts.scheme not in ("http", "https") or not host or " " in text or "." not in host.strip("."):
        raise InvalidInput(
            f"malformed url {_short(text)}: expected an absolute http(s) URL such as https://example.org/page"
        )
    return text


def claim_from_fields(
    fields: Mapping[str, str | None], *, today: dt.date | None = None, sources: Collection[str] | None = None
) -> ClaimRecord:
    """A validated claim from text fields named as in FIELDS; InvalidInput names what is wrong.

    `sources` are the keys a claim may name (default: the registry file's; `tracker claims add`
    adds the ones a store records)."""
    get = {name: (fields.get(name) or "").strip() for name in FIELDS}
    for name, value in get.items():
        check_text(name, value, {"note": NOTE_MAX, "based_on": BASED_ON_MAX, "url": URL_MAX}.get(name, 200))
    for name in REQUIRED:
        if not get[name]:
            raise InvalidInput(f"{name} is missing")
    key = get["claim_key"]
    if not KEY_PATTERN.fullmatch(key):
        raise InvalidInput(
            f"claim_key {_short(key)} must be lowercase letters, digits, '.', '_' or '-' "
            "(at most 128, starting with a letter or digit)"
        )
    source = get["source"]
    allowed = list(SOURCES) + sorted(set(sources or ()) - set(SOURCES))
    if source not in allowed or source in NOT_A_SOURCE:
        known = ", ".join(k for k in allowed if k not in NOT_A_SOURCE)
        raise InvalidInput(
            f"unknown source {_short(source)}; known: {known} "
            "(add one with `tracker sources add`, or to data/sources/sources.csv)"
        )
    subject = _vocab("subject", get["subject"], SUBJECTS)
    try:
        metric = resolve(get["metric"]).name
    except KeyError:
        raise InvalidInput(f"unknown metric {_short(get['metric'])}") from None
    definition = _vocab("definition", get["definition"], DEFINITIONS)
    kind = _vocab("kind", get["kind"], KINDS)
    try:
        period = parse_period(get["period"])
    except ValueError as exc:
        raise InvalidInput(f"period: {exc}") from None
    if kind == "day" and period.precision != "day":
        raise InvalidInput(
            f"a single-day claim needs a day period (YYYY-MM-DD), not {get['period']!r}; "
            "use kind peak_day for 'the highest day in May 2024'"
        )
    qualifier = re.sub(r"\s+", " ", get["qualifier"].lower()) or None
    if qualifier is not None and qualifier not in QUALIFIERS:
        raise InvalidInput(
            f"unknown qualifier {_short(get['qualifier'])}; use one of: {', '.join(QUALIFIERS)} (or leave it blank)"
        )
    low, best, high = (_number(n, get[n]) for n in ("low", "best", "high"))
    if best is None and (low is None or high is None):
        raise InvalidInput("a claim needs a best figure, or both low and high for a range")
    if low is not None and best is not None and low > best:
        raise InvalidInput(f"low {low:,g} is greater than best {best:,g}")
    if best is not None and high is not None and best > high:
        raise InvalidInput(f"best {best:,g} is greater than high {high:,g}")
    if low is not None and high is not None and low > high:
        raise InvalidInput(f"low {low:,g} is greater than high {high:,g}")
    if "/" in get["published"]:
        raise InvalidInput(
            f"published must be one date, month, quarter or year (YYYY-MM-DD, YYYY-MM, YYYY-Qn "
            f"or YYYY), not {_short(get['published'])}"
        )
    try:
        published = parse_period(get["published"])
    except ValueError as exc:
        raise InvalidInput(f"published: {exc}") from None
    today = today or kyiv_today()
    if published.start > today:
        raise InvalidInput(f"published {get['published']} is in the future")
    if period.start > published.end:
        raise InvalidInput(f"period {period.label()} begins after the claim was published ({get['published']})")
    url = check_url(get["url"])
    if problem := source_problem(url, get["note"] or None):
        raise InvalidInput(problem)
    return ClaimRecord(
        key=key,
        source=source,
        subject=subject,
        metric=metric,
        definition=definition,
        kind=kind,
        period_start=period.start,
        period_end=period.end,
        period_precision=period.precision,
        qualifier=qualifier,
        low=low,
        best=best,
        high=high,
        published_date=published.start,
        published_precision=published.precision,
        url=url,
        note=get["note"] or None,
        based_on=get["based_on"] or None,
    )


def identity(claim: ClaimRecord) -> tuple[object, ...]:
    """What makes two claims the same statement, whatever their key, note or URL."""
    return tuple(getattr(claim, name) for name in IDENTITY_FIELDS)


def to_fields(claim: ClaimRecord) -> dict[str, str]:
    """The text fields of a claim, as a CSV row writes them (the inverse of claim_from_fields):
    a field of its own as its text, a period or a published date as the claim words it."""

    def text(value: object) -> str:
        if value is None:
            return ""
        if isinstance(value, float):
            return str(int(value)) if value.is_integer() else repr(value)
        return str(value)

    own = {column_of(f.name): getattr(claim, f.name) for f in dataclasses.fields(claim)}
    own.update(period=claim.period, published=claim.published)
    return {column: text(own[column]) for column in COLUMNS}


def default_key(source: str, published: str, kind: str, period: str) -> str:
    """A claim key made from what identifies a claim typed without one, e.g.
    'us-dod-2024-10-09-cumulative-2024-10-09' (lowercase letters, digits, '.', '_', '-')."""
    text = "-".join(p for p in (source, published, kind, period) if p).lower().replace("/", "-to-")
    text = re.sub(r"[^a-z0-9._-]+", "-", text).strip("-._")
    return text[:128] or "claim"
