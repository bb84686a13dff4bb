"""Ctrl-C that is never lost: one SIGINT ends a command with exit 130 and one line, wherever it lands.

Python raises KeyboardInterrupt wherever the main thread happens to be. Inside a weakref callback
or a finalizer (SQLAlchemy returns a connection to its pool from one) the exception is printed as
"Exception ignored in …" and dropped, and the command went on to finish with exit 3; inside the
pool's close it was logged with a traceback ("Exception closing connection"). So the handler also
records that the command was interrupted: a run between two snapshots checks `check()`, and the
command line ends with exit 130 whatever code the command returned. An interrupt that Python
could only print is kept quiet, as is the pool's log of it.
"""

from __future__ import annotations

import logging
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

_pending = False


def pending() -> bool:
    """Whether a SIGINT arrived since `installed()` began."""
    return _pending


def check() -> None:
    """Raise KeyboardInterrupt at a safe point if a SIGINT arrived and was swallowed where it
    landed (a finalizer, a weakref callback)."""
    if _pending:
        raise KeyboardInterrupt


def _handler(signum: int, frame: FrameType | None) -> None:
    global _pending
    _pending = True
    raise KeyboardInterrupt


def _is_interrupt(exc_type: Any) -> bool:
    return isinstance(exc_type, type) and issubclass(exc_type, KeyboardInterrupt)


class _DropInterruptLogs(logging.Filter):
    """The pool's "Exception closing connection" / "during reset" records of an interrupt."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and _is_interrupt(record.exc_info[0]))


@contextmanager
def installed() -> Iterator[None]:
    """SIGINT handled as above while the block runs (main thread only); the previous handler,
    unraisable hook and log filter are put back after."""
    global _pending
    _pending = False
    previous_hook: Callable[[Any], Any] = sys.unraisablehook

    def quiet_hook(unraisable: Any) -> None:
        if not _is_interrupt(unraisable.exc_type):
            previous_hook(unraisable)

    drop = _DropInterruptLogs()
    try:
        if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:  # started to ignore it (nohup, `cmd &`): so be it
            yield
            return
        previous = signal.signal(signal.SIGINT, _handler)
    except ValueError:  # not the main thread: leave Python's own handling
        yield
        return
    sys.unraisablehook = quiet_hook
    handler = logging.lastResort
    if handler is not None:
        handler.addFilter(drop)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        sys.unraisablehook = previous_hook
        if handler is not None:
            handler.removeFilter(drop)


def ignore_more() -> None:
    """From here on a SIGINT only marks the command as interrupted (the final line is printing)."""
    global _pending
    _pending = True
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:
        pass
