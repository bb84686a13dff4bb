"""Strict values (tracker.ingest.values and the JSON/CSV readers): each accepted and refused form, by name."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tracker.claims.parse import check_text as check_claim_text
from tracker.errors import BadPayload, InvalidInput
from tracker.ingest.feeds.dataset import DatasetFeed
from tracker.ingest.feeds.json_payload import NonFinite, strict_loads
from tracker.ingest.feeds.warship import WarshipFeed
from tracker.ingest.parsed import Fetched
from tracker.ingest.values import MAX_COUNT, check_text, parse_count, parse_iso_date, parse_json_count, show, too_broken

# --- whole numbers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [("5", 5), (" 5 ", 5), ("0", 0), ("700000", 700_000), (5, 5), (5.0, 5), (MAX_COUNT, MAX_COUNT)],
    ids=["digits", "digits with spaces around", "zero", "six digits", "int", "integral float", "the maximum"],
)
def test_whole_numbers_accepted(value, expected):
    assert parse_count(value) == expected
    assert type(parse_count(value)) is int


@pytest.mark.parametrize(
    "value, reason",
    [
        ("700_000", "not a whole number: ASCII digits 0-9 only"),
        ("700,000", "not a whole number: ASCII digits 0-9 only"),
        ("\u0667\u0660\u0660", "not a whole number: ASCII digits 0-9 only"),  # Arabic-Indic 700
        ("\uff15", "not a whole number: ASCII digits 0-9 only"),  # fullwidth 5
        ("+5", "not a whole number: ASCII digits 0-9 only"),
        ("1e3", "not a whole number: ASCII digits 0-9 only"),
        ("0x10", "not a whole number: ASCII digits 0-9 only"),
        ("5.0", "not a whole number: ASCII digits 0-9 only"),
        ("", "not a whole number: ASCII digits 0-9 only"),
        ("-5", "negative"),
        (-5, "negative"),
        (5012.5, "not a whole number"),
        (float("nan"), "not a whole number"),
        (float("inf"), "not a whole number"),
        (True, "a boolean is not a number"),
        (None, "empty: not reported"),
        ([5], "not a number"),
        (MAX_COUNT + 1, "implausibly large (the limit is 100,000,000)"),
        (10**30, "implausibly large (the limit is 100,000,000)"),
        (2**63, "implausibly large (the limit is 100,000,000)"),
        ("9" * 5000, "implausibly large (the limit is 100,000,000)"),
        (1e30, "implausibly large (the limit is 100,000,000)"),
    ],
    ids=[
        "underscore separator",
        "comma separator",
        "Arabic-Indic digits",
        "fullwidth digit",
        "plus sign",
        "exponent",
        "hex",
        "decimal point in text",
        "empty text",
        "negative text",
        "negative int",
        "fraction",
        "NaN",
        "infinity",
        "boolean",
        "null",
        "list",
        "over the plausible maximum",
        "10**30",
        "2**63",
        "5000 digits",
        "1e30 as a float",
    ],
)
def test_whole_numbers_refused(value, reason):
    with pytest.raises(ValueError) as info:
        parse_count(value)
    assert str(info.value) == reason


def test_a_signed_count_accepts_a_minus_sign_and_nothing_else():
    assert parse_count("-25", signed=True) == -25
    assert parse_json_count(-25, signed=True) == -25
    with pytest.raises(ValueError, match="ASCII digits"):
        parse_count("+25", signed=True)
    with pytest.raises(ValueError, match="implausibly large"):
        parse_count(-(10**30), signed=True)


def test_a_json_count_refuses_text_that_looks_like_a_number():
    assert parse_json_count(707540) == 707540
    with pytest.raises(ValueError, match="^text, not a number$"):
        parse_json_count("707540")
    with pytest.raises(ValueError, match="^not a number$"):
        parse_json_count(NonFinite("NaN"))


# --- dates ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [("2024-11-11", dt.date(2024, 11, 11)), (" 2024-02-29 ", dt.date(2024, 2, 29))],
    ids=["ISO date", "leap day with spaces around"],
)
def test_iso_dates_accepted(text, expected):
    assert parse_iso_date(text) == expected


@pytest.mark.parametrize(
    "value, reason",
    [
        ("20241111", "not a date written YYYY-MM-DD"),
        ("2026-W32-7", "not a date written YYYY-MM-DD"),
        ("24-11-11", "not a date written YYYY-MM-DD"),
        ("2024-11-11T07:00:00", "not a date written YYYY-MM-DD"),
        ("2024-11-11+02:00", "not a date written YYYY-MM-DD"),
        ("2024-11-11Z", "not a date written YYYY-MM-DD"),
        ("11/11/2024", "not a date written YYYY-MM-DD"),
        ("2024-1-11", "not a date written YYYY-MM-DD"),
        ("\u0662\u0660\u0662\u0664-11-11", "not a date written YYYY-MM-DD"),
        ("2024-02-30", "no such calendar date"),
        ("2023-02-29", "no such calendar date"),
        ("2024-13-01", "no such calendar date"),
        ("0000-01-01", "no such calendar date"),
        (20241111, "a date must be text written YYYY-MM-DD"),
        (None, "a date must be text written YYYY-MM-DD"),
    ],
    ids=[
        "basic format",
        "week date",
        "two-digit year",
        "with a time",
        "with a zone",
        "with Z",
        "US order",
        "one-digit month",
        "Arabic-Indic year",
        "February 30",
        "February 29 of a common year",
        "month 13",
        "year zero",
        "a number",
        "null",
    ],
)
def test_iso_dates_refused(value, reason):
    with pytest.raises(ValueError) as info:
        parse_iso_date(value)
    assert str(info.value) == reason


# --- text and messages ---------------------------------------------------------------------


def test_text_with_a_lone_surrogate_is_refused_and_other_text_kept():
    assert check_text("Pokrovsk \u2192 =HYPERLINK(1)\x1b[31m") == "Pokrovsk \u2192 =HYPERLINK(1)\x1b[31m"
    with pytest.raises(ValueError, match="lone surrogate"):
        check_text("Izyum \ud800")
    with pytest.raises(ValueError, match="^is not text$"):
        check_text(5)


def test_a_claim_field_with_a_lone_surrogate_is_refused_naming_the_field():
    with pytest.raises(InvalidInput, match=r"^note contains a lone surrogate U\+DCFF at position 3"):
        check_claim_text("note", "ab\udcff", 100)


def test_a_shown_value_is_a_repr_cut_to_60_characters_and_printable():
    assert show("n/a") == "'n/a'"
    assert show(None) == "None"
    assert show("x" * 500) == "'" + "x" * 60 + "'…"
    assert show("\ud800\x1b") == "'\\ud800\\x1b'"
    assert len(show(list(range(1000)))) == 61
    show("\ud800").encode("utf-8")  # safe to store and print


def test_the_bad_share_threshold_is_more_than_half():
    assert (too_broken(2, 4), too_broken(3, 5), too_broken(0, 0), too_broken(1, 1)) == (False, True, False, True)


# --- JSON ----------------------------------------------------------------------------------


def fetched(content: bytes, name: str = "russia_losses_personnel.json") -> list[Fetched]:
    return [Fetched(f"/data/{name}", content, dt.datetime.now(dt.UTC), role="personnel")]


# Three made-up reports (round figures, not the shared dataset's): the shape is what matters here.
ROWS = [
    {"date": "2024-11-10", "personnel": 700000},
    {"date": "2024-11-11", "personnel": 701000},
    {"date": "2024-11-12", "personnel": 702000},
]


def test_json_duplicate_keys_are_reported_and_the_later_value_kept():
    document = strict_loads('{"date": "2024-11-11", "tank": 1, "tank": 2}', "f.json")
    assert document.value == {"date": "2024-11-11", "tank": 2}
    [issue] = document.issues
    assert (issue.rule, issue.metric, issue.report_date) == ("duplicate_key", "tank", dt.date(2024, 11, 11))
    assert issue.message == (
        "f.json: key 'tank' appears twice in one object (report 2024-11-11) with 1 and 2; kept the later, as JSON does"
    )


def test_json_nan_and_infinity_are_markers_no_count_accepts():
    document = strict_loads("[NaN, Infinity, -Infinity]", "f.json")
    assert [repr(v) for v in document.value] == ["NaN", "Infinity", "-Infinity"]  # type: ignore[union-attr]


def test_json_nested_thousands_deep_is_a_one_line_bad_payload():
    with pytest.raises(BadPayload, match=r"^/data/russia_losses_personnel.json: JSON nested too deep to read$"):
        DatasetFeed().parse(fetched(b"[" * 50_000 + b"]" * 50_000))
    with pytest.raises(BadPayload, match="JSON nested too deep to read"):
        WarshipFeed().parse(fetched(b'{"data": ' * 50_000 + b"1" + b"}" * 50_000))


@pytest.mark.parametrize(
    "encoding, prefix",
    [("utf-8", b"\xef\xbb\xbf"), ("utf-16-le", b"\xff\xfe"), ("utf-16-be", b""), ("utf-32-le", b"")],
    ids=["UTF-8 with BOM", "UTF-16 with BOM", "UTF-16 without BOM", "UTF-32"],
)
def test_json_in_utf8_with_a_bom_or_in_utf16_or_utf32_is_read_correctly(encoding, prefix):
    text = json.dumps([{**ROWS[0], "greatest losses direction": "Покровськ"}], ensure_ascii=False)
    parsed = DatasetFeed().parse(fetched(prefix + text.encode(encoding)))
    assert [o.value for o in parsed.totals()] == [700000]
    assert parsed.directions == {dt.date(2024, 11, 10): "Покровськ"}


def test_json_that_is_not_text_in_its_encoding_is_refused_in_one_line():
    with pytest.raises(BadPayload, match=r"^/data/russia_losses_personnel.json: not UTF-8 text$"):
        DatasetFeed().parse(fetched(b'[{"date": "2024-11-10", "x": "\xff\xfe\xfd"}]'))


def test_a_lone_surrogate_in_a_qualifier_keeps_the_value_out():
    rows = [{**r, "personnel*": "roughly"} for r in ROWS]
    text = json.dumps(rows).replace('"roughly"', '"\\ud800"', 1)
    parsed = DatasetFeed().parse(fetched(text.encode()))
    assert [o.report_date.day for o in parsed.totals()] == [11, 12]
    [issue] = parsed.issues
    assert issue.message == (
        "/data/russia_losses_personnel.json 2024-11-10 'personnel': bad value '\\ud800' (its qualifier holds a "
        "lone surrogate (not valid Unicode text)); not stored, and no stored value is removed for it"
    )
    assert parsed.scope.unreadable == {("personnel", dt.date(2024, 11, 10))}
    assert not parsed.scope.covers("personnel", dt.date(2024, 11, 10))
    assert parsed.scope.covers("personnel", dt.date(2024, 11, 9))


def test_an_unknown_category_keeps_its_rule_and_is_not_a_bad_value():
    parsed = DatasetFeed().parse(fetched(json.dumps([{**r, "laser cannons": None} for r in ROWS]).encode()))
    assert [i.rule for i in parsed.issues] == ["unknown_metric"]
    assert len(parsed.totals()) == 3


def test_a_row_that_is_not_an_object_drops_its_file_from_the_removal_scope():
    parsed = DatasetFeed().parse(fetched(json.dumps([*ROWS, "2024-11-13"]).encode()))
    assert len(parsed.totals()) == 3
    assert parsed.scope.metrics == frozenset()
    assert [i.rule for i in parsed.issues] == ["bad_row"]
    assert "report #4 (str '2024-11-13', not an object)" in parsed.issues[0].message
