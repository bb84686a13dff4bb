"""Benchmark: an unchanged re-ingest through `tracker.Store.ingest` beside `tracker ingest dataset`.

Builds a store from the shared dataset (../shared/data/ua-general-staff/latest), then, the same
files again each time, alternates: the CLI in a process of its own; `Store(url).ingest("dataset",
...)` in a process of its own (the same start-up paid); and `Store.ingest` called in this process
(what a notebook pays, its imports already done). Prints the median of each and the ratio of the
two processes (the issue's bar: Store within 10% of the CLI). Then `tracker daily` on the same
unchanged files: its dataset step's own time (the `[0.12s]` of its line) beside the run time the
CLI's `ingest dataset` reports, since both now take the one ingest's unchanged-payload step.

    .venv/bin/python bench/bench_store_api.py [--runs 10]
"""

from __future__ import annotations

import re
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
        daily_step, cli_run = [], []
        for _ in range(args.runs):
            run = timed([TRACKER, "ingest", "dataset", "--from", str(LATEST), "--db", url])
            cli_run.append(_step_seconds(run.stdout, "unchanged"))
            claims = timed([TRACKER, "ingest", "claims", "--db", url, "--quiet"], ok=(0, 3))
            assert claims.seconds >= 0
            day = timed([TRACKER, "daily", "--dataset-from", str(LATEST), "--db", url], ok=(0, 3))
            daily_step.append(_step_seconds(day.stdout, "dataset"))

    def median(values: list[float]) -> str:
        return f"{statistics.median(values):.3f} s"

    print(f"unchanged re-ingest, median of {args.runs} runs each, alternated:")
    print(f"  tracker ingest dataset (own process)       {median(cli)}")
    print(f"  Store.ingest('dataset') (own process)      {median(store_process)}")
    print(f"  Store.ingest('dataset') (in this process)  {median(in_process)} (the run itself: {median(run_seconds)})")
    ratio = statistics.median(store_process) / statistics.median(cli)
    print(f"  Store / CLI, own process each: {ratio:.2f}x ({'within' if ratio <= 1.10 else 'over'} the 10% bar)")
    print("the run itself, as each prints it:")
    print(f"  tracker ingest dataset                      {median(cli_run)}")
    print(f"  tracker daily, its dataset step             {median(daily_step)}")


def _step_seconds(output: str, word: str) -> float:
    """The `[0.12s]` of the first output line naming `word`."""
    for line in output.splitlines():
        found = re.search(r"\[([0-9.]+)s\]", line)
        if word in line and found:
            return float(found.group(1))
    raise SystemExit(f"no line with {word!r} and a time in:\n{output}")


if __name__ == "__main__":
    main()
