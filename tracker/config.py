"""Where the store lives: --db, else $TRACKER_DB_URL, else the default SQLite file; and settings
read from the environment (validated: a bad value is a usage error, not a surprise later)."""

from __future__ import annotations

import math
import os
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


def positive_seconds(value: str | float, what: str) -> float:
    """A finite number of seconds above 0, or InvalidInput naming `what`."""
    from tracker.errors import InvalidInput

    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = math.nan
    if not math.isfinite(seconds) or seconds <= 0:
        raise InvalidInput(f"{what} must be a finite number of seconds above 0, not {str(value)[:40]!r}")
    return seconds


def env_seconds(name: str, default: float) -> float:
    """Seconds from the environment variable `name` (finite, > 0), else `default`."""
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    return positive_seconds(value.strip(), f"${name}")
