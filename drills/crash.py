"""Crash drill: kill -9 a full backfill of latest/ at random moments; the store must be exactly as
before or exactly as after the run's one transaction, and the next run must complete it.

    python -m drills.crash [--full] [--kills N] [--backend sqlite|postgresql]
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from drills.common import (
    LATEST,
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


def ci_kills(backend: str) -> int:
    return CI_KILLS_POSTGRESQL if backend == "postgresql" else CI_KILLS


def run(kills: int | None, *, seed: int | None = None, only: str | None = None) -> tuple[Checks, list[dict]]:
    """The crash drill on every configured backend (kills each, or the CI size when None);
    returns the failed checks and the figures."""
    checks = Checks()
    rng = random.Random(seed)
    figures = []
    with tempfile.TemporaryDirectory(prefix="drill-crash-") as tmp:
        for backend in backends(only):
            work = Path(tmp) / backend
            work.mkdir()
            figures.append(run_backend(backend, kills or ci_kills(backend), rng, checks, work))
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
    checks, figures = run(kills, seed=args.seed, only=args.backend)
    for fig in figures:
        print(
            f"{fig['backend']}: {fig['kills']} kills of a {fig['uninterrupted_seconds']}s backfill; "
            f"landed {fig['phases']}; recovery exit codes {fig['recovery_exit_codes']}"
        )
    save_figures("crash", {"runs": figures, "failures": checks.failures})
    return finish(checks)


if __name__ == "__main__":
    sys.exit(main())
