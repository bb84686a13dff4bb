"""Benchmark: `tracker records` on a full store against a plain pandas script that reads the
dataset JSON and computes the deadliest day, the record progression and monthly averages.

Wall times include process start-up for both (that is what a person at a terminal waits for);
medians of several runs, and their ratio (goal: tracker at most 0.5x the plain script). The
store is built in a temporary folder with `tracker ingest dataset`.

    .venv/bin/python bench/bench_records.py [--runs 7]
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
from pathlib import Path

from common import LATEST, TRACKER, arguments, timed

GOAL = 0.5

PLAIN_SCRIPT = r'''
"""What a person would write with pandas alone: no flags, no conventions, no exclusions."""
import sys
import pandas as pd

frame = pd.read_json(sys.argv[1] + "/russia_losses_personnel.json")
frame["date"] = pd.to_datetime(frame["date"])
frame = frame.sort_values("date").set_index("date")
daily = frame["personnel"].diff()
daily.iloc[0] = frame["personnel"].iloc[0]
print("deadliest day:", daily.idxmax().date(), int(daily.max()))
peak = daily.cummax()
records = daily[(daily == peak) & (daily > daily.shift().cummax().fillna(-1))]
print(records.to_string())
monthly = daily.resample("MS").agg(["sum", "count", "mean"])
print(monthly.to_string())
'''


def main() -> None:
    args = arguments(__doc__, runs=7)
    tracker = TRACKER
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        url = f"sqlite:///{tmpdir / 'full.db'}"
        build = timed([tracker, "ingest", "dataset", "--from", str(LATEST), "--db", url, "--quiet"], ok=(0, 3)).seconds
        print(f"store built in {build:.2f} s from {LATEST}")
        script = tmpdir / "plain_records.py"
        script.write_text(PLAIN_SCRIPT)
        env = {**os.environ, "XDG_CACHE_HOME": str(tmpdir / "cache")}
        cold_env = {**env, "TRACKER_REPORT_CACHE": "0"}
        cmd = [tracker, "records", "--db", url]
        plain, cold, warm = [], [], []
        timed(cmd, env=env)  # fills the report cache, if there is one
        for _ in range(args.runs):
            plain.append(timed([sys.executable, str(script), str(LATEST)]).seconds)
            cold.append(timed(cmd, env=cold_env).seconds)
            warm.append(timed(cmd, env=env).seconds)
    p, c, w = (statistics.median(x) for x in (plain, cold, warm))
    print(f"runs: {args.runs} each, medians of wall time including process start-up")
    print(f"  plain pandas script           {p:6.3f} s")
    print(f"  tracker records (computed)    {c:6.3f} s   ratio {c / p:4.2f}x")
    print(
        f"  tracker records (as served)   {w:6.3f} s   ratio {w / p:4.2f}x   "
        f"goal <= {GOAL}x: {'met' if w / p <= GOAL else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
