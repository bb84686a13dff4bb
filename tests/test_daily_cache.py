"""`tracker daily` warms the report cache: after the job, the morning's `records`, `headline` and
`averages --period month` are served as computed by the job, without reading the store again."""

from __future__ import annotations

import re

import pytest

from tests.clirun import run_tracker
from tracker.errors import ExitCode
from tracker.reports import outputs

MORNING = (["records"], ["headline"], ["averages", "--period", "month"])


@pytest.fixture
def cache_home(tmp_path, monkeypatch):
    home = tmp_path / "cache-home"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    monkeypatch.delenv("TRACKER_REPORT_CACHE", raising=False)
    monkeypatch.delenv("TRACKER_CHARTS_DIR", raising=False)
    monkeypatch.delenv("TRACKER_SITE_DIR", raising=False)
    return home


def _cache_line(out: str) -> str:
    lines = [line for line in out.splitlines() if " cache: " in line or line.startswith("cache: ")]
    assert len(lines) == 1, out
    return lines[0]


def test_after_daily_the_morning_reports_are_served_without_being_computed(
    capsys, tmp_path, latest_dir, cache_home, monkeypatch
):
    db = str(tmp_path / "store.db")

    code, out, err = run_tracker(capsys, "daily", "--dataset-from", str(latest_dir), "--db", db)

    assert code == ExitCode.FINDINGS, err
    assert re.fullmatch(r"\S+Z cache: warmed 3 of 3 reports in \d+\.\d s", _cache_line(out))
    assert len(list((cache_home / "tracker" / "reports").glob("*.txt"))) == 3
    computed = {}
    monkeypatch.setenv("TRACKER_REPORT_CACHE", "0")
    for command in MORNING:
        computed[command[0]] = run_tracker(capsys, *command, "--db", db)
    monkeypatch.delenv("TRACKER_REPORT_CACHE")

    def must_not_compute(*_args, **_kwargs):
        raise AssertionError("computed instead of served from the cache")

    monkeypatch.setattr(outputs, "load_daily", must_not_compute)
    monkeypatch.setattr(outputs, "load_series", must_not_compute)
    for command in MORNING:
        # the same store named as a URL: the cache knows it by its file
        assert run_tracker(capsys, *command, "--db", f"sqlite:///{db}") == computed[command[0]]
        assert computed[command[0]][0] == 0


def test_a_report_the_job_cannot_warm_is_named_on_its_line_and_changes_no_exit_code(
    capsys, tmp_path, latest_dir, cache_home, monkeypatch
):
    def broken(*_args, **_kwargs):
        raise ValueError("the headline broke\nsecond line")

    monkeypatch.setattr(outputs, "headline_output", broken)

    code, out, err = run_tracker(capsys, "daily", "--dataset-from", str(latest_dir), "--db", str(tmp_path / "s.db"))

    assert code == ExitCode.FINDINGS, err  # as without the cache step: the first run's findings
    line = _cache_line(out)
    assert re.fullmatch(
        r"\S+Z cache: warmed 2 of 3 reports in \d+\.\d s; not warmed: headline: the headline broke", line
    )
    assert "22,375 new" in out.splitlines()[0]  # the steps before it stand


def test_daily_with_the_cache_off_warms_nothing_and_says_why(capsys, tmp_path, latest_dir, cache_home, monkeypatch):
    monkeypatch.setenv("TRACKER_REPORT_CACHE", "0")

    code, out, _ = run_tracker(capsys, "daily", "--dataset-from", str(latest_dir), "--db", str(tmp_path / "s.db"))

    assert code == ExitCode.FINDINGS
    assert _cache_line(out) == "cache: not warmed (the report cache is off: TRACKER_REPORT_CACHE=0)"
    assert not cache_home.exists()


def test_daily_on_postgresql_warms_nothing_and_says_why(capsys, pg_url, latest_dir, cache_home):
    code, out, _ = run_tracker(capsys, "daily", "--dataset-from", str(latest_dir), "--db", pg_url)

    assert code == ExitCode.FINDINGS
    assert _cache_line(out) == "cache: not warmed (only a SQLite store's answers are kept)"


def test_a_daily_that_stored_nothing_warms_nothing(capsys, tmp_path, cache_home):
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "russia_losses_personnel.json").write_text("<html>502 Bad Gateway</html>")

    code, out, _ = run_tracker(
        capsys, "daily", "--dataset-from", str(folder), "--claims-from", str(folder / "missing.csv"),
        "--db", str(tmp_path / "s.db"),
    )  # fmt: skip

    assert code == ExitCode.BAD_PAYLOAD
    assert "cache:" not in out
    assert not cache_home.exists()
