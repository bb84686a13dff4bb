"""Every file the tool writes goes through tracker.reports.safe_write: a unique temporary file created with
O_EXCL|O_NOFOLLOW in the target's folder, fsynced and renamed over the target. A link planted in
the folder is never written through, concurrent writers of one file all succeed, a full disk is
exit 6 with nothing left behind, an empty output path is refused, and standard output that cannot
be written is exit 6 with one line saying what was stored.
"""

from __future__ import annotations

import errno
import json
import os
import resource
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.clirun import run_tracker

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample" / "ua-general-staff-personnel.csv"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
TRACKER = [sys.executable, "-m", "tracker"]


@pytest.fixture(scope="module")
def sample_store(tmp_path_factory) -> str:
    """The bundled sample (246 personnel reports, 2024-03-31 to 2024-12-01) in a SQLite store."""
    from tracker.ingest.feeds.csvfeed import CsvFeed
    from tracker.ingest.run import run_ingest

    url = f"sqlite:///{tmp_path_factory.mktemp('sample') / 'store.db'}"
    report = run_ingest(url, CsvFeed(), location=str(SAMPLE), source="ua-general-staff")
    assert (report.status, report.n_records) == ("ok", 246)
    return url


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"TRACKER_DB_URL", "TRACKER_DEBUG"}}
    env.update(TRACKER_REPORT_CACHE="0", XDG_CACHE_HOME=str(tmp_path / "cache"), **extra)
    return env


