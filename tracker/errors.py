"""Errors that end a command with a one-line message and a documented exit code, and the text
safety every message needs: control characters shown as escapes, credentials left out of URLs."""

from __future__ import annotations

import re
import unicodedata
from enum import IntEnum


class ExitCode(IntEnum):
    """Exit codes a cron job can act on (documented in README.md)."""

    OK = 0
    INTERNAL = 1  # an unexpected internal error (a bug): one line; a run it ended is recorded as failed
    USAGE = 2  # bad options or arguments (typer/click's own code)
    FINDINGS = 3  # the run succeeded and recorded new warning findings (info alone is 0)
    UNREACHABLE = 4  # the source could not be fetched (network, timeouts, 5xx, 429)
    BAD_PAYLOAD = 5  # the payload could not be parsed; raw bytes kept, nothing else changed
    STORE = 6  # the store (or a local input file) could not be opened, read, migrated or written
    BUSY = 7  # another run holds the writer lock


class TrackerError(Exception):
    """Base for expected failures: printed as one line, never as a traceback."""

    exit_code: ExitCode = ExitCode.USAGE


class InvalidInput(TrackerError):
    exit_code = ExitCode.USAGE


class SourceUnreachable(TrackerError):
    exit_code = ExitCode.UNREACHABLE


class BadPayload(TrackerError):
    exit_code = ExitCode.BAD_PAYLOAD


class StoreError(TrackerError):
    exit_code = ExitCode.STORE


class LocalFileError(TrackerError):
    """A local input that exists but cannot be read (a directory, a broken link, no permission):
    an environment problem like a store that cannot be opened, not a bad payload."""

    exit_code = ExitCode.STORE


class StoreBusy(TrackerError):
    exit_code = ExitCode.BUSY


class StoreLocked(StoreError):
    """A lock held by another database session outlasted the lock timeout: a store error (a run
    records it as failed like any other) whose exit code is the busy store's, 7."""

    exit_code = ExitCode.BUSY


def local_file_error(exc: OSError) -> LocalFileError:
    """An operating system error that no step caught (a folder that cannot hold files, such as
    /proc; a full disk) as the one-line local file error it is (exit 6)."""
    where = f"{exc.filename}: " if exc.filename else ""
    return LocalFileError(f"{where}{exc.strerror or exc}")


def internal_error_line(exc: BaseException) -> str:
    """An unexpected exception (a bug, not bad input) as the one line a run record, a daily step
    and the CLI carry: its type and the first line of its message."""
    text = str(exc).strip()
    first = text.splitlines()[0] if text else ""
    return sanitize(f"internal error: {type(exc).__name__}{': ' + first if first else ''}")[:500]


# Bidirectional controls can make text display in a different order than it is stored.
_BIDI = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_LINE_SEPARATORS = {"\u2028", "\u2029"}


def is_unsafe_char(ch: str) -> bool:
    o = ord(ch)
    return o < 0x20 or 0x7F <= o <= 0x9F or ch in _BIDI or ch in _LINE_SEPARATORS or unicodedata.category(ch) == "Cs"


def _escape(ch: str) -> str:
    o = ord(ch)
    return f"\\x{o:02x}" if o <= 0xFF else f"\\u{o:04x}"


def sanitize(text: object, *, keep_newlines: bool = False) -> str:
    """The text with every control character shown as a visible escape (\\x1b, \\u202e)."""
    s = str(text)
    if not any(is_unsafe_char(c) for c in s):
        return s
    return "".join(c if (keep_newlines and c == "\n") or not is_unsafe_char(c) else _escape(c) for c in s)


# The user-information part of a URL (`user:password@` after the scheme).
_USERINFO = re.compile(r"(?<=://)[^/?#@\s]*@")


def redact_userinfo(text: str) -> str:
    """`text` with the `user:password@` of any URL in it replaced by `***@`, for what is printed,
    logged or stored (the run records); the credentials are only ever sent."""
    return _USERINFO.sub("***@", text)
