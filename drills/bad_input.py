"""Bad-input drill: hostile, broken and strange input at every entry point, through the real CLI.

Each case must end with its documented exit code (2 usage, 3 stored with findings, 5 bad payload,
6 store or unreadable local file), at most one `error:` line on stderr and never a traceback, and
the store unchanged (for exit 0 and 3: exactly what the same input without the bad value stores).

    python -m drills.bad_input              # run every case, print the table
    python -m drills.bad_input --write-doc  # and write docs/reliability.md from the results
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import unicodedata
from collections.abc import Callable
from pathlib import Path

from drills import concurrency, crash
from drills.common import (
    LATEST,
    PROJECT_ROOT,
    Checks,
    Result,
    child_env,
    fingerprint,
    finish,
    one_line_error,
    parser,
    run_cli,
    save_figures,
    tracker_command,
)

DOC = PROJECT_ROOT / "docs" / "reliability.md"
# Rows of the guarantees table written out whole (fault | what it does | exit code | kept | proved by).
RUN_GUARANTEE_ROWS = (
    "| an unexpected exception (a bug) in an ingest run | one `internal error:` line "
    "(`TRACKER_DEBUG=1`: the traceback); the run is recorded as failed with that line and exit code "
    "| 1 | the store as before, plus the failed run's record | test_run_records.py: a bug in validation |",
    "| a bug in one step of `tracker daily` | that step's line says `internal error`; the later steps "
    "(claims, charts, page, cache) still run | 1 (the first failing step's code) | every other step's "
    "result | test_run_records.py: a bug in the dataset step or the charts step |",
    "| a value longer than its store column (a qualifier over 32 characters, an Oryx series name over 64) "
    "| a finding on its record, the same on SQLite and PostgreSQL | 3 | the rest of the payload "
    "| test_run_records.py: … too long for its column / a series name |",
    "| an Oryx backfill older than the store's last Oryx run | each snapshot whose date the store has not "
    "seen later is added, first seen at its own moment; one whose date was seen later is skipped and "
    "named | 0 or 3 | every snapshot's date not seen later; the latest run stays the latest "
    "| test_run_records.py: an Oryx backfill after a live run |",
    "| an entry of a `--snapshots` folder that is not a folder | named on stderr as skipped "
    "| the runs' own | every snapshot folder | test_run_records.py: name each entry |",
    "| a broken link among `--snapshots` folders | one `error:` line naming it, before anything is "
    "ingested | 6 | the store unchanged | test_run_records.py: a broken link among snapshot folders |",
    "| Ctrl-C (SIGINT) at any moment, also inside a finalizer | one `interrupted:` line | 130 "
    "| the snapshots finished before it; the unfinished run rolled back | test_run_records.py: "
    "a Ctrl-C that lands in a finalizer; real SIGINTs at several moments |",
    "| a failed fetch | a failed run record, started when the run started | 4 | the run's record "
    "| test_run_records.py: a failed fetch after a stored run |",
    "| `sources remove` of a source with figures | one `error:` line | 2 | the store unchanged "
    "| test_run_records.py: sources remove |",
    "| an emptied claims file, or one that would remove more than 3 claims at once | the removals held: "
    "a `withdrawal_held` finding; `tracker feeds accept-withdrawal FEED` applies them | 3 | every claim "
    "current | test_claim_files.py: an emptied claims file, more than 3 claims; bad input: header only |",
    "| a claims file with a claim key another claims file (feed) holds | one `error:` line naming both "
    "feeds and files | 5 | the store as before, plus the failed run's record "
    "| test_claim_files.py: a claim key in two files |",
)
PERSONNEL = "russia_losses_personnel.json"
EQUIPMENT = "russia_losses_equipment.json"
WARSHIP_PAGE = PROJECT_ROOT / "tests" / "fixtures" / "warship" / "pages" / "page-1.json"
WARSHIP_SEED = WARSHIP_PAGE.with_name("page-2.json")
CLAIMS_FILE = PROJECT_ROOT / "data" / "claims" / "claims.csv"
SEED_DATES = ("2024-11-09", "2024-11-10", "2024-11-11")
NEW_DATE = "2024-11-12"
RSS_LIMIT_MIB = 300
FORMULA = '=HYPERLINK("http://x","click")'
ESCAPES = "\x1b[31m\x07\u202e"
# A live formula and escapes within a qualifier's 32 characters (a longer one is a finding, not stored).
HOSTILE_QUALIFIER = '=HYPERLINK("//x","c")' + ESCAPES
# Characters a terminal or a bidi-aware viewer acts on: none may reach printed or exported text.
UNSAFE_CATEGORIES = {"Cc", "Cf", "Cs"}

Args = list[str]


@dataclasses.dataclass
class Case:
    """One bad input: how to build it, the exit code the spec documents, and what else to check."""

    name: str
    entry: str
    build: Callable[[Path], Args]  # writes the input under the case folder; the CLI arguments
    expect: int
    clean: Callable[[Path], Args] | None = None  # the same input without the bad value (exit 0/3)
    nobody: bool = False  # run as user nobody (we are root: permission bits would not stop us)
    prepare: Callable[[Path, str], None] | None = None  # change the store before the run
    after: Callable[[Path, str], list[str]] | None = None  # further checks: problems found
    rss_limit_mib: int | None = None
    same_as_seed: bool = False  # exit 0 with the seed's own reports: nothing may change
    preexec: Callable[[], None] | None = None  # in the child before it runs (a file size limit)
    stdout_path: str | None = None  # the child's standard output (/dev/full)
    stored_anyway: bool = False  # a failure after the run committed: the store holds the run
    in_cwd: bool = False  # run in an empty folder of the case, which must stay empty
    env: dict[str, str] | None = None  # settings for this run (e.g. a bad $TRACKER_HTTP_TIMEOUT)


@dataclasses.dataclass
class Outcome:
    case: Case
    code: int
    message: str
    unchanged: str
    problems: list[str]
    max_rss_mib: float
    skipped: str | None = None  # why the case could not run here (user nobody cannot reach tracker)


# --- inputs -------------------------------------------------------------------------------------


def _rows(name: str, dates: tuple[str, ...]) -> list[dict]:
    return [r for r in json.loads((LATEST / name).read_text()) if r["date"] in dates]


def seed_rows() -> tuple[list[dict], list[dict]]:
    """Three real reports (personnel and equipment) the seed store holds."""
    return _rows(PERSONNEL, SEED_DATES), _rows(EQUIPMENT, SEED_DATES)


def new_rows() -> tuple[dict, dict]:
    """The next real report (2024-11-12), the good base of a new record with one bad value."""
    return _rows(PERSONNEL, (NEW_DATE,))[0], _rows(EQUIPMENT, (NEW_DATE,))[0]


def dataset(folder: Path, personnel: object = None, equipment: object = None, *, raw: bytes | None = None) -> Args:
    """A dataset folder: the seed reports plus changes; `raw` replaces the personnel file's bytes."""
    folder.mkdir(parents=True, exist_ok=True)
    seed_p, seed_e = seed_rows()
    (folder / EQUIPMENT).write_text(json.dumps(seed_e if equipment is None else equipment))
    if raw is not None:
        (folder / PERSONNEL).write_bytes(raw)
    else:
        (folder / PERSONNEL).write_text(json.dumps(seed_p if personnel is None else personnel))
    return ["ingest", "dataset", "--from", str(folder)]


def with_new_personnel(**fields: object) -> list[dict]:
    """The seed personnel reports and 2024-11-12's, with fields replaced (None drops a field)."""
    new = {**new_rows()[0], **fields}
    return seed_rows()[0] + [{k: v for k, v in new.items() if v is not None}]


def with_new_equipment(**fields: object) -> list[dict]:
    new = {**new_rows()[1], **fields}
    return seed_rows()[1] + [{k: v for k, v in new.items() if v is not None}]


