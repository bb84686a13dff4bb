"""Where the store lives: --db, else $TRACKER_DB_URL, else the default SQLite file; and settings
read from the environment (validated: a bad value is a usage error, not a surprise later)."""

from __future__ import annotations

import math
import os
import re
from pathlib import Path

ENV_DB_URL = "TRACKER_DB_URL"


def default_db_path() -> Path:
    """$XDG_DATA_HOME/tracker/tracker.db (~/.local/share/tracker/tracker.db by default)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "tracker" / "tracker.db"


def resolve_db_url(db: str | None = None) -> str:
    """A SQLAlchemy URL from a URL or a plain file path; falls back to env, then the default.

    The URL itself is checked where every command opens it (tracker.store.db.make_engine); an
    empty one given is refused here (it would silently mean the default store).
    """
    if db is not None and not db.strip():
        from tracker.errors import InvalidInput

        raise InvalidInput("an empty --db: give a path or URL, or leave it out for the default")
    value = db or os.environ.get(ENV_DB_URL) or str(default_db_path())
    if "://" in value:
        return value
    return f"sqlite:///{Path(value).expanduser().resolve()}"


# A number as people type it on any keyboard, in ASCII digits only: float() and int() also take
# "nan", "inf", "1_000" and other scripts' digits ("١٥٠٠"), none of which an option means.
_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
_WHOLE = re.compile(r"[+-]?\d+", re.ASCII)


def _shown(bound: float) -> str:
    return f"{int(bound):,}" if float(bound).is_integer() else f"{bound:g}"


def number_in_range(
    value: object,
    what: str,
    *,
    low: float,
    high: float,
    above_low: bool = False,
    whole: bool = False,
    unit: str = "",
) -> float:
    """`value` (text or a number) as a finite number from `low` (excluded when `above_low`) to
    `high`, in ASCII digits; else InvalidInput naming `what` and the accepted range. The one check
    of every numeric option and setting (whole numbers: use `whole_number`)."""
    from tracker.errors import InvalidInput

    text = str(value).strip()
    number = math.nan
    if (_WHOLE if whole else _DECIMAL).fullmatch(text):
        try:
            number = float(int(text)) if whole else float(text)
        except (OverflowError, ValueError):
            number = math.nan
    low_ok = number > low if above_low else number >= low
    if not (math.isfinite(number) and low_ok and number <= high):
        kind = ("a whole number" if whole else "a number") + (f" of {unit}" if unit else "")
        span = (
            f"above {_shown(low)} and at most {_shown(high)}" if above_low else f"from {_shown(low)} to {_shown(high)}"
        )
        raise InvalidInput(f"{what} must be {kind} {span}, not {text[:40]!r}")
    return number


def whole_number(value: object, what: str, *, low: int, high: int, unit: str = "") -> int:
    """`value` as a whole number from `low` to `high` in ASCII digits, else InvalidInput."""
    return int(number_in_range(value, what, low=low, high=high, whole=True, unit=unit))


def positive_seconds(value: str | float, what: str, *, at_most: float | None = None) -> float:
    """A finite number of seconds above 0 (and at most `at_most`), in ASCII digits, or
    InvalidInput naming `what`."""
    from tracker.errors import InvalidInput

    text = str(value).strip()
    seconds = float(text) if _DECIMAL.fullmatch(text) else math.nan
    if not math.isfinite(seconds) or seconds <= 0 or (at_most is not None and seconds > at_most):
        upper = f" and at most {_shown(at_most)}" if at_most is not None else ""
        raise InvalidInput(f"{what} must be a finite number of seconds above 0{upper}, not {str(value)[:40]!r}")
    return seconds


def env_seconds(name: str, default: float, *, at_most: float | None = None) -> float:
    """Seconds from the environment variable `name` (finite, > 0), else `default`."""
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    return positive_seconds(value.strip(), f"${name}", at_most=at_most)
