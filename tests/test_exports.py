"""Every `--format csv` export, found in the command line itself, read back with pandas and with
Python's csv module: numbers rounded as the help says (fractions to one decimal, ratios to four),
UTF-8 with a byte order mark exactly when a cell is not ASCII (Excel garbles UTF-8 without one:
the en dash of "70,000–80,000")."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from tests.clirun import run_tracker
from tracker.reports.render import BOM

# The required arguments of the commands that have any; every other command runs with its defaults.
ARGUMENTS = {("feeds", "withdrawals"): ["ua-dataset"], ("claims", "show"): ["1"]}
# Options that make a command's CSV hold more of what it can export.
EXTRA = {("records",): ["--table", "top_days"], ("reconcile",): ["--all"], ("findings",): ["--limit", "0"]}


def csv_commands() -> list[tuple[str, ...]]:
    """Every command whose --format accepts csv, from the command line as built."""
    import typer

    from tracker.cli import build_app

    found = []

    def walk(command, path: tuple[str, ...]) -> None:
        if hasattr(command, "commands"):
            for name, sub in command.commands.items():
                walk(sub, (*path, name))
            return
        for param in command.params:
            if "--format" in (getattr(param, "opts", None) or []) and "csv" in getattr(param.type, "choices", ()):
                found.append(path)

    walk(typer.main.get_command(build_app()), ())
    return found


@pytest.fixture(scope="module")
def claims_store(full_store_url, tmp_path_factory) -> str:
    """The full dataset and the curated claims file, in a store of this module's own."""
    source = Path(full_store_url.removeprefix("sqlite:///"))
    copy = tmp_path_factory.mktemp("exports") / "store.db"
    copy.write_bytes(source.read_bytes())
    url = f"sqlite:///{copy}"
    from tracker.ingest.feeds.claims import ClaimsFeed
    from tracker.ingest.run import run_ingest

    assert run_ingest(url, ClaimsFeed()).status in ("ok", "ok_with_findings")
    return url


def export(capsys, url: str, command: tuple[str, ...]) -> str:
    args = [*command, *ARGUMENTS.get(command, []), *EXTRA.get(command, []), "--format", "csv", "--db", url]
    code, out, err = run_tracker(capsys, *args)
    assert (code, err) == (0, ""), (command, err)
    return out


def test_the_commands_with_csv_are_the_ones_this_test_knows():
    assert len(csv_commands()) == 15
    assert set(ARGUMENTS) | set(EXTRA) <= set(csv_commands())


@pytest.mark.parametrize("command", csv_commands(), ids=" ".join)
def test_every_csv_export_reads_back_alike_with_pandas_and_csv_rounded_as_its_help_says(capsys, claims_store, command):
    import pandas as pd

    text = export(capsys, claims_store, command)
    data = text.encode("utf-8")
    assert text.startswith(BOM) == (not text.isascii())  # a BOM exactly when a cell needs one
    assert BOM not in text[1:]
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    header, body = rows[0], rows[1:]
    assert header and not header[0].startswith(BOM)
    frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)
    assert list(frame.columns) == header
    assert frame.values.tolist() == body  # the same cells, read either way
    for row in body:
        for column, cell in zip(header, row, strict=True):
            places = re.fullmatch(r"-?\d+\.(\d+)", cell)
            if places:
                assert len(places.group(1)) <= (4 if column.endswith("ratio") else 1), (command, column, cell)


def test_compare_csv_rounds_the_series_average_and_keeps_the_en_dash_of_a_range(capsys, claims_store):
    import pandas as pd

    data = export(capsys, claims_store, ("compare",)).encode("utf-8")
    assert data.startswith(b"\xef\xbb\xbf")
    frame = pd.read_csv(io.BytesIO(data)).set_index("key")
    # UK Defence Intelligence's 400 a day in 2022 against the series' 343.1511... (one decimal, as the help says)
    assert frame.loc["ukdi-2024-04-07-2022-avg", "series"] == 343.2
    assert frame.loc["us-dod-2022-08-08-total", "figure"] == "70,000–80,000"
    assert frame.loc["us-dod-2022-08-08-total", "ratio"] == 1.7714
    with io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline="") as stream:
        row = next(r for r in csv.DictReader(stream) if r["key"] == "us-dod-2022-08-08-total")
    assert (row["figure"], row["series"], row["ratio"]) == ("70,000–80,000", "42340", "1.7714")