def bad_personnel_value(raw_value: str) -> Callable[[Path], Args]:
    """2024-11-12's personnel total written as raw JSON text (NaN, 1e30, ...); POW stays good."""

    def build(d: Path) -> Args:
        return _personnel_text(
            d, with_new_personnel(personnel="BAD"), '"personnel": "BAD"', f'"personnel": {raw_value}'
        )

    return build


def clean_personnel(d: Path) -> Args:
    return dataset(d / "clean", with_new_personnel(personnel=None, **{"personnel*": None}))


def bad_date(date: str) -> Callable[[Path], Args]:
    return lambda d: dataset(d / "in", with_new_personnel(date=date))


def clean_no_new(d: Path) -> Args:
    return dataset(d / "clean")


def _snapshots_broken_link(d: Path) -> Args:
    """A folder of snapshot folders: one good (the seed reports), one link to nowhere."""
    root = d / "snapshots"
    dataset(root / "2024-11-12T0900_good")
    (root / "2024-11-12T1000_gone").symlink_to(d / "nowhere", target_is_directory=True)
    return ["ingest", "dataset", "--snapshots", "--from", str(root)]


def clean_equipment(d: Path) -> Args:
    return dataset(d / "clean", equipment=with_new_equipment(tank=None))


def warship(folder: Path, raw: bytes) -> Args:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "page.json").write_bytes(raw)
    return ["ingest", "api", "--from", str(folder / "page.json")]


def warship_page() -> dict:
    page: dict = json.loads(WARSHIP_PAGE.read_text())
    return page


def warship_edit(edit: Callable[[dict], None]) -> bytes:
    page = warship_page()
    edit(page["data"]["records"][0])
    return json.dumps(page).encode()


def warship_raw_stat(raw_value: str) -> Callable[[Path], Args]:
    def build(d: Path) -> Args:
        text = json.dumps(warship_page())
        first = warship_page()["data"]["records"][0]["stats"]["tanks"]
        return warship(d / "in", text.replace(f'"tanks": {first}', f'"tanks": {raw_value}', 1).encode())

    return build


def _drop_tanks(record: dict) -> None:
    record["stats"].pop("tanks")
    record.get("increase", {}).pop("tanks", None)


def warship_clean_no_tanks(d: Path) -> Args:
    """The first record without its tanks figure (total and increase)."""
    return warship(d / "clean", warship_edit(_drop_tanks))


def csv_file(folder: Path, text: str | bytes, *extra: str) -> Args:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "mine.csv"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return ["ingest", "csv", "--from", str(path), *extra]


CSV_HEAD = "report_date,metric,value,qualifier\n"
CSV_GOOD = "2024-11-12,personnel,712610,about\n2024-11-12,tanks,9276,\n"


def clean_csv(d: Path) -> Args:
    return csv_file(d / "clean", CSV_HEAD + CSV_GOOD)


def claims_rows() -> list[str]:
    """The header and the first three curated claims: the seed store's claims file."""
    return CLAIMS_FILE.read_text().splitlines()[:4]


def claims_file(folder: Path, extra_rows: list[dict] | None = None, *, raw: bytes | None = None) -> Args:
    """The seed claims file plus rows (a full snapshot: leaving the seed rows out would remove them)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "claims.csv"
    if raw is None:
        buf = io.StringIO()
        header = next(csv.reader([claims_rows()[0]]))
        writer = csv.DictWriter(buf, fieldnames=header, lineterminator="\n")
        for row in extra_rows or []:
            writer.writerow(row)
        raw = ("\n".join(claims_rows()) + "\n" + buf.getvalue()).encode()
    path.write_bytes(raw)
    return ["ingest", "claims", "--from", str(path), "--feed", "claims-file"]


def clean_claims(d: Path) -> Args:
    return claims_file(d / "clean")


def claim(**fields: str) -> dict:
    """A valid curated claim row, with fields replaced."""
    base = {
        "claim_key": "drill-2024-11-30-total",
        "source": "uk-defence-intelligence",
        "subject": "russia",
        "metric": "personnel",
        "definition": "killed_or_wounded",
        "kind": "cumulative",
        "period": "2024-11-30",
        "qualifier": "about",
        "low": "",
        "best": "730000",
        "high": "",
        "published": "2024-12-01",
        "url": "https://example.org/drill",
        "based_on": "",
        "note": "A drill claim.",
    }
    return {**base, **fields}


def claims_add(*fields: str) -> Args:
    base = {
        "--source": "us-dod",
        "--definition": "killed_or_wounded",
        "--kind": "cumulative",
        "--period": "2024-10-09",
        "--published": "2024-10-09",
        "--best": "600000",
        "--qualifier": "more than",
        "--url": "https://example.org/claim",
    }
    pairs = dict(zip(fields[::2], fields[1::2], strict=True))
    args = ["claims", "add"]
    for key, value in {**base, **pairs}.items():
        args += [key, value]
    return args


# --- further checks -----------------------------------------------------------------------------


def unsafe_chars(text: str) -> list[str]:
    """Control, format (bidi) and surrogate characters in printed text, other than newline and tab."""
    return sorted({f"U+{ord(c):04X}" for c in text if c not in "\n\t" and unicodedata.category(c) in UNSAFE_CATEGORIES})


def formula_cells(text: str) -> list[str]:
    """CSV cells holding the hostile formula that a spreadsheet would run (not neutralised)."""
    return [
        cell for row in csv.reader(io.StringIO(text)) for cell in row if "HYPERLINK" in cell and cell[:1] in "=+-@\t\r"
    ]


def printed_safely(*commands: Args) -> Callable[[Path, str], list[str]]:
    """The hostile text, printed by each command and exported as CSV, is inert."""

    def check(d: Path, url: str) -> list[str]:
        problems = []
        for args in commands:
            res = run_cli(*args, "--db", url, env=child_env(str(d / "cache")))
            label = " ".join(args)
            if res.code not in (0, 3):
                problems.append(f"`{label}` exit {res.code}: {res.err.strip()[:200]}")
                continue
            if "HYPERLINK" not in res.out:
                problems.append(f"`{label}` does not show the stored text")
            # A CSV that carries non-ASCII opens with a byte-order mark, for Excel: that one is meant.
            shown = res.out.removeprefix("\ufeff") if "csv" in args else res.out
            if bad := unsafe_chars(shown):
                problems.append(f"`{label}` printed raw {', '.join(bad)}")
            if "csv" in args and (cells := formula_cells(res.out)):
                problems.append(f"`{label}` exported a live formula {cells[0][:40]!r}")
        return problems

    return check


def all_personnel_removed(d: Path, url: str) -> list[str]:
    from drills.common import scalar

    left = scalar(
        url,
        "SELECT COUNT(*) FROM observation o JOIN metric m ON m.id = o.metric_id "
        "JOIN feed f ON f.id = o.feed_id WHERE f.name = 'ua-dataset' AND m.name = 'personnel' "
        "AND o.superseded_at IS NULL AND o.removed = false",
    )
    return [] if left == 0 else [f"{left} personnel reports still current after an accepted emptied file"]


def personnel_held(d: Path, url: str) -> list[str]:
    """An emptied personnel file changes nothing current: its three reports are held, not removed."""
    from drills.common import scalar

    left = scalar(
        url,
        "SELECT COUNT(*) FROM observation o JOIN metric m ON m.id = o.metric_id "
        "JOIN feed f ON f.id = o.feed_id WHERE f.name = 'ua-dataset' AND m.name = 'personnel' "
        "AND o.superseded_at IS NULL AND o.removed = false",
    )
    held = scalar(url, "SELECT COALESCE(SUM(n_rows), 0) FROM withdrawal WHERE status = 'held'")
    problems = [] if left == 3 else [f"{left} personnel reports current after an emptied file, not 3"]
    return problems + ([] if held == 3 else [f"{held} rows held, not the 3 the file left out"])


def current_content(url: str) -> list[tuple]:
    """What the store holds now, without ids or times: current observations and claims."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            obs = conn.execute(
                text(
                    "SELECT f.name, m.name, o.kind, o.report_date, o.value, o.qualifier, o.reported_increase, "
                    "o.removed FROM observation o JOIN metric m ON m.id = o.metric_id JOIN feed f ON f.id = o.feed_id "
                    "WHERE o.superseded_at IS NULL"
                )
            ).all()
            claims = conn.execute(
                text(
                    "SELECT claim_key, low, best, high, qualifier, note, removed FROM claim WHERE superseded_at IS NULL"
                )
            ).all()
    finally:
        engine.dispose()
    return sorted(("obs", *map(str, r)) for r in obs) + sorted(("claim", *map(str, r)) for r in claims)


