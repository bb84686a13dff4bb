"""Crash drill: kill -9 a full backfill of latest/ at random moments; the store must be exactly as
before or exactly as after the run's one transaction, and the next run must complete it. Then
kill -9 the newsroom page and a chart while they are written, and fill the disk under them: each
published file is the old whole one or the new whole one, and the next run leaves no temp behind.

    python -m drills.crash [--full] [--kills N] [--backend sqlite|postgresql]
"""

from __future__ import annotations

import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from drills.common import (
    LATEST,
    PROJECT_ROOT,
    Checks,
    backends,
    child_env,
    fingerprint,
    finish,
    fresh_store,
    integrity_check,
    parser,
    run_cli,
    save_figures,
    sqlite_path,
    tracker_command,
)

CI_KILLS = 5
CI_KILLS_POSTGRESQL = 2  # a PostgreSQL backfill is slower; CI keeps the file near its time budget
FULL_KILLS = 50
CI_OUTPUT_KILLS = 2  # one page build and one chart, each killed at a random moment
FULL_OUTPUT_KILLS = 20
SAMPLE = PROJECT_ROOT / "data" / "sample" / "ua-general-staff-personnel.csv"
# Two "generated" dates: the same store drawn on each gives two versions of every file.
OLD_EPOCH, NEW_EPOCH = "1704153600", "1735689600"  # 2024-01-02, 2025-01-01
DISK_BYTES = 40_000  # RLIMIT_FSIZE of the full-disk run: every chart of the sample is larger
# A fixed observation time makes two complete backfills byte-for-byte comparable.
OBSERVED_AT = "2026-08-08T12:00:00+00:00"


def backfill_args(url: str) -> list[str]:
    return ["ingest", "dataset", "--from", str(LATEST), "--observed-at", OBSERVED_AT, "--db", url, "--quiet"]


def write_in_progress(url: str) -> bool:
    """Whether some connection holds an open write transaction on the store right now."""
    path = sqlite_path(url)
    if path is not None:
        if not path.exists():
            return False
        import sqlite3

        try:
            conn = sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=0, isolation_level=None)
        except sqlite3.Error:
            return False
        try:
            conn.execute("BEGIN IMMEDIATE")  # fails at once while another writer holds the write lock
            conn.execute("ROLLBACK")
            return False
        except sqlite3.OperationalError:
            return True
        finally:
            conn.close()
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as pg:
            return bool(
                pg.execute(
                    text(
                        "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() "
                        "AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL"
                    )
                ).scalar()
            )
    finally:
        engine.dispose()


def run_backend(backend: str, kills: int, rng: random.Random, checks: Checks, work: Path) -> dict:
    """Measure one uninterrupted backfill, then kill `kills` backfills at random moments."""
    env = child_env(str(work / "cache"))
    with fresh_store(backend, work, "reference.db") as ref_url:
        reference = run_cli(*backfill_args(ref_url), env=env)
        checks.check(reference.code in (0, 3), f"{backend} reference", f"uninterrupted backfill exit {reference.code}")
        after = fingerprint(ref_url)
    with fresh_store(backend, work, "empty.db") as empty_url:
        upgraded = run_cli("db", "upgrade", "--db", empty_url, env=env)
        checks.check(upgraded.code == 0, f"{backend} empty", f"db upgrade exit {upgraded.code}: {upgraded.err}")
        empty = fingerprint(empty_url)
    # "Before": a store not yet created, or created with its schema and no data.
    before_states = [{}, empty]
    duration = reference.seconds
    phases: Counter[str] = Counter()
    recovery_codes: Counter[int] = Counter()
    for i in range(kills):
        case = f"{backend} kill #{i + 1}"
        delay = rng.uniform(0, duration)
        with fresh_store(backend, work, f"kill{i}.db") as url:
            proc = subprocess.Popen(
                [*tracker_command(), *backfill_args(url)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=env,
                cwd="/",
            )
            time.sleep(delay)
            writing = write_in_progress(url) if proc.poll() is None else False
            exited = proc.poll() is not None
            if not exited:
                os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=60)
            integrity = integrity_check(url)
            checks.check(integrity == "ok", case, f"integrity_check after kill at {delay:.2f}s: {integrity}")
            state = fingerprint(url)
            if state == after:
                phase = "after (run had exited)" if exited else "after the commit"
            elif state in before_states:
                phase = "during the transaction" if writing else "before the transaction"
            else:
                phase = "neither before nor after"
                differs = sorted(t for t in set(state) | set(after) if state.get(t) != after.get(t))
                checks.check(False, case, f"kill at {delay:.2f}s left a half-written store (differs in {differs})")
            phases[phase] += 1
            recovery = run_cli(*backfill_args(url), env=env)
            recovery_codes[recovery.code] += 1
            checks.check(
                recovery.code in (0, 3),
                case,
                f"the run after the kill exited {recovery.code}: {recovery.err.strip()[:300]}",
            )
            checks.check(fingerprint(url) == after, case, "the run after the kill did not reach the backfill's state")
            checks.check(integrity_check(url) == "ok", case, "integrity_check after the recovery run")
    return {
        "backend": backend,
        "kills": kills,
        "uninterrupted_seconds": round(duration, 2),
        "phases": dict(phases),
        "recovery_exit_codes": {str(k): v for k, v in sorted(recovery_codes.items())},
    }


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file() and not p.name.startswith(".")}


