"""The quickstart as a newcomer meets it: the store `make demo` made is found by later commands in
the checkout (through `.tracker.env`), and the demo's output on the bundled sample reads right (no
"1 years", no milestones passed before the sample began)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.clirun import run_tracker
from tracker.config import local_settings, resolve_db_url
from tracker.ingest.feeds.csvfeed import CsvFeed
from tracker.ingest.run import run_ingest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_CSV = ROOT / "data" / "sample" / "ua-general-staff-personnel.csv"


@pytest.fixture
def checkout(tmp_path, monkeypatch) -> Path:
    """A checkout (a folder with .git) whose .tracker.env names var/demo.db, as `make demo` leaves it."""
    root = tmp_path / "checkout"
    (root / ".git").mkdir(parents=True)
    (root / "var").mkdir()
    (root / ".tracker.env").write_text("# written by make demo\nTRACKER_DB_URL=var/demo.db\n")
    monkeypatch.delenv("TRACKER_DB_URL", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("TRACKER_REPORT_CACHE", "0")
    return root


def test_a_plain_command_inside_the_checkout_reads_the_store_named_in_tracker_env(capsys, checkout, monkeypatch):
    assert run_ingest(f"sqlite:///{checkout / 'var' / 'demo.db'}", CsvFeed(), location=str(SAMPLE_CSV)).exit_code in (
        0,
        3,
    )
    (checkout / "docs").mkdir()
    monkeypatch.chdir(checkout / "docs")  # a subfolder of the checkout finds it too

    code, out, err = run_tracker(capsys, "headline")

    assert (code, err) == (0, "")
    assert "Total since 2022-02-24: 742,130 people (report of 2024-12-01)." in out


def test_db_then_the_environment_then_tracker_env_then_the_default(checkout, monkeypatch, tmp_path):
    monkeypatch.chdir(checkout)
    from_file = f"sqlite:///{checkout / 'var' / 'demo.db'}"

    assert resolve_db_url() == from_file
    monkeypatch.setenv("TRACKER_DB_URL", "sqlite:////srv/env.db")
    assert resolve_db_url() == "sqlite:////srv/env.db"
    assert resolve_db_url("/srv/flag.db") == "sqlite:////srv/flag.db"
    monkeypatch.delenv("TRACKER_DB_URL")
    monkeypatch.chdir(tmp_path)  # outside the checkout: the default store
    assert resolve_db_url() == f"sqlite:///{tmp_path / 'data' / 'tracker' / 'tracker.db'}"


def test_a_tracker_env_above_the_checkout_root_or_without_the_setting_is_not_read(tmp_path):
    (tmp_path / ".tracker.env").write_text("TRACKER_DB_URL=sqlite:////elsewhere.db\n")
    inner = tmp_path / "repo"
    (inner / ".git").mkdir(parents=True)
    (inner / ".tracker.env").write_text("OTHER=1\n\n# TRACKER_DB_URL=commented.db\n")

    assert local_settings(inner) is None
    (inner / ".tracker.env").write_text("export TRACKER_DB_URL='postgresql://u@h/db'\n")
    assert local_settings(inner) == (inner / ".tracker.env", "postgresql://u@h/db")
    (inner / ".tracker.env").write_bytes(b"\xff\xfe not text")
    assert local_settings(inner) is None


def test_the_demo_on_the_sample_says_one_year_and_leaves_out_milestones_passed_before_it(capsys, tmp_path):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    assert run_ingest(url, CsvFeed(), location=str(SAMPLE_CSV)).exit_code in (0, 3)

    code, out, _err = run_tracker(capsys, "records", "--top", "5", "--db", url)

    assert code == 0
    assert "1 years" not in out and "1 days" not in out
    assert "Deadliest year (highest of 1 year counted; that year is incomplete)" in out
    assert "Left out of the day records: 1 day, by reason" in out
    milestones = out[out.index("Milestones") :].split("\n\n")[0]
    assert "100,000–400,000 passed before the first report here (2024-03-31), left out" in milestones
    listed = [line.split()[0] for line in milestones.splitlines()[3:]]
    assert listed == ["500,000", "600,000", "700,000"]


def test_a_missing_store_named_in_tracker_env_is_one_line_naming_the_file(capsys, checkout, monkeypatch):
    monkeypatch.chdir(checkout)

    code, out, err = run_tracker(capsys, "records")

    assert (code, out) == (6, "")
    assert err == (
        f"error: no tracker store at sqlite:///{checkout / 'var' / 'demo.db'} (named in {checkout / '.tracker.env'}): "
        "run `tracker ingest ...` or `tracker db upgrade` first (or `make demo` in the checkout)\n"
    )
    assert not (checkout / "var" / "demo.db").exists()