# --- store tampering ----------------------------------------------------------------------------


def give_to_nobody(d: Path, url: str) -> None:
    """The case folder and store belong to nobody, so only the input file's own problem remains."""
    for path in [d, *d.rglob("*")]:
        if not path.is_symlink():
            os.chown(path, _nobody()[0], _nobody()[1])


def _nobody() -> tuple[int, int]:
    import grp
    import pwd

    return pwd.getpwnam("nobody").pw_uid, grp.getgrnam("nogroup").gr_gid


def unreadable_input(d: Path, url: str) -> None:
    give_to_nobody(d, url)
    target = d / "in" / PERSONNEL
    os.chown(target, 0, 0)
    target.chmod(0o600)


def read_only_store(d: Path, url: str) -> None:
    """The folder is nobody's, the store file root's and read-only: it can be read, not written."""
    give_to_nobody(d, url)
    store = d / "store.db"
    os.chown(store, 0, 0)
    store.chmod(0o444)


def store_folder_not_writable(d: Path, url: str) -> None:
    """The store file is nobody's and writable; its folder is root's: no journal, no lock file."""
    give_to_nobody(d, url)
    os.chown(d, 0, 0)
    d.chmod(0o755)


def future_schema(d: Path, url: str) -> None:
    import sqlite3

    conn = sqlite3.connect(d / "store.db")
    with conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999_future'")
    conn.close()


# --- the cases ----------------------------------------------------------------------------------


def _loop(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(path.name)  # a link to itself: ELOOP for everyone, root included


def _dataset_with(d: Path, mutate: Callable[[Path], None]) -> Args:
    args = dataset(d / "in")
    (d / "in" / PERSONNEL).unlink()
    mutate(d / "in" / PERSONNEL)
    return args


def _sparse(path: Path, size: int) -> None:
    with path.open("wb") as fh:
        fh.truncate(size)


def _deep() -> bytes:
    return b"[" * 6000 + b"]" * 6000


def _personnel_text(d: Path, rows: list[dict], placeholder: str, raw: str) -> Args:
    """A personnel file whose JSON text has a placeholder replaced by raw JSON (not expressible otherwise)."""
    return dataset(d / "in", raw=json.dumps(rows).replace(placeholder, raw, 1).encode())


def clean_dup_keys(d: Path) -> Args:
    """The report as JSON reads it: the later of the two values."""
    return dataset(d / "clean", with_new_personnel(personnel=new_rows()[0]["personnel"] + 7))


def _dup_keys(d: Path) -> Args:
    """2024-11-12's report with "personnel" twice, with different values."""
    good = new_rows()[0]["personnel"]
    rows = with_new_personnel(personnel="DUP")
    return _personnel_text(d, rows, '"personnel": "DUP"', f'"personnel": {good}, "personnel": {good + 7}')


def _equipment_nan(d: Path) -> Args:
    """2024-11-12's equipment report with tank NaN and every other category good."""
    args = dataset(d / "in")
    text = json.dumps(with_new_equipment(tank="BAD")).replace('"tank": "BAD"', '"tank": NaN', 1)
    (d / "in" / EQUIPMENT).write_text(text)
    return args


def _api_broken(d: Path) -> Args:
    (d / "in").mkdir(parents=True, exist_ok=True)
    (d / "in" / "page.json").symlink_to("gone.json")
    return ["ingest", "api", "--from", str(d / "in" / "page.json")]


def _csv_dir(d: Path) -> Args:
    (d / "in" / "mine.csv").mkdir(parents=True)
    return ["ingest", "csv", "--from", str(d / "in" / "mine.csv")]


def _broken_link(d: Path) -> str:
    """A link to nothing, to give as --from."""
    d.mkdir(parents=True, exist_ok=True)
    link = d / "gone.csv"
    link.symlink_to(d / "nothing-here")
    return str(link)


def _claims_dir(d: Path) -> Args:
    (d / "in" / "claims.csv").mkdir(parents=True)
    return ["ingest", "claims", "--from", str(d / "in" / "claims.csv"), "--feed", "claims-file"]


# --- files the tool writes, and its standard output ------------------------------------------

VICTIM_TEXT = "a file outside the output folder"
FULL_DISK_BYTES = 40_000  # every chart of the seed store is larger


def _victim(d: Path) -> Path:
    victim = d / "victim"
    victim.write_text(VICTIM_TEXT)
    return victim


def _link_at_old_temp(d: Path) -> Args:
    """A link planted at the chart's old fixed temp name, pointing at a file outside the folder."""
    (d / "charts").mkdir()
    (d / "charts" / ".daily-personnel.png.tmp").symlink_to(_victim(d))
    return ["chart", "daily", "--out", str(d / "charts" / "daily-personnel.png")]


def _link_at_chart(d: Path) -> Args:
    (d / "charts").mkdir()
    (d / "charts" / "daily-personnel.png").symlink_to(_victim(d))
    return ["chart", "daily", "--out", str(d / "charts" / "daily-personnel.png")]


def _link_at_page_file(d: Path) -> Args:
    (d / "site").mkdir()
    (d / "site" / "style.css").symlink_to(_victim(d))
    return ["site", "--out-dir", str(d / "site"), "--quiet"]


def victim_kept(d: Path, url: str) -> list[str]:
    """The link's target is untouched, and no temp is left in the output folder."""
    problems = [] if (d / "victim").read_text() == VICTIM_TEXT else ["the file the link points to was overwritten"]
    for folder in (d / "charts", d / "site"):
        if folder.is_dir() and (
            left := [p.name for p in folder.iterdir() if p.name.endswith(".tmp") and not p.is_symlink()]
        ):
            problems.append(f"temporary files left: {left}")
    return problems


def chart_published(d: Path, url: str) -> list[str]:
    chart = d / "charts" / "daily-personnel.png"
    whole = chart.is_file() and not chart.is_symlink() and chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    return victim_kept(d, url) + ([] if whole else ["no whole chart published"])


def _full_disk() -> None:
    """In the child: no file may grow past FULL_DISK_BYTES; a write past it fails (EFBIG)."""
    import resource
    import signal

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (FULL_DISK_BYTES, FULL_DISK_BYTES))


OLD_FILES = {"daily-personnel.png": b"the previous chart", "index.html": b"<p>the previous page"}


def _old_outputs(d: Path, *args: str) -> Args:
    (d / "out").mkdir()
    for name, content in OLD_FILES.items():
        (d / "out" / name).write_bytes(content)
    return [arg.replace("OUT", str(d / "out")) for arg in args]


def old_outputs_whole(d: Path, url: str) -> list[str]:
    now = {p.name: p.read_bytes() for p in (d / "out").iterdir()}
    return [] if now == OLD_FILES else [f"the output folder holds {sorted(now)}, not the previous files as they were"]


def cwd_empty(d: Path, url: str) -> list[str]:
    left = sorted(p.name for p in (d / "cwd").iterdir())
    return [f"wrote into the current folder: {left[:5]}"] if left else []


def run_stored(d: Path, url: str) -> list[str]:
    from drills.common import scalar

    status = scalar(url, "SELECT status FROM ingest_run ORDER BY id DESC LIMIT 1")
    return [] if status == "ok" else [f"the last run is {status!r}, not the stored 'ok' run"]


