"""Errors that end a command with a one-line message and a documented exit code."""

from __future__ import annotations

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


def internal_error_line(exc: BaseException) -> str:
    """An unexpected exception (a bug, not bad input) as the one line a run record, a daily step
    and the CLI carry: its type and the first line of its message."""
    from tracker.render import sanitize

    text = str(exc).strip()
    first = text.splitlines()[0] if text else ""
    return sanitize(f"internal error: {type(exc).__name__}{': ' + first if first else ''}")[:500]
