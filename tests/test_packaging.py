"""An installed tracker works away from the checkout: the wheel carries the migrations and the
curated claims, so a new store can be created and the shipped claims loaded and listed."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PIP = ["--disable-pip-version-check", "--quiet"]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", *PIP, "--no-deps", "-w", str(out), str(ROOT)],
        check=True,
        timeout=600,
    )
    [built] = out.glob("tracker-*.whl")
    return built


def test_the_wheel_carries_the_migrations_the_claims_and_the_licence(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    migrations = sorted(p.name for p in (ROOT / "migrations" / "versions").glob("*.py"))
    assert migrations and {f"tracker/_migrations/versions/{m}" for m in migrations} <= names
    assert {"tracker/_migrations/env.py", "tracker/_migrations/script.py.mako", "tracker/_claims/claims.csv"} <= names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    # the mappings a feed reads at run time: Oryx's types, Orc Losses' fields
    assert {"tracker/_sources/oryx-types.csv", "tracker/_sources/orc-losses-fields.csv"} <= names


def test_an_installed_tracker_creates_a_store_and_loads_and_lists_every_curated_claim(wheel, tmp_path):
    # A fresh virtual environment holding the wheel (not editable); its dependencies are read from
    # this test run's own environment, so the test needs no download and no minutes of installing.
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", *PIP, "--python", str(python), "install", "--no-deps", str(wheel)],
        check=True,
        timeout=600,
    )
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    db = f"sqlite:///{outside / 'x.db'}"
    environ = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    environ["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p.endswith("site-packages"))
    where = subprocess.run(
        [str(python), "-c", "import tracker; print(tracker.__file__)"],
        cwd=outside,
        env=environ,
        capture_output=True,
        text=True,
    )
    assert where.stdout.startswith(str(env_dir)), where.stdout + where.stderr

    def tracker(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(env_dir / "bin" / "tracker"), *args], cwd=outside, env=environ, capture_output=True, text=True
        )

    upgraded = tracker("db", "upgrade", "--db", db)
    assert upgraded.returncode == 0, upgraded.stderr
    assert "created at" in upgraded.stdout
    loaded = tracker("ingest", "claims", "--db", db)
    assert loaded.returncode == 0, loaded.stderr
    listed = tracker("claims", "list", "--format", "csv", "--db", db)
    assert listed.returncode == 0, listed.stderr
    with open(ROOT / "data" / "claims" / "claims.csv", newline="", encoding="utf-8") as handle:
        curated = {row["claim_key"] for row in csv.DictReader(handle) if not row["claim_key"].startswith("#")}
    assert {row["key"] for row in csv.DictReader(listed.stdout.splitlines())} == curated