OUTPUT_CASES: list[Case] = [
    Case(
        "a link at a chart's old fixed temp name",
        "output",
        _link_at_old_temp,
        0,
        after=chart_published,
    ),
    Case("a link at the chart's path", "output", _link_at_chart, 6, after=victim_kept),
    Case("a link at a page file", "output", _link_at_page_file, 6, after=victim_kept),
    Case(
        "full disk under `chart`",
        "output",
        lambda d: _old_outputs(d, "chart", "daily", "--out", "OUT/daily-personnel.png"),
        6,
        preexec=_full_disk,
        after=old_outputs_whole,
    ),
    Case(
        "full disk under `charts`",
        "output",
        lambda d: _old_outputs(d, "charts", "--out-dir", "OUT"),
        6,
        preexec=_full_disk,
        after=old_outputs_whole,
    ),
    Case(
        "full disk under `site`",
        "output",
        lambda d: _old_outputs(d, "site", "--out-dir", "OUT", "--quiet"),
        6,
        preexec=_full_disk,
        after=old_outputs_whole,
    ),
    Case(
        "stdout /dev/full after a stored run",
        "output",
        lambda d: dataset(d / "in", with_new_personnel()),
        6,
        stdout_path="/dev/full",
        stored_anyway=True,
        after=run_stored,
    ),
    Case("stdout /dev/full of a report", "output", lambda d: ["records"], 6, stdout_path="/dev/full"),
    *(
        Case(
            f'{" ".join(a for a in args if a)} ""',
            "output",
            lambda d, args=args: [*args, ""],
            2,
            in_cwd=True,
            after=cwd_empty,
        )
        for args in (
            ("site", "--out-dir"),
            ("charts", "--out-dir"),
            ("chart", "daily", "--out"),
            ("daily", "--site-dir"),
            ("daily", "--charts-dir"),
            ("status", "--db"),
        )
    ),
]


def claims_held(d: Path, url: str) -> list[str]:
    """An emptied claims file changes nothing current: the seed's three claims are held, not removed."""
    from drills.common import scalar

    left = scalar(url, "SELECT COUNT(*) FROM claim WHERE superseded_at IS NULL AND removed = false")
    held = scalar(url, "SELECT COALESCE(SUM(n_rows), 0) FROM withdrawal WHERE status = 'held'")
    problems = [] if left == 3 else [f"{left} claims current after an emptied claims file, not 3"]
    return problems + ([] if held == 3 else [f"{held} claims held, not the 3 the file left out"])