def _temps(folder: Path) -> list[str]:
    """Files a writer left behind: anything hidden in the folder."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


# --- item 1: no write follows a link ------------------------------------------------------------


def test_a_link_planted_at_the_old_fixed_temp_name_is_never_written_through(capsys, tmp_path, sample_store):
    victim = tmp_path / "victim"
    victim.write_text("precious")
    charts = tmp_path / "charts"
    charts.mkdir()
    (charts / ".daily-personnel.png.tmp").symlink_to(victim)

    code, out, err = run_tracker(capsys, "charts", "--out-dir", str(charts), "--db", sample_store)

    assert code == 0, err
    assert victim.read_text() == "precious"
    published = charts / "daily-personnel.png"
    assert not published.is_symlink() and published.read_bytes()[:8] == PNG_MAGIC
    assert str(published) in out.splitlines()


def test_a_link_at_the_target_is_refused_in_one_line_exit_6_and_its_target_untouched(capsys, tmp_path, sample_store):
    victim = tmp_path / "victim"
    victim.write_text("precious")
    out_file = tmp_path / "r" / "d.png"
    out_file.parent.mkdir()
    out_file.symlink_to(victim)

    code, out, err = run_tracker(capsys, "chart", "daily", "--out", str(out_file), "--db", sample_store)

    assert (code, out) == (6, "")
    assert (
        err.strip() == f"error: {out_file} is a symbolic link: refusing to write through it or replace it (remove it)"
    )
    assert victim.read_text() == "precious" and out_file.is_symlink()
    assert _temps(out_file.parent) == []


def test_the_page_is_not_built_over_a_linked_file_and_the_previous_page_stays_whole(capsys, tmp_path, sample_store):
    site = tmp_path / "site"
    site.mkdir()
    before = {"index.html": b"<p>the previous page", "daily-personnel.png": b"the previous chart"}
    for name, content in before.items():
        (site / name).write_bytes(content)
    victim = tmp_path / "victim"
    victim.write_text("precious")
    (site / "style.css").symlink_to(victim)

    code, out, err = run_tracker(capsys, "site", "--out-dir", str(site), "--db", sample_store, "--quiet")

    assert (code, out) == (6, "")
    assert err.strip().splitlines()[-1] == (
        f"error: {site / 'style.css'} is a symbolic link: refusing to write through it or replace it (remove it)"
    )
    assert victim.read_text() == "precious"
    after = {p.name: p.read_bytes() for p in site.iterdir() if not p.is_symlink()}
    assert after == before  # nothing published: the previous page stays whole
    assert _temps(site) == []


def test_write_file_creates_its_temp_exclusively_and_never_follows_a_planted_link(tmp_path, monkeypatch):
    from tracker.reports import safe_write

    victim = tmp_path / "victim"
    victim.write_text("precious")
    target = tmp_path / "out" / "table.csv"
    target.parent.mkdir()
    # Plant a link at the very name the writer is about to use: O_EXCL|O_NOFOLLOW refuses it and
    # the writer takes another name.
    names = iter(["planted", "fresh"])
    monkeypatch.setattr(safe_write, "_token", lambda: next(names))
    planted = safe_write.temp_path(target, "planted")
    planted.symlink_to(victim)

    assert safe_write.write_file(target, "a,b\n1,2\n") == target

    assert victim.read_text() == "precious"
    assert target.read_text() == "a,b\n1,2\n" and not target.is_symlink()
    assert planted.is_symlink()  # a live writer's name is never taken over; only its own temp goes
    assert _temps(target.parent) == [planted.name]


def test_a_temp_left_by_a_killed_writer_is_removed_by_the_next_write_of_that_file(tmp_path):
    from tracker.reports import safe_write

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # a writer killed mid-write: its process is gone, its temp is not
    target = tmp_path / "daily.png"
    left = target.with_name(f".daily.png.{gone.pid}.0123456789ab.tmp")
    left.write_bytes(b"half a chart")
    other = tmp_path / f".monthly.png.{gone.pid}.0123456789ab.tmp"  # another file's: not this write's to judge
    other.write_bytes(b"half another chart")

    safe_write.write_file(target, b"a whole chart")

    assert target.read_bytes() == b"a whole chart"
    assert _temps(tmp_path) == [other.name]


def test_a_link_planted_at_a_report_cache_entry_s_temp_name_is_never_written_through(
    tmp_path, monkeypatch, sample_store
):
    """The report cache (~/.cache/tracker/reports) is a file the tool writes too; its temp name
    was the writer's pid, as easy to guess as the charts' fixed one."""
    from tracker.reports import cache
    from tracker.reports.options import report_options

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv(cache.CACHE_ENV, "1")
    opts = report_options(
        metric="personnel", source="ua-general-staff", by="report", format="table", include_flagged=False,
        db=sample_store,
    )  # fmt: skip
    entry = cache._cache_key("headline", opts, {})
    assert entry is not None
    entry.parent.mkdir(parents=True)
    victim = tmp_path / "victim"
    victim.write_text("precious")
    entry.with_suffix(f".{os.getpid()}.tmp").symlink_to(victim)

    assert cache.served("headline", opts, {}, lambda: "the answer") == "the answer"

    assert victim.read_text() == "precious"
    assert entry.read_text() == "the answer" and not entry.is_symlink()


# --- item 6: a full disk ------------------------------------------------------------------------


def test_a_write_that_fails_part_way_removes_its_temp_keeps_the_old_file_and_is_exit_6(tmp_path):
    from tracker.errors import StoreError
    from tracker.reports import safe_write

    target = tmp_path / "daily.png"
    target.write_bytes(b"the old chart")

    def half_then_full(handle):
        handle.write(b"half a chart")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with pytest.raises(StoreError) as failed:
        safe_write.write_file(target, half_then_full)

    assert failed.value.exit_code == 6
    assert str(failed.value) == f"cannot write {target}: No space left on device"
    assert target.read_bytes() == b"the old chart"
    assert _temps(tmp_path) == []


def _limited(max_bytes: int):
    """In the child: files may grow to max_bytes (RLIMIT_FSIZE), and a write past it fails with
    EFBIG instead of killing the process (SIGXFSZ ignored): a full disk without mounting one."""

    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_bytes, max_bytes))

    return apply


def test_a_full_disk_under_site_is_one_line_exit_6_and_leaves_no_temp_and_the_old_files_whole(tmp_path, sample_store):
    """`chart` and `charts` on a full disk: the bad-input drill's cases (tests/test_drills.py)."""
    command = ["site", "--out-dir", "{out}", "--quiet"]
    out = tmp_path / "out"
    out.mkdir()
    old = {"daily.png": b"the old chart", "daily-personnel.png": b"the old chart", "index.html": b"<p>old page"}
    for name, content in old.items():
        (out / name).write_bytes(content)
    args = [part.format(out=out) for part in command]

    done = subprocess.run(
        [*TRACKER, *args, "--db", sample_store],
        capture_output=True,
        text=True,
        env=_env(tmp_path),
        preexec_fn=_limited(40_000),  # every chart of the sample is larger
        cwd=tmp_path,
    )

    assert done.returncode == 6, done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines[-1].startswith("error: cannot write ") and lines[-1].endswith(": File too large"), done.stderr
    assert "Traceback" not in done.stderr
    assert _temps(out) == []
    assert {p.name: p.read_bytes() for p in out.iterdir()} == old


def test_a_full_standard_output_after_a_stored_run_is_exit_6_and_says_the_run_was_stored(tmp_path):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [*TRACKER, "ingest", "csv", "--from", str(SAMPLE), "--db", url],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(tmp_path),
        )

    assert done.returncode == 6
    assert done.stderr.splitlines() == [
        "error: cannot write the output: No space left on device; stored before it: csv (ua-general-staff) run 1 (ok)"
    ]
    with sqlite3.connect(tmp_path / "store.db") as conn:
        runs = conn.execute("SELECT id, status FROM ingest_run").fetchall()
        stored = conn.execute("SELECT COUNT(*) FROM observation").fetchone()[0]
    assert (runs, stored) == ([(1, "ok")], 246)


