"""Reading payload bytes as JSON with errors a person can act on.

Strict where JSON is lax: a key repeated in one object is reported (the later value is kept, as
JSON parsers do), NaN and Infinity are read as markers that no number check accepts, and a
document nested too deep to read is refused in one line rather than with a RecursionError.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tracker.errors import BadPayload, InvalidInput, LocalFileError
from tracker.ingest import parsed
from tracker.ingest.parsed import Fetched, ParseIssue
from tracker.ingest.values import parse_iso_date, show


class NonFinite:
    """NaN, Infinity or -Infinity as the JSON text wrote it: not a number any feed accepts."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


@dataclass(slots=True)
class JsonDocument:
    """A decoded JSON document and the repeated keys seen while decoding it."""

    value: object
    issues: list[ParseIssue] = field(default_factory=list)


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


def decode_json_bytes(content: bytes, where: str) -> str:
    """JSON bytes as text: UTF-8 (with or without a BOM), or UTF-16/32 as JSON allows (RFC 8259
    asks for UTF-8, but json.detect_encoding reads the others exactly, so they are accepted)."""
    encoding = json.detect_encoding(content)
    try:
        return content.decode(encoding)
    except UnicodeDecodeError:
        name = "UTF-8" if encoding.startswith("utf-8") else encoding.upper()
        raise BadPayload(f"{where}: not {name} text") from None


def strict_loads(text: str, where: str) -> JsonDocument:
    """json.loads that reports repeated keys and refuses over-deep nesting; JSONDecodeError passes."""
    issues: list[ParseIssue] = []

    def pairs_hook(pairs: list[tuple[str, object]]) -> dict[str, object]:
        obj: dict[str, object] = {}
        for key, value in pairs:
            if key in obj:
                issues.append(_duplicate_key(where, key, obj[key], value, dict(pairs).get("date")))
            obj[key] = value
        return obj

    try:
        value = json.loads(text, object_pairs_hook=pairs_hook, parse_constant=NonFinite)
    except RecursionError:
        raise BadPayload(f"{where}: JSON nested too deep to read") from None
    return JsonDocument(value, issues)


def _duplicate_key(where: str, key: str, first: object, later: object, date: object) -> ParseIssue:
    report_date = None
    if isinstance(date, str):
        try:
            report_date = parse_iso_date(date)
        except ValueError:
            pass
    context = f" (report {report_date})" if report_date else ""
    return ParseIssue(
        "duplicate_key",
        f"{where}: key {show(key)} appears twice in one object{context} with {show(first)} and "
        f"{show(later)}; kept the later, as JSON does",
        key[:200],
        report_date,
    )


def load_json(fetched: Fetched) -> JsonDocument:
    """Parse a fetch as JSON or raise BadPayload naming its location and what it got."""
    content = fetched.content
    if not content.strip():
        raise BadPayload(f"{fetched.location}: empty payload")
    text = decode_json_bytes(content, fetched.location)
    try:
        return strict_loads(text, fetched.location)
    except json.JSONDecodeError as exc:
        stripped = text.lstrip()[:1]
        if stripped in ("[", "{") and (exc.pos >= len(text.rstrip()) - 1 or exc.msg.startswith("Unterminated string")):
            raise BadPayload(f"{fetched.location}: truncated JSON (ends at byte {len(content)})") from None
        if stripped in ("[", "{"):
            raise BadPayload(
                f"{fetched.location}: malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
            ) from None
        head = text.lstrip()[:30].splitlines()[0] if text.strip() else ""
        raise BadPayload(f"{fetched.location}: expected JSON, got {describe(content)} (starts with {head!r})") from None