CASES: list[Case] = [
    # the dataset files: whole-payload failures
    Case("truncated JSON", "dataset", lambda d: dataset(d / "in", raw=json.dumps(seed_rows()[0]).encode()[:-40]), 5),
    Case("HTML error page", "dataset", lambda d: dataset(d / "in", raw=b"<!DOCTYPE html><html>502</html>"), 5),
    Case("empty file", "dataset", lambda d: dataset(d / "in", raw=b""), 5),
    Case("emptied snapshot []", "dataset", lambda d: dataset(d / "in", raw=b"[]"), 3, after=personnel_held),
    Case(
        "emptied snapshot [] with --allow-shrink",
        "dataset",
        lambda d: [*dataset(d / "in", raw=b"[]"), "--allow-shrink"],
        0,
        after=all_personnel_removed,
    ),
    # JSON's own encodings (RFC 8259 asks for UTF-8; json.detect_encoding reads UTF-16/32 exactly)
    Case(
        "UTF-16 file",
        "dataset",
        lambda d: dataset(d / "in", raw=json.dumps(seed_rows()[0]).encode("utf-16")),
        0,
        same_as_seed=True,
    ),
    Case("JSON nested 6,000 deep", "dataset", lambda d: dataset(d / "in", raw=_deep()), 5),
    Case(
        "200 MB file (sparse)",
        "dataset",
        lambda d: _dataset_with(d, lambda p: _sparse(p, 200 * 1024 * 1024)),
        5,
        rss_limit_mib=RSS_LIMIT_MIB,
    ),
    # the dataset files: accepted as they are
    Case(
        "UTF-8 BOM",
        "dataset",
        lambda d: dataset(d / "in", raw=b"\xef\xbb\xbf" + json.dumps(seed_rows()[0]).encode()),
        0,
        same_as_seed=True,
    ),
    # the dataset files: one bad value or record -> a finding, the rest stored
    Case("NaN total", "dataset", bad_personnel_value("NaN"), 3, clean=clean_personnel),
    Case("Infinity total", "dataset", bad_personnel_value("Infinity"), 3, clean=clean_personnel),
    Case("10**30 total", "dataset", bad_personnel_value(str(10**30)), 3, clean=clean_personnel),
    Case("2**63 total", "dataset", bad_personnel_value(str(2**63)), 3, clean=clean_personnel),
    Case("'700_000' total", "dataset", bad_personnel_value('"700_000"'), 3, clean=clean_personnel),
    Case(
        "Arabic-Indic digits total",
        "dataset",
        bad_personnel_value('"\u0667\u0661\u0662\u0666\u0661\u0660"'),
        3,
        clean=clean_personnel,
    ),
    Case(
        "lone surrogate \\ud800 in a qualifier (the total left out with it)",
        "dataset",
        lambda d: _personnel_text(d, with_new_personnel(**{"personnel*": "SURROGATE"}), '"SURROGATE"', '"\\ud800"'),
        3,
        clean=clean_personnel,
    ),
    Case(
        "duplicate JSON keys (the later kept, as for a date reported twice)",
        "dataset",
        _dup_keys,
        3,
        clean=clean_dup_keys,
    ),
    Case(
        "NaN equipment value",
        "dataset",
        _equipment_nan,
        3,
        clean=clean_equipment,
    ),
    Case("date 2024-02-30", "dataset", bad_date("2024-02-30"), 3, clean=clean_no_new),
    Case("date 24-11-12", "dataset", bad_date("24-11-12"), 3, clean=clean_no_new),
    Case("date 20241112", "dataset", bad_date("20241112"), 3, clean=clean_no_new),
    Case("date with a time zone", "dataset", bad_date("2024-11-12T00:00:00+02:00"), 3, clean=clean_no_new),
    Case("date 1600-01-01", "dataset", bad_date("1600-01-01"), 3, clean=clean_no_new),
    Case(
        "qualifier of 54 characters (over the store's 32: the total left out with it)",
        "dataset",
        lambda d: dataset(d / "in", with_new_personnel(**{"personnel*": "about, by preliminary data " * 2})),
        3,
        clean=clean_personnel,
    ),
    Case("--snapshots with a broken link among the folders", "dataset", _snapshots_broken_link, 6),
    Case("date 2999-01-01", "dataset", bad_date("2999-01-01"), 3, clean=clean_no_new),
    # the dataset files: a local file that cannot be read
    Case("a folder where the file should be", "dataset", lambda d: _dataset_with(d, lambda p: p.mkdir()), 6),
    Case("symlink loop", "dataset", lambda d: _dataset_with(d, _loop), 6),
    Case("broken symlink", "dataset", lambda d: _dataset_with(d, lambda p: p.symlink_to("gone.json")), 6),
    Case(
        "unreadable file (user nobody)",
        "dataset",
        lambda d: dataset(d / "in"),
        6,
        nobody=True,
        prepare=unreadable_input,
    ),
    # the API feed, saved pages
    Case("truncated page", "api", lambda d: warship(d / "in", WARSHIP_PAGE.read_bytes()[:-60]), 5),
    Case("HTML page", "api", lambda d: warship(d / "in", b"<html><body>Cloudflare</body></html>"), 5),
    Case("wrong shape", "api", lambda d: warship(d / "in", b'{"message": "ok", "data": 5}'), 5),
    Case("NaN stat", "api", warship_raw_stat("NaN"), 3, clean=warship_clean_no_tanks),
    Case("2**63 stat", "api", warship_raw_stat(str(2**63)), 3, clean=warship_clean_no_tanks),
    Case("broken symlink", "api", lambda d: _api_broken(d), 6),
    # tracker ingest csv
    Case(
        "unterminated quote",
        "csv",
        lambda d: csv_file(d / "in", CSV_HEAD + CSV_GOOD + '2024-11-13,personnel,"714000,\n'),
        5,
    ),
    Case(
        "field over 131,072 chars",
        "csv",
        lambda d: csv_file(d / "in", CSV_HEAD + CSV_GOOD + "2024-11-13,personnel,714000," + "x" * 140_000 + "\n"),
        5,
    ),
    Case("UTF-16 file", "csv", lambda d: csv_file(d / "in", (CSV_HEAD + CSV_GOOD).encode("utf-16")), 5),
    Case(
        "qualifier of 40 characters (over the store's 32: the row left out)",
        "csv",
        lambda d: csv_file(
            d / "in", CSV_HEAD + "2024-11-12,personnel,712610," + "about" * 8 + "\n2024-11-12,tanks,9276,\n"
        ),
        3,
        clean=lambda d: csv_file(d / "clean", CSV_HEAD + "2024-11-12,tanks,9276,\n"),
    ),
    Case(
        "lone surrogate bytes",
        "csv",
        lambda d: csv_file(d / "in", (CSV_HEAD + CSV_GOOD).encode() + b"2024-11-13,personnel,714000,\xed\xa0\x80\n"),
        5,
    ),
    Case("empty file", "csv", lambda d: csv_file(d / "in", b""), 5),
    Case(
        "UTF-8 BOM",
        "csv",
        lambda d: csv_file(d / "in", b"\xef\xbb\xbf" + (CSV_HEAD + CSV_GOOD).encode()),
        0,
        clean=clean_csv,
    ),
    Case(
        "2**63 value",
        "csv",
        lambda d: csv_file(d / "in", CSV_HEAD + CSV_GOOD + f"2024-11-13,personnel,{2**63},\n"),
        3,
        clean=clean_csv,
    ),
    Case(
        "700_000 value",
        "csv",
        lambda d: csv_file(d / "in", CSV_HEAD + CSV_GOOD + "2024-11-13,personnel,714_000,\n"),
        3,
        clean=clean_csv,
    ),
    Case(
        "Arabic-Indic digits",
        "csv",
        lambda d: csv_file(
            d / "in", CSV_HEAD + CSV_GOOD + "2024-11-13,personnel,\u0667\u0661\u0664\u0660\u0660\u0660,\n"
        ),
        3,
        clean=clean_csv,
    ),
    Case("a folder where the file should be", "csv", lambda d: _csv_dir(d), 6),
    Case(
        "formula and terminal escapes in a qualifier",
        "csv",
        lambda d: csv_file(
            d / "in",
            CSV_HEAD + f'2024-11-12,personnel,712610,"{HOSTILE_QUALIFIER.replace(chr(34), chr(34) * 2)}"\n',
            "--source",
            "drill-source",
        ),
        0,
        after=printed_safely(
            ["latest", "--source", "drill-source"], ["series", "--source", "drill-source", "--format", "csv"]
        ),
    ),
    # the claims file
    Case("empty file", "claims file", lambda d: claims_file(d / "in", raw=b""), 5),
    Case(
        "header only",
        "claims file",
        lambda d: claims_file(d / "in", raw=(claims_rows()[0] + "\n").encode()),
        3,
        after=claims_held,
    ),
    Case("HTML page", "claims file", lambda d: claims_file(d / "in", raw=b"<!doctype html><title>404</title>"), 5),
    Case(
        "UTF-16 file",
        "claims file",
        lambda d: claims_file(d / "in", raw=("\n".join(claims_rows()) + "\n").encode("utf-16")),
        5,
    ),
    Case(
        "10**30 best",
        "claims file",
        lambda d: claims_file(d / "in", [claim(best=str(10**30))]),
        3,
        clean=clean_claims,
    ),
    Case(
        "2**63 best",
        "claims file",
        lambda d: claims_file(d / "in", [claim(best=str(2**63))]),
        3,
        clean=clean_claims,
    ),
    Case(
        "period 2024-02-30",
        "claims file",
        lambda d: claims_file(d / "in", [claim(period="2024-02-30")]),
        3,
        clean=clean_claims,
    ),
    Case("a folder where the file should be", "claims file", lambda d: _claims_dir(d), 6),
    # a claim's text: a formula is text like any other (stored, exported inert); terminal
    # escapes are refused where a person types them and left out as a finding in the file
    Case(
        "spreadsheet formula in a note",
        "claims file",
        lambda d: claims_file(d / "in", [claim(note=FORMULA)]),
        0,
        after=printed_safely(["claims", "list"], ["claims", "list", "--format", "csv"]),
    ),
    Case(
        "terminal escapes in a note",
        "claims file",
        lambda d: claims_file(d / "in", [claim(note="A drill claim." + ESCAPES)]),
        3,
        clean=clean_claims,
    ),
    # tracker claims add
    Case("--best nan", "claims add", lambda d: claims_add("--best", "nan"), 2),
    Case("--best 2**63", "claims add", lambda d: claims_add("--best", str(2**63)), 2),
    Case("--best 700_000", "claims add", lambda d: claims_add("--best", "700_000"), 2),
    Case(
        "--best Arabic-Indic digits",
        "claims add",
        lambda d: claims_add("--best", "\u0666\u0660\u0660\u0660\u0660\u0660"),
        2,
    ),
    Case("--period 2024-02-30", "claims add", lambda d: claims_add("--period", "2024-02-30"), 2),
    Case("--published 2999-01-01", "claims add", lambda d: claims_add("--published", "2999-01-01"), 2),
    Case("--url javascript:", "claims add", lambda d: claims_add("--url", "javascript:alert(1)"), 2),
    Case(
        "--note with a lone surrogate",
        "claims add",
        lambda d: claims_add("--note", os.fsdecode(b"bad \xed\xa0\x80")),
        2,
    ),
    Case(
        "spreadsheet formula in --note",
        "claims add",
        lambda d: claims_add("--note", FORMULA),
        0,
        after=printed_safely(["claims", "list"], ["claims", "list", "--format", "csv"]),
    ),
    Case("terminal escapes in --note", "claims add", lambda d: claims_add("--note", "note" + ESCAPES), 2),
    # command-line arguments and the store
    Case("--db sqlite:///", "cli", lambda d: [*dataset(d / "in"), "--db", "sqlite:///"], 2),
    Case("--wait nan", "cli", lambda d: [*dataset(d / "in"), "--wait", "nan"], 2),
    Case('--from ""', "cli", lambda d: ["ingest", "dataset", "--from", ""], 2),
    Case("--observed-at 2024-13-01", "cli", lambda d: [*dataset(d / "in"), "--observed-at", "2024-13-01"], 2),
    Case("--since 2024-02-30", "cli", lambda d: ["series", "--since", "2024-02-30"], 2),
    Case("--db is a folder", "cli", lambda d: ["status", "--db", str(d)], 6),
    # issue 26: times and counts beyond the calendar, numbers not finite, in range and in ASCII
    # digits, URLs that cannot be fetched as written, one rule for each kind of input
    Case("changes --since 0001-01-01", "cli", lambda d: ["changes", "--since", "0001-01-01"], 2),
    Case("changes --since 0001-01-02", "cli", lambda d: ["changes", "--since", "0001-01-02"], 2),
    Case(
        "changes --until 9999-12-31", "cli", lambda d: ["changes", "--since", "2024-01-01", "--until", "9999-12-31"], 2
    ),
    Case("records --last 800000 days", "cli", lambda d: ["records", "--last", "800000", "days"], 2),
    Case("headline --last 99999999999 weeks", "cli", lambda d: ["headline", "--last", "99999999999", "weeks"], 2),
    Case("notes --last 99999999999 weeks", "cli", lambda d: ["notes", "--last", "99999999999", "weeks"], 2),
    Case(
        "--observed-at 0001-01-01T00:00+01:00",
        "cli",
        lambda d: [*dataset(d / "in"), "--observed-at", "0001-01-01T00:00+01:00"],
        2,
    ),
    Case("claims show 99999999999999999999999", "cli", lambda d: ["claims", "show", "9" * 23], 2),
    Case("site --out-dir /proc/self", "cli", lambda d: ["site", "--out-dir", "/proc/self", "-q"], 6),
    Case("status --stale-hours nan", "cli", lambda d: ["status", "--stale-hours", "nan"], 2),
    Case("status --stale-hours 1e309", "cli", lambda d: ["status", "--stale-hours", "1e309"], 2),
    Case("status --stale-hours -5", "cli", lambda d: ["status", "--stale-hours", "-5"], 2),
    Case("series --above inf", "cli", lambda d: ["series", "--above", "inf"], 2),
    Case("series --above Arabic-Indic digits", "cli", lambda d: ["series", "--above", "\u0661\u0665\u0660\u0660"], 2),
    Case(
        "$TRACKER_HTTP_TIMEOUT in Arabic-Indic digits",
        "cli",
        lambda d: ["ingest", "dataset", "--from", "http://127.0.0.1:9/data"],
        2,
        env={"TRACKER_HTTP_TIMEOUT": "\u0661\u0660"},
    ),
    Case(
        "$SOURCE_DATE_EPOCH=-1",
        "cli",
        lambda d: ["chart", "daily", "--out", str(d / "daily.svg")],
        2,
        env={"SOURCE_DATE_EPOCH": "-1"},
    ),
    Case("--from http://", "cli", lambda d: ["ingest", "dataset", "--from", "http://"], 2),
    Case("--from http://[::1", "cli", lambda d: ["ingest", "dataset", "--from", "http://[::1"], 2),
    Case("--from ftp://x/y", "cli", lambda d: ["ingest", "csv", "--from", "ftp://x/y", "--source", "x"], 2),
    Case(
        "--from with user:password@ and a bad port",
        "cli",
        lambda d: ["ingest", "dataset", "--from", "https://reader:pw@127.0.0.1:99999/data"],
        2,
    ),
    Case("notes --source nope", "cli", lambda d: ["notes", "--source", "nope"], 2),
    Case(
        "compare --series oryx --since after --until",
        "cli",
        lambda d: ["compare", "--series", "oryx", "--since", "2024-01-01", "--until", "2023-01-01"],
        2,
    ),
    Case("dataset --from a broken link", "cli", lambda d: ["ingest", "dataset", "--from", _broken_link(d / "in")], 6),
    Case(
        "csv --from a broken link",
        "cli",
        lambda d: ["ingest", "csv", "--from", _broken_link(d / "in"), "--source", "ua-general-staff"],
        6,
    ),
    Case("store stamped by a newer schema", "store", lambda d: dataset(d / "in"), 6, prepare=future_schema),
    Case(
        "read-only store (user nobody)",
        "store",
        lambda d: dataset(d / "in", with_new_personnel()),
        6,
        nobody=True,
        prepare=read_only_store,
    ),
    Case(
        "store folder not writable (user nobody)",
        "store",
        lambda d: dataset(d / "in", with_new_personnel()),
        6,
        nobody=True,
        prepare=store_folder_not_writable,
    ),
    *OUTPUT_CASES,
    Case(
        "a reader of a store whose folder it cannot write (user nobody)",
        "store",
        lambda d: ["series", "--last", "3", "days"],
        0,
        nobody=True,
        prepare=store_folder_not_writable,
        env={"TRACKER_REPORT_CACHE": "0"},
    ),
]


