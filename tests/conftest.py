"""Shared fixtures: the real General Staff dataset beside the project, and fresh stores."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data" / "ua-general-staff"


def _require_shared() -> Path:
    if SHARED_DATA.is_dir():
        return SHARED_DATA
    reason = f"shared dataset not found at {SHARED_DATA} (clone the project beside ../shared)"
    if os.environ.get("TRACKER_REQUIRE_SHARED_DATA") == "1":
        pytest.fail(reason + " and TRACKER_REQUIRE_SHARED_DATA=1", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data/ua-general-staff: skips without it, fails if TRACKER_REQUIRE_SHARED_DATA=1."""
    return _require_shared()


@pytest.fixture(scope="session")
def latest_dir(shared_data: Path) -> Path:
    return shared_data / "latest"


@pytest.fixture(scope="session")
def history_dirs(shared_data: Path) -> list[Path]:
    return sorted(p for p in (shared_data / "history").iterdir() if p.is_dir())