def test_a_full_standard_output_of_the_daily_job_names_every_run_it_stored(tmp_path, latest_dir):
    dataset = tmp_path / "dataset"
    dataset.mkdir()
    for name in ("russia_losses_personnel.json", "russia_losses_equipment.json"):
        rows = json.loads((latest_dir / name).read_text())
        (dataset / name).write_text(json.dumps([r for r in rows if r["date"] >= "2026-08-01"]))
    url = f"sqlite:///{tmp_path / 'store.db'}"
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [*TRACKER, "daily", "--dataset-from", str(dataset), "--db", url],
            stdout=full, stderr=subprocess.PIPE, text=True, env=_env(tmp_path),
        )  # fmt: skip

    assert done.returncode == 6
    assert done.stderr.splitlines() == [
        "error: cannot write the output: No space left on device; stored before it: dataset run 1, claims run 2"
    ]
    with sqlite3.connect(tmp_path / "store.db") as conn:
        runs = conn.execute("SELECT id, status FROM ingest_run ORDER BY id").fetchall()
        personnel = conn.execute(
            "SELECT value FROM observation o JOIN metric m ON m.id = o.metric_id "
            "WHERE m.name = 'personnel' AND o.report_date = '2026-08-08' AND o.superseded_at IS NULL"
        ).fetchall()
    assert runs == [(1, "ok"), (2, "ok")] and personnel == [(1_456_610,)]


def test_a_full_standard_output_of_a_report_is_exit_6_in_one_line(tmp_path, sample_store):
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [*TRACKER, "records", "--db", sample_store],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(tmp_path),
        )

    assert (done.returncode, done.stderr) == (6, "error: cannot write the output: No space left on device\n")


def test_a_reader_gone_from_the_pipe_only_discards_the_rest_and_the_exit_code_is_the_command_s(tmp_path, sample_store):
    read_end, write_end = os.pipe()
    os.close(read_end)  # `tracker records | head` once head has read what it wanted
    try:
        done = subprocess.run(
            [*TRACKER, "records", "--db", sample_store], stdout=write_end, stderr=subprocess.PIPE, text=True,
            env=_env(tmp_path),
        )  # fmt: skip
    finally:
        os.close(write_end)

    assert (done.returncode, done.stderr) == (0, "")


# --- item 7: concurrent writers -----------------------------------------------------------------


def test_a_writer_that_finishes_while_another_writes_the_same_file_does_not_break_it(tmp_path, sample_store):
    """Deterministic: writer B saves the same chart while writer A's bytes are half written."""
    from tracker.charts.build import ChartRequest, Loader, draw
    from tracker.charts.output import generated_date, save

    loader = Loader(sample_store, ChartRequest())
    try:
        fig_a = draw("daily", loader, generated_date())
        fig_b = draw("cumulative", loader, generated_date())
    finally:
        loader.close()
    alone = save(fig_a, tmp_path / "alone" / "d.svg").read_bytes()  # A's file when nobody interferes
    target = tmp_path / "r" / "d.svg"
    real_savefig = fig_a.savefig

    def savefig_while_b_writes(*args, **kwargs):
        real_savefig(*args, **kwargs)
        save(fig_b, target)  # B starts and finishes inside A's write

    fig_a.savefig = savefig_while_b_writes

    assert save(fig_a, target) == target

    assert target.read_bytes() == alone  # A, the last to finish, published its whole file
    assert _temps(target.parent) == []


def test_three_chart_writers_of_one_file_at_once_all_succeed_with_a_whole_file(tmp_path, sample_store):
    out = tmp_path / "r" / "d.svg"
    procs = [
        subprocess.Popen(
            [*TRACKER, "chart", "daily", "--out", str(out), "--db", sample_store],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(tmp_path),
        )
        for _ in range(3)
    ]
    results = [(p.wait(timeout=120), p.stdout.read(), p.stderr.read()) for p in procs]  # type: ignore[union-attr]

    assert [(code, stdout.strip(), stderr) for code, stdout, stderr in results] == [(0, str(out), "")] * 3
    assert out.read_text().rstrip().endswith("</svg>")
    assert _temps(out.parent) == []


# --- item 8: an empty output path ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["site", "--out-dir", ""], "an empty --out-dir: give a folder"),
        (["charts", "--out-dir", ""], "an empty --out-dir: give a folder"),
        (["chart", "daily", "--out", ""], "an empty --out: give a .png or .svg file"),
        (["daily", "--site-dir", ""], "an empty --site-dir: give a folder, or leave it out for no page"),
        (["daily", "--charts-dir", ""], "an empty --charts-dir: give a folder, or leave it out for no charts"),
        (["status", "--db", ""], "an empty --db: give a path or URL, or leave it out for the default"),
        (
            ["ingest", "csv", "--from", str(SAMPLE), "--db", " "],
            "an empty --db: give a path or URL, or leave it out for the default",
        ),
        (["records", "--db", ""], "an empty --db: give a path or URL, or leave it out for the default"),
    ],  # fmt: skip
    ids=["site", "charts", "chart", "daily-site", "daily-charts", "status-db", "ingest-db", "records-db"],
)
def test_an_empty_output_path_is_refused_in_one_line_exit_2_and_nothing_written(
    capsys, tmp_path, monkeypatch, sample_store, args, message
):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("TRACKER_REPORT_CACHE", "0")
    monkeypatch.delenv("TRACKER_DB_URL", raising=False)
    db = [] if "--db" in args else ["--db", sample_store]

    code, out, err = run_tracker(capsys, *args, *db)

    assert (code, out, err) == (2, "", f"error: {message}\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == []
