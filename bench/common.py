"""What every benchmark here shares: where the shared data and the installed tools are, how a
command is timed, and the --runs argument."""

from __future__ import annotations

import argparse
import compileall
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LATEST = ROOT.parent / "shared" / "data" / "ua-general-staff" / "latest"
BIN = Path(sys.executable).parent
TRACKER = str(BIN / "tracker")


@dataclass(frozen=True)
class Timing:
    seconds: float  # wall time, process start-up included
    max_rss_kib: int  # that process's own peak memory
    stdout: str
    cpu_seconds: float = 0.0  # its user + system time: wall time less waiting (disk, a busy machine)


def timed(cmd: list[str], *, env: dict[str, str] | None = None, ok: tuple[int, ...] = (0,)) -> Timing:
    """Run a command to its end; exit the benchmark with its stderr if it fails."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)  # wait4: this process's own rusage
        elapsed = time.perf_counter() - start
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if code not in ok:
            sys.exit(f"{' '.join(cmd)} failed ({code}): {err.read().decode()[-500:]}")
        return Timing(elapsed, usage.ru_maxrss, out.read().decode(), usage.ru_utime + usage.ru_stime)


def arguments(
    doc: str, runs: int, more: Callable[[argparse.ArgumentParser], object] | None = None
) -> argparse.Namespace:
    """--runs N (and whatever `more` adds), after checking that the shared dataset is there."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--runs", type=int, default=runs)
    if more is not None:
        more(parser)
    args = parser.parse_args()
    if not LATEST.is_dir():
        sys.exit(f"shared dataset not found at {LATEST}")
    compile_tracker()
    return args


def compile_tracker() -> None:
    """Write tracker's bytecode before anything is timed, as an installed package has it: pip
    compiled the peers' modules when it installed them, while an editable install run with
    PYTHONDONTWRITEBYTECODE=1 (as on this machine) compiles tracker's ~120 modules again in
    every process, 0.1 s that no user's second run pays."""
    if not compileall.compile_dir(ROOT / "tracker", quiet=1):
        sys.exit("could not compile tracker's modules")


def long_rows(folder: Path) -> Path:
    """The dataset's totals as (report_date, metric, value) rows in a JSON file: what a plain
    loader (`sqlite-utils insert`) would insert."""
    rows = []
    for name in ("russia_losses_personnel.json", "russia_losses_equipment.json"):
        for report in json.loads((LATEST / name).read_text()):
            rows += [
                {"report_date": report["date"], "metric": k, "value": v}
                for k, v in report.items()
                if k not in ("date", "day") and isinstance(v, int)
            ]
    path = folder / "rows.json"
    path.write_text(json.dumps(rows))
    print(f"rows: {len(rows):,} totals from {LATEST}")
    return path


PLAIN_RECORDS_SCRIPT = r'''
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


def plain_records_script(folder: Path) -> list[str]:
    """The command running the plain pandas script on the shared dataset (the peer of `records`)."""
    script = folder / "plain_records.py"
    script.write_text(PLAIN_RECORDS_SCRIPT)
    return [sys.executable, str(script), str(LATEST)]


@dataclass(frozen=True)
class Summary:
    seconds: float  # median wall time
    max_rss_kib: int  # the highest peak memory of the runs
    cpu_seconds: float  # median user + system time


def summarise(timings: list[Timing]) -> Summary:
    """Median wall time, highest peak memory and median CPU time of several runs of one command."""
    return Summary(
        statistics.median(t.seconds for t in timings),
        max(t.max_rss_kib for t in timings),
        statistics.median(t.cpu_seconds for t in timings),
    )
