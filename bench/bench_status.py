"""Benchmark: `tracker status` and `tracker feeds list` on a store of many sources (issue 26: a
CSV of 20,000 source keys made `status` take 32 s and `feeds list` 36 s, a few queries per feed).

The store is built once with `tracker ingest csv` from a generated file (two reports of
personnel per source, keys bench-00000 …); `--db PATH` keeps it there and reuses it, so the same
store can be timed before and after a change. Wall times include process start-up; medians.

    .venv/bin/python bench/bench_status.py [--sources 20000] [--runs 3] [--db /tmp/status.db]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from common import TRACKER, timed


def build(path: Path, sources: int, folder: Path) -> float:
    """A store of `sources` sources, each with its own feed and run; the build's seconds."""
    csv_path = folder / "many-sources.csv"
    with csv_path.open("w") as out:
        out.write("report_date,metric,value,source\n")
        for n in range(sources):
            out.write(f"2024-01-01,personnel,{1000 + n},bench-{n:05d}\n2024-01-02,personnel,{1100 + n},bench-{n:05d}\n")
    cmd = [TRACKER, "ingest", "csv", "--from", str(csv_path), "--db", f"sqlite:///{path}", "--quiet"]
    return timed(cmd, ok=(0, 3)).seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sources", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--db", type=Path, help="keep the store here (reused when it exists)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.db or Path(tmp) / "status.db"
        if not path.exists():
            print(f"store of {args.sources:,} sources built in {build(path, args.sources, Path(tmp)):.1f} s")
        url = f"sqlite:///{path}"
        for name, cmd in (
            ("status", [TRACKER, "status", "--db", url]),
            ("feeds list", [TRACKER, "feeds", "list", "--db", url]),
        ):
            times = [timed(cmd, ok=(0, 3)).seconds for _ in range(args.runs)]
            print(f"{name}: median {statistics.median(times):.2f} s over {len(times)} runs")


if __name__ == "__main__":
    main()
