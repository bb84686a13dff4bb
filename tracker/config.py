"""Where the store lives: --db, else $TRACKER_DB_URL, else the default SQLite file."""

from __future__ import annotations

import os
from pathlib import Path

ENV_DB_URL = "TRACKER_DB_URL"


def default_db_path() -> Path:
    """$XDG_DATA_HOME/tracker/tracker.db (~/.local/share/tracker/tracker.db by default)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "tracker" / "tracker.db"


def resolve_db_url(db: str | None = None) -> str:
    """A SQLAlchemy URL from a URL or a plain file path; falls back to env, then the default."""
    value = db or os.environ.get(ENV_DB_URL) or str(default_db_path())
    if "://" in value:
        return value
    return f"sqlite:///{Path(value).expanduser().resolve()}"
