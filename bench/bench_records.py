"""Benchmark: `tracker records` on a full store against a plain pandas script that reads the
dataset JSON and computes the deadliest day, the record progression and monthly averages.

Wall times include process start-up for both (that is what a person at a terminal waits for);
medians of several runs, and their ratio. Goals (issue 12): computed with an empty report cache
(the first query after new data), at most 1.0x the plain script; served from the cache, at most
0.5x. The store is built in a temporary folder with `tracker ingest dataset`.

    .venv/bin/python bench/bench_records.py [--runs 7]
"""

from __future__ import annotations

import os
import statistics
import tempfile
from pathlib import Path

from common import LATEST, TRACKER, arguments, plain_records_script, timed

GOAL = 0.5  # served from the report cache
COLD_GOAL = 1.0  # computed, the cache empty or off


def main() -> None:
    args = arguments(__doc__, runs=7)
    tracker = TRACKER
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        url = f"sqlite:///{tmpdir / 'full.db'}"
        build = timed([tracker, "ingest", "dataset", "--from", str(LATEST), "--db", url, "--quiet"], ok=(0, 3)).seconds
        print(f"store built in {build:.2f} s from {LATEST}")
        plain_cmd = plain_records_script(tmpdir)
        env = {**os.environ, "XDG_CACHE_HOME": str(tmpdir / "cache")}
        cold_env = {**env, "TRACKER_REPORT_CACHE": "0"}
        cmd = [tracker, "records", "--db", url]
        plain, cold, warm = [], [], []
        timed(cmd, env=env)  # fills the report cache, if there is one
        for _ in range(args.runs):
            plain.append(timed(plain_cmd).seconds)
            cold.append(timed(cmd, env=cold_env).seconds)
            warm.append(timed(cmd, env=env).seconds)
    p, c, w = (statistics.median(x) for x in (plain, cold, warm))
    print(f"runs: {args.runs} each, medians of wall time including process start-up")
    print(f"  plain pandas script           {p:6.3f} s")
    print(
        f"  tracker records (computed)    {c:6.3f} s   ratio {c / p:4.2f}x   "
        f"goal <= {COLD_GOAL}x: {'met' if c / p <= COLD_GOAL else 'NOT met'}"
    )
    print(
        f"  tracker records (as served)   {w:6.3f} s   ratio {w / p:4.2f}x   "
        f"goal <= {GOAL}x: {'met' if w / p <= GOAL else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
