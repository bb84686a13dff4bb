"""Benchmark: `tracker charts --out-dir` (the standard set) on a full store, in a subprocess.

Builds the store in a temporary folder (`tracker ingest dataset --from ../shared/data/
ua-general-staff/latest`, then `tracker ingest claims`), runs the set a few times and prints the
median wall time including process start-up (goal: at most 5 s), and checks that every run
wrote the same bytes.

    .venv/bin/python bench/bench_charts.py [--runs 3]
"""
from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LATEST = ROOT.parent / "shared" / "data" / "ua-general-staff" / "latest"
TRACKER = str(Path(sys.executable).parent / "tracker")
GOAL_SECONDS = 5.0


def run(cmd: list[str], env: dict[str, str], ok: tuple[int, ...] = (0,)) -> tuple[float, str]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - start
    if proc.returncode not in ok:
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr[-500:]}")
    return elapsed, proc.stdout


def digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()[:12] for p in sorted(folder.iterdir())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if not LATEST.is_dir():
        sys.exit(f"shared dataset not found at {LATEST}")
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1704153600"}
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        url = f"sqlite:///{tmpdir / 'full.db'}"
        build, _ = run([TRACKER, "ingest", "dataset", "--from", str(LATEST), "--db", url, "--quiet"], env, ok=(0, 3))
        claims, _ = run([TRACKER, "ingest", "claims", "--db", url, "--quiet"], env, ok=(0, 3))
        print(f"store built in {build:.2f} s, claims in {claims:.2f} s, from {LATEST}")
        times, digests = [], []
        for i in range(args.runs):
            out = tmpdir / f"charts-{i}"
            elapsed, stdout = run([TRACKER, "charts", "--db", url, "--out-dir", str(out)], env)
            times.append(elapsed)
            digests.append(digest(out))
        files = stdout.split()
    median = statistics.median(times)
    print(f"tracker charts --out-dir: {len(files)} charts, {args.runs} runs on {os.cpu_count()} cores")
    print("  runs:   " + ", ".join(f"{t:.2f} s" for t in times))
    print(f"  median: {median:.2f} s (goal: at most {GOAL_SECONDS:.0f} s) {'ok' if median <= GOAL_SECONDS else 'SLOW'}")
    print(f"  identical bytes on every run: {'yes' if all(d == digests[0] for d in digests) else 'NO'}")
    for name, sha in digests[0].items():
        print(f"    {name:<26} sha256 {sha}")


if __name__ == "__main__":
    main()
