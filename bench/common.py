"""What every benchmark here shares: where the shared data and the installed tools are, how a
command is timed, and the --runs argument."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
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
        return Timing(elapsed, usage.ru_maxrss, out.read().decode())


def arguments(doc: str, runs: int) -> argparse.Namespace:
    """--runs N, after checking that the shared dataset is there."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--runs", type=int, default=runs)
    args = parser.parse_args()
    if not LATEST.is_dir():
        sys.exit(f"shared dataset not found at {LATEST}")
    return args
