"""Rendering: tables for people, JSON and CSV for machines, safe for any string."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import subprocess
import sys

import numpy as np
import pandas as pd

from tracker.errors import sanitize
from tracker.reports.render import format_value, plain, render_csv, render_json, render_lines, render_table

EVIL = "ok\x1b[2J\x1b]0;pwned\x07\x9b31m\u202eevil\r\nend\x00"


def test_render_imports_without_pandas():
    code = "import sys, tracker.reports.render; assert 'pandas' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_people_get_thousands_separators_and_iso_dates():
    assert format_value(710660) == "710,660"
    assert format_value(1770.0) == "1,770"
    assert format_value(1467.142857) == "1,467.1"
    assert format_value(pd.Timestamp("2024-11-11")) == "2024-11-11"
    assert format_value(dt.date(2024, 5, 13)) == "2024-05-13"
    assert format_value(12.1155, column="change_vs_previous_pct") == "+12.1%"
    assert format_value(float("nan")) == "" and format_value(pd.NaT) == ""
    assert format_value(np.bool_(True)) == "yes"


def test_a_table_right_aligns_numbers_and_keeps_text_left():
    table = render_table(
        [
            {"date": pd.Timestamp("2024-11-11"), "increment": 1770.0},
            {"date": pd.Timestamp("2024-05-13"), "increment": 12345.0},
        ],
        title="Top days",
        notes=["by report date"],
    )
    assert table.splitlines() == [
        "Top days",
        "date        increment",
        "----------  ---------",
        "2024-11-11      1,770",
        "2024-05-13     12,345",
        "by report date",
    ]


def test_a_table_of_a_dataframe_and_an_empty_one():
    frame = pd.DataFrame({"period": ["2024-11"], "total": [45450.0], "complete": [True]})
    assert "2024-11  45,450  yes" in render_table(frame)
    assert render_table([], ["date"], title="Excluded") == "Excluded\n  (none)"


def test_machines_get_plain_numbers_and_iso_dates():
    payload = {
        "total": np.int64(710660),
        "increment": np.float64(1770.0),
        "average": 1467.142857142857,
        "date": pd.Timestamp("2024-11-11"),
        "missing": float("nan"),
        "when": pd.NaT,
        "flag": np.bool_(False),
    }
    assert json.loads(render_json(payload)) == {
        "total": 710660,
        "increment": 1770,
        "average": 1467.142857142857,
        "date": "2024-11-11",
        "missing": None,
        "when": None,
        "flag": False,
    }


def test_csv_has_a_header_and_plain_numbers():
    frame = pd.DataFrame(
        {"date": pd.to_datetime(["2024-11-11"]), "increment": [1770.0], "average": [1467.5], "flags": [""]}
    )
    text = render_csv(frame)
    assert text == "date,increment,average,flags\n2024-11-11,1770,1467.5,\n"


def test_no_terminal_control_character_passes_through_any_format():
    rows = [{"qualifier": EVIL, EVIL: 1}]
    outputs = [render_table(rows), render_json(rows), render_csv(rows), render_lines([EVIL]), sanitize(EVIL)]
    for text in outputs:
        bad = [c for c in text if (ord(c) < 0x20 and c != "\n") or 0x7F <= ord(c) <= 0x9F or c == "\u202e"]
        assert bad == [], (text, bad)
    assert "\\x1b[2J" in render_table(rows)


def test_json_of_unsafe_text_still_round_trips():
    assert json.loads(render_json({"q": EVIL})) == {"q": EVIL}


def test_csv_of_unsafe_text_parses_and_shows_escapes():
    [header, row] = list(csv.reader(io.StringIO(render_csv([{"q": EVIL}]))))
    assert header == ["q"] and row[0].startswith("ok\\x1b[2J")


def test_csv_text_that_looks_like_a_formula_is_quoted_for_spreadsheets():
    [_, row] = list(csv.reader(io.StringIO(render_csv([{"q": '=HYPERLINK("x")', "n": -5}]))))
    assert row == ['\'=HYPERLINK("x")', "-5"]  # numbers stay numbers


def test_plain_handles_nested_structures_and_frames():
    frame = pd.DataFrame({"a": [1, 2]})
    assert plain({"rows": frame, "d": dt.date(2024, 1, 1)}) == {"rows": [{"a": 1}, {"a": 2}], "d": "2024-01-01"}
