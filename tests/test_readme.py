"""The README stays true (as sqlite-utils' test_docs.py keeps its docs true): every `tracker`
command shown in its shell blocks runs, in order, against one store, with the live feeds swapped
for local copies, and ends with 0 or 3; its Python example runs on that store."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from tests.clirun import run_tracker

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
SAMPLE_CSV = ROOT / "data" / "sample" / "ua-general-staff-personnel.csv"
WARSHIP_PAGES = ROOT / "tests" / "fixtures" / "warship" / "pages"
ORYX_LAST = "2025-07-19T1144_a8624b4"  # the archive's last snapshot: the README's example figures


def shell_commands(text: str) -> list[str]:
    """Every command line of the ```sh blocks, continuation lines joined, comments dropped."""
    commands: list[str] = []
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S):
        joined = re.sub(r"\\\n\s*", " ", block)
        for line in joined.splitlines():
            words = shlex.split(line, comments=True)
            if words:
                commands.append(shlex.join(words))
    return commands


def python_example(text: str) -> str:
    [code] = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    return re.sub(r"^ {2}", "", code, flags=re.M)


def tracker_commands() -> list[list[str]]:
    """The commands to run: each a list of words, environment assignments first."""
    out = []
    for command in shell_commands(README.read_text()):
        words = shlex.split(command)
        env = [w for w in words if re.fullmatch(r"[A-Z_]+=.*", w)]
        rest = words[len(env) :]
        if rest and rest[0] == "tracker":
            out.append(env + rest)
    return out


def oryx_folder(tmp: Path, oryx_history: Path) -> Path:
    """A few real Oryx snapshots (links, never copies) for the README's backfill example."""
    folder = tmp / "oryx-history"
    folder.mkdir(exist_ok=True)
    for name in ("2025-07-12T1146_6e35ea7", "2025-07-17T1144_1738104", ORYX_LAST):
        if not (folder / name).exists():
            (folder / name).symlink_to(oryx_history / name, target_is_directory=True)
    return folder


def localised(words: list[str], *, latest: Path, history: Path, tmp: Path) -> tuple[dict[str, str], list[str]]:
    """The command with its live feeds and placeholder paths swapped for local ones."""
    env = dict(w.split("=", 1) for w in words if re.fullmatch(r"[A-Z_]+=.*", w))
    args = [w for w in words if not re.fullmatch(r"[A-Z_]+=.*", w)][1:]
    oryx_history = latest.parents[1] / "oryx" / "history"
    swaps = {
        "snapshot/": str(history / "2023-01-12T1204_day323"),
        "history/": str(history),
        "my.csv": str(SAMPLE_CSV),
        "study.csv": str(SAMPLE_CSV),
        "newsdesk.csv": str(ROOT / "tests" / "fixtures" / "claims" / "newsdesk.csv"),
        "~/edited-claims.csv": str(ROOT / "data" / "claims" / "claims.csv"),
        "our-series.csv": str(SAMPLE_CSV),
        "charts/": str(tmp / "charts"),
        "oryx-snapshot/": str(oryx_history / ORYX_LAST),
        "oryx-history/": str(oryx_folder(tmp, oryx_history)) if "oryx-history/" in args else "",
    }
    args = [swaps.get(a, a) for a in args]
    if args[:2] == ["ingest", "dataset"] and "--from" not in args:
        args += ["--from", str(latest)]
    if args[:2] == ["ingest", "oryx"] and "--from" not in args:
        args += ["--from", str(latest.parents[1] / "oryx" / "history" / ORYX_LAST)]
    if args[:2] == ["ingest", "orc-losses"] and "--from" not in args:
        args += ["--from", str(latest.parents[1] / "orc-losses" / "latest")]
    if args[:2] == ["ingest", "api"] and "--from" not in args:
        args += ["--from", str(WARSHIP_PAGES)]
    if args[:1] == ["daily"]:
        env.setdefault("TRACKER_DATASET_FROM", str(latest))
    for flag in ("--out",):
        if flag in args:
            i = args.index(flag) + 1
            args[i] = str(tmp / args[i])
    return env, args


def test_the_readme_shows_the_commands_this_test_runs():
    commands = [" ".join(w) for w in tracker_commands()]
    for expected in ("tracker daily", "tracker ingest dataset", "tracker claims add", "tracker compare"):
        assert any(c.startswith(expected) for c in commands), expected
    assert len(commands) >= 20


def test_every_command_in_the_readme_runs_and_exits_0_or_3(capsys, monkeypatch, tmp_path, latest_dir, history_dirs):
    history = history_dirs[0].parent
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("TRACKER_REPORT_CACHE", "0")
    for name in ("TRACKER_DATASET_FROM", "TRACKER_CLAIMS_FROM", "TRACKER_CHARTS_DIR"):
        monkeypatch.delenv(name, raising=False)
    shared = f"sqlite:///{tmp_path / 'store.db'}"
    # the quickstart's commands read the store `make demo` made: the real dataset, loaded offline
    assert run_tracker(capsys, "ingest", "dataset", "--from", str(latest_dir), "--db", shared, "--quiet")[0] in (0, 3)
    failures = []
    for n, words in enumerate(tracker_commands()):
        env, args = localised(words, latest=latest_dir, history=history, tmp=tmp_path)
        # a backfill of old General Staff snapshots needs a store that has not seen a later one
        # (Oryx's feed is its own: its snapshots go into the shared store, for the reports after)
        backfill = ("--observed-at" in args or "--snapshots" in args) and args[:2] != ["ingest", "oryx"]
        store = f"sqlite:///{tmp_path / f'backfill-{n}.db'}" if backfill else shared
        with monkeypatch.context() as m:
            m.setenv("TRACKER_DB_URL", store)
            for key, value in env.items():
                m.setenv(key, value)
            code, out, err = run_tracker(capsys, *args)
        if code not in (0, 3):
            failures.append(f"{' '.join(words)} -> exit {code}: {err.strip()[-300:]}")
    assert failures == []

    namespace: dict = {}
    exec(python_example(README.read_text()).replace("sqlite:///var/demo.db", shared), namespace)
    assert namespace["daily"]["date"].max().date().isoformat() == "2026-08-07"  # covered day of the last report


@pytest.mark.parametrize("target", ["demo", "test"])
def test_the_quickstart_names_make_targets_that_exist(target):
    assert f"make {target}" in README.read_text()
    assert re.search(rf"^{target}:", (ROOT / "Makefile").read_text(), flags=re.M)
