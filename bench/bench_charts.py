"""Benchmark: `tracker charts --out-dir` (the standard set) on a full store, in a subprocess.

Builds the store in a temporary folder (`tracker ingest dataset --from ../shared/data/
ua-general-staff/latest`, then `tracker ingest claims`), runs the set a few times and prints the
median wall time including process start-up (goal: at most 5 s), and checks that every run
wrote the same bytes.

    .venv/bin/python bench/bench_charts.py [--runs 3]
"""

from __future__ import annotations

import hashlib
import os
import statistics
import tempfile
from pathlib import Path

from common import LATEST, TRACKER, arguments, timed

GOAL_SECONDS = 5.0


def digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()[:12] for p in sorted(folder.iterdir())}


def main() -> None:
    args = arguments(__doc__, runs=3)
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1704153600"}
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        url = f"sqlite:///{tmpdir / 'full.db'}"
        build = timed(
            [TRACKER, "ingest", "dataset", "--from", str(LATEST), "--db", url, "--quiet"], env=env, ok=(0, 3)
        ).seconds
        claims = timed([TRACKER, "ingest", "claims", "--db", url, "--quiet"], env=env, ok=(0, 3)).seconds
        print(f"store built in {build:.2f} s, claims in {claims:.2f} s, from {LATEST}")
        times, digests = [], []
        for i in range(args.runs):
            out = tmpdir / f"charts-{i}"
            result = timed([TRACKER, "charts", "--db", url, "--out-dir", str(out)], env=env)
            stdout = result.stdout
            times.append(result.seconds)
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
