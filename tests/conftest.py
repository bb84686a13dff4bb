"""Shared fixtures: the real General Staff and Oryx data beside the project, and fresh stores."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data" / "ua-general-staff"
ORYX_HISTORY = PROJECT_ROOT.parent / "shared" / "data" / "oryx" / "history"
ORC_LOSSES = PROJECT_ROOT.parent / "shared" / "data" / "orc-losses"


def _require_shared(path: Path = SHARED_DATA, what: str = "shared dataset") -> Path:
    if path.is_dir():
        return path
    reason = f"{what} not found at {path} (clone the project beside ../shared)"
    if os.environ.get("TRACKER_REQUIRE_SHARED_DATA") == "1":
        pytest.fail(reason + " and TRACKER_REQUIRE_SHARED_DATA=1", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data/ua-general-staff: skips without it, fails if TRACKER_REQUIRE_SHARED_DATA=1."""
    return _require_shared()


@pytest.fixture(scope="session")
def oryx_history() -> Path:
    """../shared/data/oryx/history, Oryx's snapshots: skips without it, fails if
    TRACKER_REQUIRE_SHARED_DATA=1."""
    return _require_shared(ORYX_HISTORY, "Oryx snapshots")


@pytest.fixture(scope="session")
def orc_losses() -> Path:
    """../shared/data/orc-losses, the second transcription: skips without it, fails if
    TRACKER_REQUIRE_SHARED_DATA=1."""
    return _require_shared(ORC_LOSSES, "Orc Losses data")


@pytest.fixture(scope="session")
def latest_dir(shared_data: Path) -> Path:
    return shared_data / "latest"


@pytest.fixture(scope="session")
def history_dirs(shared_data: Path) -> list[Path]:
    return sorted(p for p in (shared_data / "history").iterdir() if p.is_dir())


# --- stores -----------------------------------------------------------------------------------
# Store tests run on every backend: SQLite always, PostgreSQL when TRACKER_TEST_PG_URL names a
# server (an admin URL such as postgresql://postgres@127.0.0.1:5432/postgres). Each test gets a
# fresh database. TRACKER_REQUIRE_POSTGRES=1 (set by .ci/run) turns a missing server into a failure.

PG_ENV = "TRACKER_TEST_PG_URL"


def _pg_admin_url() -> str:
    url = os.environ.get(PG_ENV)
    if url:
        return url
    reason = f"PostgreSQL backend not configured (set {PG_ENV})"
    if os.environ.get("TRACKER_REQUIRE_POSTGRES") == "1":
        pytest.fail(reason + " and TRACKER_REQUIRE_POSTGRES=1", pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def pg_url():
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    from drills.common import fresh_pg_database

    with fresh_pg_database(_pg_admin_url(), prefix="tracker_test") as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path) -> str:
    """A URL of a fresh, not yet created store, on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'store.db'}"


@pytest.fixture(scope="session")
def full_store_url(tmp_path_factory, latest_dir) -> str:
    """A SQLite store with the full latest shared dataset ingested once per test session."""
    from tracker.ingest.feeds.dataset import DatasetFeed
    from tracker.ingest.run import run_ingest

    url = f"sqlite:///{tmp_path_factory.mktemp('full') / 'full.db'}"
    report = run_ingest(url, DatasetFeed(), location=str(latest_dir))
    assert report.status in ("ok", "ok_with_findings"), report.error
    return url


@pytest.fixture(autouse=True)
def _no_terminal_width(monkeypatch):
    """Tables fit $COLUMNS when it is set, and pytest-xdist's workers run with COLUMNS=80: every
    test starts without it, as a cron job or a pipe would (a test of the fitting sets its own)."""
    monkeypatch.delenv("COLUMNS", raising=False)
