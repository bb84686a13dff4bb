"""Reading payload bytes as JSON with errors a person can act on."""

from __future__ import annotations

import datetime as dt
import json

from tracker.errors import BadPayload
from tracker.records import Fetched


def describe(content: bytes) -> str:
    """What a non-JSON body looks like, in a few words, for a one-line error."""
    head = content[:200].lstrip().lower()
    if not head:
        return "an empty body"
    if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head:
        return "an HTML page"
    if head.startswith(b"<"):
        return "XML or HTML"
    return "text that is not JSON"


def load_json(fetched: Fetched) -> object:
    """Parse a fetch as JSON or raise BadPayload naming its location and what it got."""
    content = fetched.content
    if not content.strip():
        raise BadPayload(f"{fetched.location}: empty payload")
    try:
        return json.loads(content)
    except UnicodeDecodeError:
        raise BadPayload(f"{fetched.location}: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        stripped = content.lstrip()[:1]
        if stripped in (b"[", b"{") and (
            exc.pos >= len(content.rstrip()) - 1 or exc.msg.startswith("Unterminated string")
        ):
            raise BadPayload(f"{fetched.location}: truncated JSON (ends at byte {len(content)})") from None
        if stripped in (b"[", b"{"):
            raise BadPayload(
                f"{fetched.location}: malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
            ) from None
        head = content.lstrip()[:30].decode("utf-8", "replace").splitlines()[0] if content.strip() else ""
        raise BadPayload(f"{fetched.location}: expected JSON, got {describe(content)} (starts with {head!r})") from None


def parse_date(value: object, where: str) -> dt.date:
    """An ISO date (YYYY-MM-DD) or BadPayload."""
    if not isinstance(value, str):
        raise BadPayload(f"{where}: date {value!r} is not a string")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise BadPayload(f"{where}: malformed date {value!r}") from None


def parse_count(value: object, where: str) -> int:
    """A non-negative whole number (not a bool, not a float with a fraction, not a string)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise BadPayload(f"{where}: {value!r} is not a whole number")
    if isinstance(value, float):
        if not value.is_integer():
            raise BadPayload(f"{where}: {value!r} is not a whole number")
        value = int(value)
    if value < 0:
        raise BadPayload(f"{where}: negative total {value}")
    return value