# --- running ------------------------------------------------------------------------------------


def make_seed(folder: Path) -> Path:
    """A store holding three real reports, three curated claims, two API reports and a small CSV:
    every feed a case writes to exists already, so a refused run must leave it exactly as it was."""
    folder.mkdir(parents=True)
    url = f"sqlite:///{folder / 'store.db'}"
    env = child_env(str(folder / "cache"))
    seeds = (
        dataset(folder / "dataset"),
        claims_file(folder / "claims"),
        warship(folder / "api", WARSHIP_SEED.read_bytes()),
        csv_file(folder / "csv", CSV_HEAD + CSV_GOOD),
    )
    for args in seeds:
        res = run_cli(*args, "--db", url, env=env)
        if res.code not in (0, 3):
            raise RuntimeError(f"cannot build the seed store: {' '.join(args)} exit {res.code}: {res.err}")
    return folder / "store.db"


def _warm_matplotlib(folder: Path) -> None:
    """matplotlib's font cache, built once for every case (each case has its own home): a case
    under a file size limit would otherwise fail to save it and say so on stderr."""
    import subprocess

    folder.mkdir(mode=0o755)
    env = {**os.environ, "MPLCONFIGDIR": str(folder)}
    subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"], env=env, check=True)
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)  # readable by the cases run as nobody


def copy_store(seed: Path, folder: Path) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{seed}{suffix}").exists():
            shutil.copy2(f"{seed}{suffix}", folder / f"store.db{suffix}")
    folder.chmod(0o755)
    return f"sqlite:///{folder / 'store.db'}"


def with_db(args: Args, url: str) -> Args:
    return args if "--db" in args else [*args, "--db", url]


def shown(text: str, root: Path) -> str:
    """A line as the document shows it: temporary paths as <tmp>, timings dropped."""
    text = text.replace(str(root), "<tmp>")
    return re.sub(r" \[\d+(\.\d+)?s\]", "", text)


_clean_cache: dict[Callable, tuple[list[tuple], str | None]] = {}
_clean_lock = threading.Lock()


def clean_content(
    clean: Callable[[Path], Args], seed: Path, d: Path, env: dict[str, str]
) -> tuple[list[tuple], str | None]:
    """What the seed store holds after the clean input (run once per clean input, then reused)."""
    with _clean_lock:
        if clean in _clean_cache:
            return _clean_cache[clean]
    clean_url = copy_store(seed, d / "clean-store")
    res = run_cli(*with_db(clean(d), clean_url), env=env)
    problem = None if res.code in (0, 3) else f"the clean input itself exit {res.code}: {res.err.strip()[:200]}"
    result = (current_content(clean_url), problem)
    with _clean_lock:
        _clean_cache[clean] = result
    return result


@functools.cache
def why_nobody_cannot_run() -> str | None:
    """Why the cases run as user nobody cannot run here, or None. They need root (to switch user)
    and a tracker that nobody can reach: a checkout in a folder other users cannot enter (a clone
    under `mktemp -d`) is closed to it, whatever the case folder allows."""
    if os.geteuid() != 0:
        return "not root: cannot run a case as user nobody"
    command = tracker_command()
    probe = subprocess.run(
        ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", *command, "--help"],
        capture_output=True,
        cwd="/",
        env=child_env(),
        timeout=120,
    )
    if probe.returncode == 0:
        return None
    closed = next(
        (str(p) for p in reversed(Path(command[-1] if len(command) == 1 else sys.executable).parents)
         if p.is_dir() and not p.stat().st_mode & 0o001),
        None,
    )  # fmt: skip
    where = f" ({closed} is closed to other users)" if closed else ""
    return f"user nobody cannot run {command[0]}{where}"


