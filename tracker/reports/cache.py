"""The report cache: an answer already computed for the same inputs, served as it was printed.

A report depends only on the store's contents, the options, the day (flags look for future
dates) and the code. For a SQLite store the file's size, modification time and header say
whether its contents changed, so a repeated question is answered without importing pandas or
opening the store. Other stores are always computed.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from tracker.domain import kyiv_today
from tracker.reports.options import ReportOptions

CACHE_ENV = "TRACKER_REPORT_CACHE"  # "0" turns the cache off
CACHE_MAX_ENTRIES = 256
_code_key: str | None = None


def cache_dir() -> Path:
    """$XDG_CACHE_HOME/tracker/reports (~/.cache/tracker/reports by default)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "tracker" / "reports"


def _sqlite_file(url: str) -> Path | None:
    if not url.startswith("sqlite:///"):
        return None
    path = url[len("sqlite:///") :].split("?", 1)[0]
    return Path(path) if path and path != ":memory:" else None


def _file_state(path: Path) -> list[list[object] | None] | None:
    """Size, modification time and header of the SQLite file and its write-ahead log.

    The headers hold SQLite's change counter and the log's salt, which change on every commit
    and every reset of the log, so a change within the clock's granularity is seen too. An empty
    log holds nothing the file does not, so it counts as no log: whether a reader's connection
    left one behind (a read-only one cannot remove it) changes no answer.
    """
    out: list[list[object] | None] = []
    for p, header in ((path, 100), (Path(f"{path}-wal"), 32)):
        try:
            st = p.stat()
            with open(p, "rb") as handle:
                head = handle.read(header).hex()
        except OSError:
            out.append(None)
            continue
        out.append([st.st_size, st.st_mtime_ns, head] if st.st_size or p == path else None)
    return out if out[0] is not None else None


def _code_fingerprint() -> str:
    """Sizes and modification times of the tracker package's source: new code, new answers."""
    global _code_key
    if _code_key is None:
        root = Path(__file__).resolve().parent.parent
        parts = []
        for dirpath, _, files in sorted(os.walk(root)):
            for name in sorted(files):
                if name.endswith(".py"):
                    st = os.stat(os.path.join(dirpath, name))
                    parts.append(f"{dirpath}/{name}:{st.st_size}:{st.st_mtime_ns}")
        _code_key = hashlib.sha256("\n".join(parts).encode()).hexdigest()
    return _code_key


def why_not_kept(db: str | None) -> str | None:
    """Why answers about the store `db` (a URL, a path or None, as --db) are not kept, or None."""
    if os.environ.get(CACHE_ENV, "1") == "0":
        return f"the report cache is off: {CACHE_ENV}=0"
    from tracker.config import resolve_db_url

    db_file = _sqlite_file(resolve_db_url(db))
    if db_file is None:
        return "only a SQLite store's answers are kept"
    if _file_state(db_file) is None:
        return f"no store at {db_file}"
    return None


def _cache_key(command: str, opts: ReportOptions, extra: dict[str, Any]) -> Path | None:
    if os.environ.get(CACHE_ENV, "1") == "0":
        return None
    from tracker.config import resolve_db_url

    db_file = _sqlite_file(resolve_db_url(opts.db))
    state = _file_state(db_file) if db_file else None
    if db_file is None or state is None:
        return None
    # The store is named by its file, not by how --db spelled it (a path, a URL, $TRACKER_DB_URL):
    # `tracker daily --db PATH` warms what a later `tracker records` reads with the URL set.
    options = {k: v for k, v in asdict(opts).items() if k != "db"}
    key = {
        "command": command,
        "options": options,
        "extra": extra,
        "db": str(db_file.resolve()),
        "state": state,
        "today": kyiv_today(),
        "code": _code_fingerprint(),
    }
    digest = hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()
    return cache_dir() / f"{digest}.txt"


def served(command: str, opts: ReportOptions, extra: dict[str, Any], produce: Callable[[], str]) -> str:
    """The report's text: from the cache when the same inputs were answered before."""
    path = _cache_key(command, opts, extra)
    if path is not None:
        try:
            return path.read_text(encoding="utf-8")
        except OSError:
            pass
    text = produce()
    if path is not None:
        from tracker.errors import StoreError
        from tracker.reports.safe_write import write_file

        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_file(path, text, durable=False)
            _prune(path.parent)
        except (OSError, StoreError):
            pass  # a read-only cache only costs time
    return text


def _prune(folder: Path) -> None:
    entries = sorted(folder.glob("*.txt"), key=lambda p: p.stat().st_mtime_ns)
    for old in entries[: max(len(entries) - CACHE_MAX_ENTRIES, 0)]:
        old.unlink(missing_ok=True)
