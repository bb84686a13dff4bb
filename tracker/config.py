"""Where the store lives: --db, else $TRACKER_DB_URL, else the checkout's local settings file
(`.tracker.env`, written by `make demo`), else the default SQLite file; and settings read from the
environment (validated: a bad value is a usage error, not a surprise later)."""

from __future__ import annotations

import math
import os
import re
from pathlib import Path

ENV_DB_URL = "TRACKER_DB_URL"
LOCAL_SETTINGS = ".tracker.env"  # KEY=VALUE lines; only TRACKER_DB_URL is read from it


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
    value = db or os.environ.get(ENV_DB_URL)
    if not value:
        found = local_settings()
        if found is not None:
            settings_file, value = found
            if "://" not in value:  # a plain path in the file is relative to the file's folder
                value = str(settings_file.parent / Path(value).expanduser())
            url = value if "://" in value else f"sqlite:///{Path(value).resolve()}"
            _NAMED_IN[url] = settings_file
            return url
    value = value or str(default_db_path())
    if "://" in value:
        return value
    return f"sqlite:///{Path(value).expanduser().resolve()}"


_NAMED_IN: dict[str, Path] = {}  # URLs resolve_db_url took from a settings file, and the file


def named_in(url: str) -> str:
    """' (named in /checkout/.tracker.env)' for a store URL read from a local settings file, so an
    error about a missing store says where its address came from; '' otherwise."""
    path = _NAMED_IN.get(url)
    return f" (named in {path})" if path is not None else ""


def local_settings(start: Path | None = None) -> tuple[Path, str] | None:
    """The nearest `.tracker.env` naming a TRACKER_DB_URL, from `start` (the working folder) up to
    the checkout's root (the first folder holding `.git`), with the value it gives; None without.

    So the store `make demo` made is the one later commands in the checkout read, without an
    exported variable; outside the checkout nothing changes. An unreadable file or one without the
    setting is passed over.
    """
    try:
        folder = (start or Path.cwd()).resolve()
    except OSError:  # the working folder was removed
        return None
    for candidate in (folder, *folder.parents):
        path = candidate / LOCAL_SETTINGS
        value = _setting(path, ENV_DB_URL)
        if value:
            return path, value
        if (candidate / ".git").exists():
            return None
    return None


def _setting(path: Path, name: str) -> str | None:
    """`name`'s value in a KEY=VALUE file (comments, blank lines, `export ` and quotes allowed)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    for line in lines:
        key, eq, value = line.strip().removeprefix("export ").partition("=")
        if eq and key.strip() == name:
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            return value.strip() or None
    return None


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
