"""Concurrency drill: 2 writers alternate two payloads while 4 readers loop, on one store; every
run must end cleanly and every reader must see one whole state, never half a run.

    python -m drills.concurrency [--full] [--seconds S] [--backend sqlite|postgresql]
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from drills.common import (
    LATEST,
    Checks,
    Result,
    backends,
    child_env,
    duplicate_current_rows,
    finish,
    fresh_store,
    integrity_check,
    one_line_error,
    parser,
    run_cli,
    save_figures,
)

CI_SECONDS = 10.0
FULL_SECONDS = 60.0
PERSONNEL = "russia_losses_personnel.json"
# Payload B: latest/ with the last three personnel totals raised (a new deadliest day in B).
CHANGED = {"2026-08-06": 3_000, "2026-08-07": 3_000, "2026-08-08": 3_000}
READERS = {
    "records": ["records"],
    "series": ["series", "--format", "json"],
    "status": ["status", "--json"],
    "compare": ["compare", "--format", "json"],
}


def make_payload_b(folder: Path) -> tuple[dict[str, int], dict[str, int]]:
    """Write payload B; return the changed dates' personnel totals in A and in B."""
    shutil.copytree(LATEST, folder)
    rows = json.loads((LATEST / PERSONNEL).read_text())
    in_a = {r["date"]: r["personnel"] for r in rows if r["date"] in CHANGED}
    edited = [{**r, "personnel": r["personnel"] + CHANGED[r["date"]]} if r["date"] in CHANGED else r for r in rows]
    (folder / PERSONNEL).write_text(json.dumps(edited))
    return in_a, {d: v + CHANGED[d] for d, v in in_a.items()}


def series_totals(out: str) -> dict[str, int]:
    rows = json.loads(out)["rows"]
    return {r["report_date"]: r["total"] for r in rows if r["report_date"] in CHANGED}


def view(reader: str, res: Result) -> object:
    """What a reader's output says about the store's state, comparable between runs."""
    if reader == "series":
        return json.loads(res.out)
    if reader == "compare":
        return json.loads(res.out)
    if reader == "status":
        feeds = {f["feed"]: f for f in json.loads(res.out)}
        return feeds["ua-dataset"]["latest_report_date"]
    return res.out