def run_case(case: Case, seed: Path, root: Path) -> Outcome:
    """Run one case on a copy of the seed store; every problem found names the case."""
    if case.nobody and (why := why_nobody_cannot_run()) is not None:
        return Outcome(case, -1, "", "", [], 0.0, skipped=why)
    d = root / re.sub(r"[^a-z0-9]+", "-", f"{case.entry} {case.name}".lower()).strip("-")
    d.mkdir(parents=True)
    url = copy_store(seed, d)
    args = with_db(case.build(d), url)
    if case.prepare:
        case.prepare(d, url)
    before = fingerprint(url, normalise_ids=False)
    env = child_env(str(d / "cache"), HOME=str(d), MPLCONFIGDIR=str(seed.parent / "matplotlib"))
    env.update(case.env or {})
    cwd = None
    if case.in_cwd:
        (d / "cwd").mkdir()
        cwd = str(d / "cwd")
    res: Result = run_cli(
        *args, env=env, as_nobody=case.nobody, preexec=case.preexec, stdout_path=case.stdout_path, cwd=cwd
    )
    problems: list[str] = []
    if res.code != case.expect:
        problems.append(f"exit {res.code}, expected {case.expect}")
    if "Traceback" in res.err + res.out:
        problems.append("a traceback")
    if res.code in (0, 3):
        message = res.out.splitlines()[0] if res.out.strip() else ""
        if res.err:
            problems.append(f"stderr on success: {res.err[:200]!r}")
    else:
        message = res.err_lines[0] if res.err_lines else ""
        if problem := one_line_error(res):
            problems.append(problem)
    if bad := unsafe_chars(res.out + res.err):
        problems.append(f"printed raw {', '.join(bad)}")
    after = fingerprint(url, normalise_ids=False)
    if case.expect in (0, 3) and case.clean is not None:
        expected, clean_problem = clean_content(case.clean, seed, d, env)
        if clean_problem:
            problems.append(clean_problem)
        if current_content(url) != expected:
            problems.append("the store does not hold exactly what the input without the bad value stores")
        unchanged = "only the bad value left out"
    elif case.expect in (0, 3):
        unchanged = "changed as intended" if after != before else "yes"
        if case.same_as_seed and after != before:
            problems.append("the seed's own reports, encoded otherwise, changed the store")
    elif case.stored_anyway:
        unchanged = "the run stored before the output failed" if after != before else "NO: the run is not stored"
        if after == before:
            problems.append("the run is not stored")
    else:
        unchanged = "yes" if after == before else "NO"
        if after != before:
            problems.append("the store changed")
    if case.after:
        problems += case.after(d, url)
    rss_mib = res.max_rss_kib / 1024
    if case.rss_limit_mib and rss_mib >= case.rss_limit_mib:
        problems.append(f"peak RSS {rss_mib:.0f} MiB, limit {case.rss_limit_mib} MiB")
    return Outcome(case, res.code, shown(message, root), unchanged, [shown(p, root) for p in problems], rss_mib)


def run(names: list[str] | None = None, *, jobs: int = 2) -> tuple[Checks, list[Outcome]]:
    """Every case (or those named), each on a fresh copy of one seed store, `jobs` at a time."""
    from concurrent.futures import ThreadPoolExecutor

    checks = Checks()
    _clean_cache.clear()
    with tempfile.TemporaryDirectory(prefix="drill-bad-") as tmp:
        root = Path(tmp)
        root.chmod(0o755)  # user nobody must reach the cases that run as nobody
        seed = make_seed(root / "seed")
        _warm_matplotlib(root / "seed" / "matplotlib")
        chosen = [c for c in CASES if not names or c.name in names]
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            outcomes = list(pool.map(lambda case: run_case(case, seed, root / "cases"), chosen))
    for outcome in outcomes:
        for problem in outcome.problems:
            checks.check(False, f"{outcome.case.entry}: {outcome.case.name}", problem)
    return checks, outcomes