def read_local(path: Path, *, content_type: str, role: str) -> Fetched:
    """A local input file as a Fetched, refused in one line when it cannot be read.

    A directory, a broken symlink, a symlink loop or a file without read permission is a
    LocalFileError (exit 6) naming the file; a file over the HTTP size limit is a BadPayload
    stated before it is read, so a huge file never has to fit in memory.
    """
    try:
        with path.open("rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > parsed.MAX_BYTES:
                raise BadPayload(f"{path}: {size:,} bytes is over the {parsed.MAX_BYTES:,}-byte limit for one payload")
            content = handle.read(parsed.MAX_BYTES + 1)
    except IsADirectoryError:
        raise LocalFileError(f"{path}: is a folder, not a file") from None
    except FileNotFoundError:
        if path.is_symlink():
            raise LocalFileError(f"{path}: broken symbolic link (its target does not exist)") from None
        raise InvalidInput(f"{path}: no such file") from None
    except OSError as exc:
        raise LocalFileError(f"{path}: cannot read ({exc.strerror or type(exc).__name__})") from None
    if len(content) > parsed.MAX_BYTES:  # grew while being read
        raise BadPayload(f"{path}: over the {parsed.MAX_BYTES:,}-byte limit for one payload")
    return Fetched(str(path), content, dt.datetime.now(dt.UTC), content_type, None, role)


def check_location(location: str | None, default: str) -> str:
    """The location to fetch: `default` for None, refused when empty (never the live URL by accident)."""
    if location is None:
        return default
    if not location.strip():
        raise InvalidInput("an empty --from: give a path or URL")
    if "://" in location:
        check_url(location)
    return location


def check_url(location: str) -> None:
    """A URL to fetch from: http or https, with a host (and a valid port); else InvalidInput
    (exit 2: the command line is wrong, no server was tried)."""
    from urllib.parse import urlsplit

    from tracker.errors import redact_userinfo

    shown = redact_userinfo(location)[:200]
    scheme = location.partition("://")[0].lower()
    if scheme not in ("http", "https"):
        raise InvalidInput(f"{shown}: unsupported scheme {scheme[:20]!r}: give an http(s) URL or a local path")
    try:
        parts = urlsplit(location)
        host, _port = parts.hostname, parts.port  # .port raises ValueError for a bad one
    except ValueError as exc:
        raise InvalidInput(f"{shown}: not a valid URL ({exc})") from None
    if not host:
        raise InvalidInput(f"{shown}: a URL needs a host, e.g. https://example.org/data")


LISTED = 5  # unreadable rows named in one finding; the rest are counted


def unreadable_rows(where: str, rows: list[str], consequence: str) -> ParseIssue:
    """One finding for a file's unreadable rows (one per row would share the same finding key)."""
    listed = "; ".join(rows[:LISTED])
    more = f"; and {len(rows) - LISTED:,} more" if len(rows) > LISTED else ""
    return ParseIssue(
        "bad_row",
        f"{where}: {len(rows):,} row(s) could not be read: {listed}{more}; {consequence}",
        Path(where).name[:200] or where[:200],
    )


def csv_rows(text: str) -> Any:
    """A strict CSV reader over `text` (see read_row for how its errors are reported)."""
    return csv.reader(io.StringIO(text, newline=""), strict=True)


def read_row(reader: Any, where: str) -> tuple[int, list[str]] | None:
    """The next row and the line it starts on, or None at the end.

    Any csv.Error refuses the whole file: a field over the csv module's limit (131,072
    characters) or a quote that is never closed (it swallows every later line into one field)
    means the file's rows cannot be told apart, so no row of it can be trusted.
    """
    start = reader.line_num + 1
    try:
        return start, next(reader)
    except StopIteration:
        return None
    except csv.Error as exc:
        raise BadPayload(f"{where} line {start}: unreadable CSV: {csv_error_reason(exc)}") from None
    except UnicodeDecodeError:  # a reader that decodes as it reads (csv_reader)
        raise BadPayload(f"{where}: not UTF-8 text") from None


def csv_error_reason(exc: csv.Error) -> str:
    """What the csv module's error means for a person reading the file."""
    reason = str(exc)
    if "end of data" in reason:
        reason = "a quoted field is never closed (it would swallow the rest of the file)"
    return reason


def csv_reader(content: bytes, where: str) -> Any:
    """A strict CSV reader that decodes `content` (UTF-8, with or without BOM) as it reads: a
    file's text is never held whole (a str of it, read through StringIO, took six times the
    file's size). Refused in one line if it is empty or an HTML page; a byte that is not UTF-8
    raises UnicodeDecodeError while reading (see tracker.ingest.feeds.csvfeed)."""
    head = content[: 1 << 16]
    if not head.strip() and not content.strip():
        raise BadPayload(f"{where}: empty file")
    if head.removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"<"):
        raise BadPayload(f"{where}: expected CSV, got {describe(content)}")
    text = io.TextIOWrapper(io.BytesIO(content), encoding="utf-8-sig", newline="")
    return csv.reader(text, strict=True)


def decode_csv_text(content: bytes, where: str) -> str:
    """The text of a CSV payload (UTF-8, with or without BOM), refused in one line if it is not one."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadPayload(f"{where}: not UTF-8 text") from None
    if not text.strip():
        raise BadPayload(f"{where}: empty file")
    if text.lstrip().startswith("<"):
        raise BadPayload(f"{where}: expected CSV, got {describe(content)}")
    return text
