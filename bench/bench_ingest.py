"""Benchmark: the first backfill and an unchanged re-ingest of the full shared dataset on SQLite,
against `sqlite-utils insert` loading the same rows into a fresh table. Wall times include
process start-up for both; medians of several runs; peak memory (max RSS) of the backfill.

    .venv/bin/python bench/bench_ingest.py [--runs 7]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LATEST = ROOT.parent / "shared" / "data" / "ua-general-staff" / "latest"
BIN = Path(sys.executable).parent


def timed(cmd: list[str], ok: tuple[int, ...] = (0,)) -> tuple[float, int]:
    """Wall seconds and that process's own max RSS in KiB."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode() if proc.stderr else ""
    if code not in ok:
        sys.exit(f"{' '.join(cmd)} failed ({code}): {err[-500:]}")
    return elapsed, usage.ru_maxrss


def long_rows(folder: Path) -> Path:
    """The dataset's totals as (report_date, metric, value) rows: what a plain loader would insert."""
    rows = []
    for name in ("russia_losses_personnel.json", "russia_losses_equipment.json"):
        for report in json.loads((LATEST / name).read_text()):
            rows += [{"report_date": report["date"], "metric": k, "value": v}
                     for k, v in report.items() if k not in ("date", "day") and isinstance(v, int)]
    path = folder / "rows.json"
    path.write_text(json.dumps(rows))
    print(f"rows: {len(rows):,} totals from {LATEST}")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    if not LATEST.is_dir():
        sys.exit(f"shared dataset not found at {LATEST}")
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        rows = long_rows(tmpdir)
        baseline, first, again, rss = [], [], [], []
        for i in range(args.runs):
            db = tmpdir / f"su{i}.db"
            baseline.append(timed([str(BIN / "sqlite-utils"), "insert", str(db), "totals", str(rows)])[0])
            store = tmpdir / f"tracker{i}.db"
            ingest = [str(BIN / "tracker"), "ingest", "dataset", "--from", str(LATEST), "--db", str(store), "--quiet"]
            seconds, peak = timed(ingest, ok=(0, 3))
            first.append(seconds)
            rss.append(peak)
            again.append(timed(ingest, ok=(0,))[0])
        base = statistics.median(baseline)
        print(f"sqlite-utils insert (baseline): median {base:.3f} s over {args.runs} runs")
        for label, values, goal in (("tracker first backfill", first, 1.0), ("tracker re-ingest unchanged", again, 0.5)):
            med = statistics.median(values)
            verdict = "meets" if med / base <= goal else "misses"
            print(f"{label}: median {med:.3f} s = {med / base:.2f}x baseline (goal <= {goal}x: {verdict})")
        print(f"peak memory of the first backfill: {max(rss) / 1024:.0f} MiB (max RSS)")


if __name__ == "__main__":
    main()