def _hidden(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def _full_disk() -> None:
    """In the child: a file may not grow past DISK_BYTES, and a write past it fails (EFBIG)."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (DISK_BYTES, DISK_BYTES))


def run_outputs(kills: int, rng: random.Random, checks: Checks, work: Path) -> dict:
    """kill -9 a page build or a chart write at random moments, then a full disk under each."""
    url = f"sqlite:///{work / 'outputs.db'}"
    env = child_env(str(work / "cache"))
    stored = run_cli("ingest", "csv", "--from", str(SAMPLE), "--db", url, "--quiet", env=env)
    checks.check(stored.code == 0, "outputs", f"ingest of the sample exit {stored.code}: {stored.err}")
    versions = {}
    for label, epoch in (("old", OLD_EPOCH), ("new", NEW_EPOCH)):
        res = run_cli(
            "site", "--out-dir", str(work / label), "--db", url, "--quiet", env={**env, "SOURCE_DATE_EPOCH": epoch}
        )
        checks.check(res.code == 0, "outputs", f"the {label} page exit {res.code}: {res.err.strip()[:300]}")
        versions[label] = _files(work / label)
    old, new = versions["old"], versions["new"]
    duration = res.seconds
    commands = {
        "page": lambda out: ["site", "--out-dir", str(out), "--db", url, "--quiet"],
        "chart": lambda out: ["chart", "daily", "--out", str(out / "daily-personnel.png"), "--db", url],
    }
    landed: Counter[str] = Counter()
    for i in range(kills):
        what = ("page", "chart")[i % 2]
        case = f"{what} kill #{i + 1}"
        out = work / f"kill{i}"
        shutil.copytree(work / "old", out)
        delay = rng.uniform(0, duration)
        proc = subprocess.Popen(
            [*tracker_command(), *commands[what](out)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**env, "SOURCE_DATE_EPOCH": NEW_EPOCH},
            cwd="/",
        )
        time.sleep(delay)
        exited = proc.poll() is not None
        if not exited:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
        now = _files(out)
        mixed = [name for name, data in now.items() if data not in (old.get(name), new.get(name))]
        checks.check(not mixed, case, f"kill at {delay:.2f}s left files neither old nor new: {mixed}")
        checks.check(set(now) == set(old), case, f"kill at {delay:.2f}s changed the files present: {sorted(now)}")
        replaced = sum(1 for name, data in now.items() if data == new[name] != old[name])
        landed["after" if exited else ("part replaced" if replaced else "before any file replaced")] += 1
        again = run_cli(*commands[what](out), env={**env, "SOURCE_DATE_EPOCH": NEW_EPOCH})
        checks.check(again.code == 0, case, f"the run after the kill exit {again.code}: {again.err.strip()[:300]}")
        expected = new if what == "page" else {**old, "daily-personnel.png": new["daily-personnel.png"]}
        checks.check(_files(out) == expected, case, "the run after the kill did not publish the new files whole")
        checks.check(not _hidden(out), case, f"temporary files left after the next run: {_hidden(out)}")
    disk: dict[str, int] = {}
    for what, command in commands.items():  # the page through its scratch folder, the chart directly
        case = f"{what} on a full disk"
        out = work / f"full-{what}"
        shutil.copytree(work / "old", out)
        res = run_cli(*command(out), env={**env, "SOURCE_DATE_EPOCH": NEW_EPOCH}, preexec=_full_disk)
        disk[what] = res.code
        checks.check(res.code == 6, case, f"exit {res.code}, expected 6: {res.err.strip()[:300]}")
        checks.check(
            len(res.err_lines) == 1 and res.err_lines[0].endswith(": File too large"), case, f"stderr {res.err!r}"
        )
        checks.check(_files(out) == old, case, "the previous files did not stay whole")
        checks.check(not _hidden(out), case, f"temporary files left: {_hidden(out)}")
    tmpfs = _tmpfs_page(work, commands["page"], old, env, checks)
    return {
        "output_kills": kills,
        "output_seconds": round(duration, 2),
        "landed": dict(landed),
        "full_disk_exit": disk,
        "tmpfs": tmpfs,
    }


def _tmpfs_page(
    work: Path, command: Callable[[Path], list[str]], old: dict[str, bytes], env: dict[str, str], checks: Checks
) -> str:
    """The page rebuilt on a real full disk: a 1 MiB tmpfs holding the previous page, where root
    may mount one; what happened, or why it was not tried."""
    mount = work / "tmpfs"
    mount.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return "not tried: mounting a tmpfs needs root"
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        return f"not tried: mount refused ({mounted.stderr.strip()[:120]})"
    try:
        shutil.copytree(work / "old", mount / "site")
        res = run_cli(*command(mount / "site"), env={**env, "SOURCE_DATE_EPOCH": NEW_EPOCH})
        case = "page on a full 1 MiB tmpfs"
        checks.check(res.code == 6, case, f"exit {res.code}, expected 6: {res.err.strip()[:300]}")
        checks.check(
            len(res.err_lines) == 1 and res.err_lines[0].endswith(": No space left on device"), case, repr(res.err)
        )
        checks.check(_files(mount / "site") == old, case, "the previous page did not stay whole")
        checks.check(not _hidden(mount / "site"), case, f"temporary files left: {_hidden(mount / 'site')}")
        return f"exit {res.code}"
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def ci_kills(backend: str) -> int:
    return CI_KILLS_POSTGRESQL if backend == "postgresql" else CI_KILLS


def run(
    kills: int | None, *, seed: int | None = None, only: str | None = None, output_kills: int = CI_OUTPUT_KILLS
) -> tuple[Checks, list[dict]]:
    """The crash drill on every configured backend (kills each, or the CI size when None), then
    the page and chart writes; returns the failed checks and the figures."""
    checks = Checks()
    rng = random.Random(seed)
    figures = []
    with tempfile.TemporaryDirectory(prefix="drill-crash-") as tmp:
        for backend in backends(only):
            work = Path(tmp) / backend
            work.mkdir()
            figures.append(run_backend(backend, kills or ci_kills(backend), rng, checks, work))
        if only in (None, "sqlite"):  # files are written alike whatever the store
            work = Path(tmp) / "outputs"
            work.mkdir()
            figures.append({"backend": "files", **run_outputs(output_kills, rng, checks, work)})
    return checks, figures


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument(
        "--kills",
        type=int,
        help=f"kills per backend (default {CI_KILLS}, {CI_KILLS_POSTGRESQL} on PostgreSQL; --full {FULL_KILLS})",
    )
    p.add_argument("--backend", choices=["sqlite", "postgresql"])
    p.add_argument("--seed", type=int)
    args = p.parse_args(argv)
    kills = args.kills or (FULL_KILLS if args.full else None)
    output_kills = FULL_OUTPUT_KILLS if args.full else CI_OUTPUT_KILLS
    checks, figures = run(kills, seed=args.seed, only=args.backend, output_kills=output_kills)
    for fig in figures:
        if fig["backend"] == "files":
            print(
                f"files: {fig['output_kills']} kills of a {fig['output_seconds']}s page build or chart; landed "
                f"{fig['landed']}; full disk exit codes {fig['full_disk_exit']}; 1 MiB tmpfs: {fig['tmpfs']}"
            )
            continue
        print(
            f"{fig['backend']}: {fig['kills']} kills of a {fig['uninterrupted_seconds']}s backfill; "
            f"landed {fig['phases']}; recovery exit codes {fig['recovery_exit_codes']}"
        )
    save_figures("crash", {"runs": figures, "failures": checks.failures})
    return finish(checks)


if __name__ == "__main__":
    sys.exit(main())
