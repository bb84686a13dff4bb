"""Benchmark: an unchanged re-ingest through `tracker.Store.ingest` beside `tracker ingest dataset`.

Builds a store from the shared dataset (../shared/data/ua-general-staff/latest), then, the same
files again each time, alternates: the CLI in a process of its own; `Store(url).ingest("dataset",
...)` in a process of its own (the same start-up paid); and `Store.ingest` called in this process
(what a notebook pays, its imports already done). Prints the median of each and the ratio of the
two processes (the issue's bar: Store within 10% of the CLI).

    .venv/bin/python bench/bench_store_api.py [--runs 10]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from common import LATEST, TRACKER, arguments, timed

STORE_RUN = (
    "import sys\n"
    "from tracker import Store\n"
    "with Store(sys.argv[1]) as store:\n"
    "    report = store.ingest('dataset', from_=sys.argv[2])\n"
    "assert report.status == 'unchanged', report.status\n"
)


def main() -> None:
    args = arguments(__doc__, runs=10)
    from tracker import Store

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'store.db'}"
        build = timed([TRACKER, "ingest", "dataset", "--from", str(LATEST), "--db", url, "--quiet"], ok=(0, 3))
        print(f"store built in {build.seconds:.2f} s from {LATEST}")
        cli, store_process, in_process, run_seconds = [], [], [], []
        store = Store(url)
        for _ in range(args.runs):
            run = timed([TRACKER, "ingest", "dataset", "--from", str(LATEST), "--db", url, "--quiet"])
            assert "unchanged" in run.stdout, run.stdout
            cli.append(run.seconds)
            store_process.append(timed([sys.executable, "-c", STORE_RUN, url, str(LATEST)]).seconds)
            start = time.perf_counter()
            report = store.ingest("dataset", from_=str(LATEST))
            in_process.append(time.perf_counter() - start)
            run_seconds.append(report.seconds)
            assert report.status == "unchanged", report.status
        store.close()

    def median(values: list[float]) -> str:
        return f"{statistics.median(values):.3f} s"

    print(f"unchanged re-ingest, median of {args.runs} runs each, alternated:")
    print(f"  tracker ingest dataset (own process)       {median(cli)}")
    print(f"  Store.ingest('dataset') (own process)      {median(store_process)}")
    print(f"  Store.ingest('dataset') (in this process)  {median(in_process)} (the run itself: {median(run_seconds)})")
    ratio = statistics.median(store_process) / statistics.median(cli)
    print(f"  Store / CLI, own process each: {ratio:.2f}x ({'within' if ratio <= 1.10 else 'over'} the 10% bar)")


if __name__ == "__main__":
    main()