def run_backend(backend: str, seconds: float, checks: Checks, work: Path) -> dict:
    env = child_env(str(work / "cache"))
    payload_b = work / "payload-b"
    totals_a, totals_b = make_payload_b(payload_b)
    payloads = {"A": str(LATEST), "B": str(payload_b)}
    with fresh_store(backend, work) as url:

        def ingest(which: str) -> Result:
            return run_cli("ingest", "dataset", "--from", payloads[which], "--db", url, "--wait", "2", "-q", env=env)

        def read(reader: str) -> Result:
            return run_cli(*READERS[reader], "--db", url, env=env)

        # The two states every reader must see one of, read with nothing else running.
        expected: dict[str, dict[str, object]] = {}
        claims = run_cli("ingest", "claims", "--db", url, "-q", env=env)
        checks.check(claims.code in (0, 3), f"{backend} setup", f"ingest claims exit {claims.code}: {claims.err}")
        for which in ("A", "B"):
            res = ingest(which)
            checks.check(res.code in (0, 3), f"{backend} setup", f"ingest {which} exit {res.code}: {res.err}")
            expected[which] = {}
            for reader in READERS:
                r = read(reader)
                checks.check(r.code in (0, 3), f"{backend} setup", f"{reader} on {which} exit {r.code}: {r.err}")
                expected[which][reader] = view(reader, r) if r.code in (0, 3) else None
        checks.check(
            series_totals(json.dumps(expected["A"]["series"])) == totals_a
            and series_totals(json.dumps(expected["B"]["series"])) == totals_b,
            f"{backend} setup",
            "the series of A and B do not hold the payloads' totals",
        )
        deadline = time.monotonic() + seconds
        lock = threading.Lock()
        codes: dict[str, Counter[int]] = {}
        views: Counter[str] = Counter()

        def writer(name: str, first: str) -> None:
            order = [first, "B" if first == "A" else "A"]
            i = 0
            while time.monotonic() < deadline:
                which = order[i % 2]
                res = ingest(which)
                i += 1
                with lock:
                    codes.setdefault(name, Counter())[res.code] += 1
                case = f"{backend} {name} run {i} ({which})"
                if checks.check(res.code in (0, 3, 7), case, f"exit {res.code}: {res.err.strip()[:300]}"):
                    if res.code == 7:
                        problem = one_line_error(res)
                        checks.check(problem is None, case, f"exit 7 with {problem}")
                    else:
                        checks.check(res.err == "", case, f"stderr on success: {res.err[:300]!r}")

        def reader_loop(reader: str) -> None:
            i = 0
            while time.monotonic() < deadline:
                res = read(reader)
                i += 1
                with lock:
                    codes.setdefault(reader, Counter())[res.code] += 1
                case = f"{backend} {reader} run {i}"
                if not checks.check(res.code in (0, 3), case, f"exit {res.code}: {res.err.strip()[:300]}"):
                    continue
                checks.check(res.err == "", case, f"stderr: {res.err[:300]!r}")
                seen = view(reader, res)
                if reader == "series":
                    totals = series_totals(res.out)
                    checks.check(
                        totals in (totals_a, totals_b), case, f"changed dates' totals {totals}: neither A nor B"
                    )
                state = next((s for s in ("A", "B") if seen == expected[s][reader]), None)
                if state and expected["A"][reader] == expected["B"][reader]:
                    state = "A or B (the same output)"
                with lock:
                    views[f"{reader} saw {state or 'neither'}"] += 1
                checks.check(state is not None, case, "the output equals neither state A nor state B")

        threads = [
            threading.Thread(target=writer, args=("writer-1", "A")),
            threading.Thread(target=writer, args=("writer-2", "B")),
        ] + [threading.Thread(target=reader_loop, args=(r,)) for r in READERS]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        dups = duplicate_current_rows(url)
        checks.check(dups == 0, f"{backend} afterwards", f"{dups} keys with more than one current row")
        integrity = integrity_check(url)
        checks.check(integrity == "ok", f"{backend} afterwards", f"integrity_check: {integrity}")
    return {
        "backend": backend,
        "seconds": seconds,
        "runs": {name: sum(c.values()) for name, c in sorted(codes.items())},
        "exit_codes": {name: {str(k): v for k, v in sorted(c.items())} for name, c in sorted(codes.items())},
        "views": dict(sorted(views.items())),
    }


def run(seconds: float, *, only: str | None = None) -> tuple[Checks, list[dict]]:
    """The concurrency drill on every configured backend; returns failed checks and figures."""
    checks = Checks()
    figures = []
    with tempfile.TemporaryDirectory(prefix="drill-concurrency-") as tmp:
        for backend in backends(only):
            work = Path(tmp) / backend
            work.mkdir()
            figures.append(run_backend(backend, seconds, checks, work))
    return checks, figures


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, help=f"default {CI_SECONDS:g}, --full {FULL_SECONDS:g}")
    p.add_argument("--backend", choices=["sqlite", "postgresql"])
    args = p.parse_args(argv)
    seconds = args.seconds or (FULL_SECONDS if args.full else CI_SECONDS)
    checks, figures = run(seconds, only=args.backend)
    for fig in figures:
        print(f"{fig['backend']}: {fig['seconds']:g}s; runs per process {fig['runs']}")
        for name, counts in fig["exit_codes"].items():
            print(f"  {name:<9} exit codes {counts}")
        print(f"  views {fig['views']}")
    save_figures("concurrency", {"runs": figures, "failures": checks.failures[:50]})
    return finish(checks)


if __name__ == "__main__":
    sys.exit(main())