def md(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    text = "".join(f"U+{ord(c):04X}" if unicodedata.category(c) in UNSAFE_CATEGORIES else c for c in text)
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("`", "\\`").replace("<", "&lt;").replace(">", "&gt;")


# What each kind of fault does, as the tests and drills prove it: (fault, what tracker does, exit
# code, what is kept, proved by).
GUARANTEES: list[tuple[str, str, str, str, str]] = [
    (
        "a link planted in an output folder (e.g. at the old temp name `.daily-personnel.png.tmp`)",
        "never followed: every file is written to a new temp created with O_CREAT\\|O_EXCL\\|O_NOFOLLOW "
        "under a unique name, fsynced and renamed over the target (`tracker.reports.safe_write`)",
        "0",
        "the link's target untouched; the file published whole",
        "tests/test_safe_write.py; bad input: output",
    ),
    (
        "an output file that is a symbolic link (a chart, a page file)",
        "refused in one line; the link is neither written through nor replaced; a page publishes nothing",
        "6",
        "the link, its target and every other file as they were",
        "tests/test_safe_write.py; bad input: output",
    ),
    (
        "a full disk (or a file size limit) under `chart`, `charts`, `site`",
        "one line naming the file",
        "6",
        "the previous files whole; no temp left",
        "tests/test_safe_write.py; bad input: output; crash drill",
    ),
    (
        "standard output that cannot be written (`> /dev/full`)",
        "one line naming the runs stored before it",
        "6",
        "every run stored before the output failed",
        "tests/test_safe_write.py; bad input: output",
    ),
    (
        "standard output's reader gone (`\\| head`)",
        "the rest of the output discarded, silently",
        "the command's own",
        "everything the command did",
        "tests/test_safe_write.py",
    ),
    (
        "concurrent writers of one chart or page",
        "each writes its own temp and renames it",
        "0",
        "the whole file of the last writer",
        "tests/test_safe_write.py",
    ),
    (
        "kill -9 while a chart or the page is written",
        "a page is built in a scratch folder and moved in file by file",
        "(killed)",
        "each file the old whole one or the new whole one; the next write removes the killed writer's temp",
        "crash drill",
    ),
    (
        "an empty output path (`--out`, `--out-dir`, `--site-dir`, `--charts-dir`, `--db`)",
        "refused in one line, as an empty `--from` is",
        "2",
        "nothing written (never the current folder), no store opened (never the default one)",
        "tests/test_safe_write.py; bad input: output",
    ),
    (
        "PostgreSQL: another session holds a lock the command needs (`LOCK TABLE observation`)",
        "gives up after $TRACKER_DB_LOCK_TIMEOUT (30 s) in one line, never waits for ever",
        "7",
        "the store as it was; a writer records its run as failed",
        "tests/test_pg_timeouts.py",
    ),
    (
        "PostgreSQL: the link stops carrying bytes after the handshake (a broken proxy, a server that never answers)",
        "gives up after the statement timeout plus $TRACKER_DB_NETWORK_TIMEOUT (150 s reading, 330 s "
        "writing) in one line; TCP keepalives and tcp_user_timeout drop a dead peer",
        "6",
        "the store as it was (nothing was committed)",
        "tests/test_pg_timeouts.py",
    ),
    (
        "a numeric option or setting that is not finite, out of range or not in ASCII digits "
        "(`--stale-hours nan`, `--above ١٥٠٠`, `TRACKER_HTTP_TIMEOUT=١٠`, `SOURCE_DATE_EPOCH=-1`)",
        "refused in one line naming the option and the range it accepts, before anything is read",
        "2",
        "everything: nothing is opened",
        "tests/test_numeric_options.py, tests/test_pg_timeouts.py",
    ),
    (
        "a time or count beyond the calendar (`--since 0001-01-01`, `--until 9999-12-31`, `--last "
        "99999999999 weeks`, `--observed-at 0001-01-01T00:00+01:00`, `claims show 9…9`)",
        "refused in one line (times: 1970-01-01 to 9999-12-30; --last N: 1 to 10,000)",
        "2",
        "everything",
        "tests/test_bad_input_exit_codes.py, tests/test_report_options.py",
    ),
    (
        "a URL that cannot be fetched as written (`http://`, `http://[::1`, `ftp://x/y`, a bad port)",
        "refused in one line; no request is made",
        "2",
        "everything",
        "tests/test_bad_input_exit_codes.py",
    ),
    (
        "a URL with `user:password@`",
        "sends the credentials; prints, logs and stores the URL as `***@`",
        "the fetch's",
        "the run record, without the password",
        "tests/test_bad_input_exit_codes.py",
    ),
    (
        "an unknown --source, a --since after --until, a broken link as --from",
        "one rule for every command: exit 2 for the first two (`notes`, `changes`, `compare --series`), "
        "a local file error for the link (dataset, csv, oryx)",
        "2, 6",
        "everything; a failed run record for the link",
        "tests/test_bad_input_exit_codes.py",
    ),
    (
        "an output folder that cannot hold files (`site --out-dir /proc/self`)",
        "one line naming the folder",
        "6",
        "the store untouched",
        "tests/test_bad_input_exit_codes.py",
    ),
    (
        "a store in a folder the reader cannot write (a read-only filesystem)",
        "read-only commands read the file as it is (SQLite `immutable=1`)",
        "0",
        "the folder untouched: nothing is created beside the store",
        "tests/test_bad_input_exit_codes.py",
    ),
]


def guarantees() -> list[str]:
    """The guarantees section: one table of what each kind of fault does."""
    lines = [
        "## Guarantees",
        "",
        "What each kind of fault does, its exit code, and what is kept.",
        "",
        "| fault | what tracker does | exit code | what is kept | proved by |",
        "|---|---|---|---|---|",
    ]
    lines += [f"| {' | '.join(row)} |" for row in GUARANTEES]
    lines += RUN_GUARANTEE_ROWS
    return lines


def render_doc(outcomes: list[Outcome]) -> str:
    """docs/reliability.md from the bad-input outcomes, and what every other drill proves."""
    lines = [
        "# Reliability drills",
        "",
        "<!-- generated by `python -m drills.bad_input --write-doc`; tests/test_drills.py checks it is current -->",
        "",
        "Four drills run the real `tracker` command line against real data and prove what a daily",
        "ingest must survive. Each runs as `.venv/bin/python -m drills.<name> [--full]`, prints its",
        "figures, writes them to `var/drills/<name>.json` and exits 1 naming every failed case;",
        "`tests/test_drills.py` runs them at CI size, `--full` at the full count.",
        "",
        *guarantees(),
        "",
        "## Bad input",
        "",
        "Each case runs the CLI in a subprocess on a copy of one seed store (three real reports of the",
        "dataset, three curated claims, two API reports, a small CSV). Expected: exit 2 for usage, 3 when",
        "a bad value inside one record is left out",
        "as a finding and the rest stored (or a snapshot's suspicious removals are held, not applied),",
        "5 when the whole payload is unusable, 6 for a local file or",
        "store that cannot be read or written; one `error:` line on stderr and never a traceback. *Store*",
        "says whether the store is as it was (run records aside), or, for exit 0 and 3, whether it holds",
        "exactly what the same input without the bad value stores.",
        "",
        f"{len(outcomes)} cases; {sum(1 for o in outcomes if o.problems)} do not meet the specification yet.",
        "",
        "| case | entry point | exit code | message | store unchanged | meets spec |",
        "|---|---|---|---|---|---|",
    ]
    for o in outcomes:
        verdict = "yes" if not o.problems else "no: " + "; ".join(o.problems)
        lines.append(
            f"| {md(o.case.name)} | {md(o.case.entry)} | {o.code} (spec {o.case.expect}) | {md(o.message)} "
            f"| {md(o.unchanged)} | {md(verdict)} |"
        )
    lines += [
        "",
        "## Replay",
        "",
        "`python -m drills.replay` ingests the seven real snapshots in `history/` with their fetch times,",
        "then `latest/` and edited copies of it the way upstream edited the dataset: the 2022-05-01",
        "equipment row with `military auto` and `fuel tank` as null (exit 3, findings, never stored as 0),",
        "the latest personnel row dated a year wrong onto an existing date (a conflicting duplicate,",
        "fixed five minutes later), and a row removed then re-added. It checks every revision and what",
        "the store knew between snapshots (`observations_frame(..., known_at=...)`): 2023-01-12 personnel",
        "113,990 at day 323 and 113,390 from day 324, 2022-04-02 17,700 then 17,800 from day 369,",
        "2023-05-09 present, removed and re-added within fifteen minutes on day 440.",
        "",
        "## Crash",
        "",
        "`python -m drills.crash [--full]` sends `kill -9` to a full backfill of `latest/` at random",
        f"moments ({crash.CI_KILLS} on SQLite and {crash.CI_KILLS_POSTGRESQL} on PostgreSQL in CI, "
        f"{crash.FULL_KILLS} each with `--full`) between 0 and the length of an",
        "uninterrupted run. After each kill: SQLite `PRAGMA integrity_check` is `ok`; the store is exactly",
        "as before (not created, or empty) or exactly as after the run; the next run exits 0 or 3 and",
        "reaches exactly the store of an uninterrupted backfill. It prints how many kills landed before,",
        "during and after the run's one transaction. Ids are compared by rank, since PostgreSQL does not",
        "roll back its sequences.",
        "",
        "## Concurrency",
        "",
        "`python -m drills.concurrency [--full]` runs 2 writers (alternately ingesting `latest/` and a copy",
        "with three personnel totals raised, `--wait 2`) and 4 readers (`records`, `series --format json`,",
        f"`status --json`, `compare --format json`) on one store for {concurrency.CI_SECONDS:g} s in CI, "
        f"{concurrency.FULL_SECONDS:g} s with `--full`. Every",
        "reader exits 0 or 3, every writer 0, 3 or 7 (busy, one `error:` line); every reader's output",
        "equals the one it gives on state A or on state B, never a mix; afterwards no report has two",
        "current rows and `PRAGMA integrity_check` is `ok`. It prints runs per process and exit codes.",
        "",
        "It then kills a page build or a chart write at random moments "
        f"({crash.CI_OUTPUT_KILLS} in CI, {crash.FULL_OUTPUT_KILLS} with `--full`), the folder holding the",
        "previous version of every file: each file is after the kill the old whole one or the new whole one,",
        "and the next run exits 0 with every file new and no temporary file left. Under a file size limit",
        "(a full disk without mounting one) `site` and `chart` exit 6 in one line, the previous files whole;",
        "where root may mount one, `site` on a real full 1 MiB tmpfs too.",
        "",
        "Crash and concurrency run on SQLite, and on PostgreSQL too when `TRACKER_TEST_PG_URL` is set",
        "(a fresh database per run).",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--write-doc", action="store_true", help=f"write {DOC.relative_to(PROJECT_ROOT)}")
    p.add_argument("--case", action="append", help="run only this case (by name); repeatable")
    p.add_argument("--jobs", type=int, default=2, help="cases run at once (default 2)")
    args = p.parse_args(argv)
    checks, outcomes = run(args.case, jobs=args.jobs)
    for o in outcomes:
        if o.skipped:
            print(f"skip {o.case.entry:<11} {o.case.name:<45} {o.skipped}")
            continue
        mark = "ok  " if not o.problems else "FAIL"
        print(f"{mark} {o.case.entry:<11} {o.case.name:<45} exit {o.code} (spec {o.case.expect})  {o.message[:110]}")
    big = [o for o in outcomes if o.case.rss_limit_mib]
    for o in big:
        print(f"peak RSS of '{o.case.name}': {o.max_rss_mib:.0f} MiB (limit {o.case.rss_limit_mib} MiB)")
    save_figures(
        "bad_input",
        {
            "cases": len(outcomes),
            "failing": [f"{o.case.entry}: {o.case.name}" for o in outcomes if o.problems],
            "peak_rss_mib": {o.case.name: round(o.max_rss_mib) for o in big},
        },
    )
    if args.write_doc and not args.case and not any(o.skipped for o in outcomes):
        DOC.parent.mkdir(exist_ok=True)
        DOC.write_text(render_doc(outcomes))
        print(f"wrote {DOC}")
    return finish(checks)


if __name__ == "__main__":
    sys.exit(main())
