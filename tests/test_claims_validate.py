"""Claim validation: every field checked with a message naming it; periods, rounding, CSV parsing."""

from __future__ import annotations

import datetime as dt

import pytest

from tracker.claims.claim import figure_label, parse_period, rounding_unit
from tracker.claims.parse import claim_from_fields
from tracker.errors import BadPayload, InvalidInput
from tracker.ingest.feeds.claims import ClaimsFeed, claims_to_csv, parse_claims_csv
from tracker.ingest.parsed import Fetched

GOOD = {
    "claim_key": "ukdi-2024-10-06-sep-2024-avg",
    "source": "uk-defence-intelligence",
    "subject": "russia",
    "metric": "personnel",
    "definition": "killed_or_wounded",
    "kind": "daily_average",
    "period": "2024-09",
    "qualifier": "",
    "low": "",
    "best": "1271",
    "high": "",
    "published": "2024-10-06",
    "url": "https://unn.ua/en/news/x",
    "based_on": "Ukrainian General Staff reporting",
    "note": "September.",
}


def fields(**changes: str) -> dict[str, str]:
    return {**GOOD, **changes}


def test_a_good_row_becomes_a_claim_with_its_period_and_precision() -> None:
    claim = claim_from_fields(fields())
    assert (claim.period_start, claim.period_end, claim.period_precision) == (
        dt.date(2024, 9, 1),
        dt.date(2024, 9, 30),
        "month",
    )
    assert claim.best == 1271 and claim.low is None and claim.qualifier is None
    assert claim.published == "2024-10-06" and claim.period == "2024-09"


def test_vocabulary_words_accept_spaces_and_case() -> None:
    claim = claim_from_fields(fields(definition="Killed or wounded", kind="daily average", qualifier="More  than"))
    assert (claim.definition, claim.kind, claim.qualifier) == ("killed_or_wounded", "daily_average", "more than")


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"period": "2024-06-30/2024-05-01"}, "period: period end 2024-05-01 is before its start 2024-06-30"),
        ({"low": "1300", "best": "1271"}, "low 1,300 is greater than best 1,271"),
        ({"best": "1271", "high": "1200"}, "best 1,271 is greater than high 1,200"),
        ({"best": "", "low": "80000", "high": "70000"}, "low 80,000 is greater than high 70,000"),
        ({"best": "-5"}, "best -5 is negative; figures are counts of people"),
        ({"low": "-1", "best": "10"}, "low -1 is negative"),
        (
            {"kind": "weekly"},
            "unknown kind 'weekly'; use one of: cumulative, period_total, daily_average, day, peak_day",
        ),
        (
            {"definition": "dead"},
            "unknown definition 'dead'; use one of: killed, wounded, killed_or_wounded, killed_confirmed_by_name",
        ),
        ({"qualifier": "over"}, "unknown qualifier 'over'; use one of: about, more than, at least, up to, less than"),
        ({"url": "unn.ua/en/news"}, "malformed url 'unn.ua/en/news'"),
        ({"url": "javascript:alert(1)"}, "malformed url 'javascript:alert(1)'"),
        ({"url": "https://exa mple.org/"}, "malformed url"),
        ({"published": "2024-13-01"}, "published: malformed date '2024-13-01'"),
        (
            {"published": "06/10/2024"},
            "published must be one date, month, quarter or year (YYYY-MM-DD, YYYY-MM, YYYY-Qn or YYYY), not '06/10/2024'",
        ),
        ({"published": "Oct 2024"}, "published: malformed date or period 'Oct 2024'"),
        ({"period": "2024-02-30"}, "period: malformed date '2024-02-30'"),
        ({"period": "September 2024"}, "period: malformed date or period 'September 2024'"),
        ({"published": "2099-01-01"}, "published 2099-01-01 is in the future"),
        ({"published": "2024-08-01"}, "period 2024-09 begins after the claim was published (2024-08-01)"),
        ({"best": "many"}, "best 'many' is not a number"),
        ({"best": "1e400"}, "best '1e400' is not a number"),
        ({"best": ""}, "a claim needs a best figure, or both low and high for a range"),
        ({"source": "ukdi"}, "unknown source 'ukdi'; known: ua-general-staff, oryx, uk-defence-intelligence"),
        ({"source": "curated"}, "unknown source 'curated'"),
        ({"subject": "belarus"}, "unknown subject 'belarus'; use one of: russia, ukraine"),
        ({"metric": "casualties"}, "unknown metric 'casualties'"),
        ({"kind": "day"}, "a single-day claim needs a day period (YYYY-MM-DD), not '2024-09'"),
        (
            {"claim_key": "Robert'); DROP TABLE claim;--"},
            'claim_key "Robert\'); DROP TABLE claim;--" must be lowercase',
        ),
        ({"claim_key": ""}, "claim_key is missing"),
        ({"note": "line one\nline two"}, "note contains the control character U+000A at position 9"),
        ({"note": "red \x1b[31malert"}, "note contains the control character U+001B at position 5"),
        ({"based_on": "a\u202eb"}, "based_on contains the control character U+202E at position 2"),
        ({"note": "x" * 1_048_576}, "note is 1,048,576 characters long; the limit is 1,000"),
    ],
)
def test_each_invalid_field_is_refused_with_a_message_naming_it(changes: dict, message: str) -> None:
    with pytest.raises(InvalidInput) as err:
        claim_from_fields(fields(**changes), today=dt.date(2026, 8, 8))
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_hostile_but_printable_text_is_kept_verbatim() -> None:
    note = "He said \"1,500\"; it's '); DROP TABLE claim; -- <script>alert(1)</script> ✓ «ок»"
    claim = claim_from_fields(fields(note=note))
    assert claim.note == note


@pytest.mark.parametrize(
    "text, start, end, precision, label",
    [
        ("2024-10-09", dt.date(2024, 10, 9), dt.date(2024, 10, 9), "day", "2024-10-09"),
        ("2024-02", dt.date(2024, 2, 1), dt.date(2024, 2, 29), "month", "2024-02"),
        ("2024-q3", dt.date(2024, 7, 1), dt.date(2024, 9, 30), "quarter", "2024-Q3"),
        ("2022", dt.date(2022, 1, 1), dt.date(2022, 12, 31), "year", "2022"),
        ("2025-01/2025-04", dt.date(2025, 1, 1), dt.date(2025, 4, 30), "range", "2025-01-01/2025-04-30"),
    ],
)
def test_periods_parse_with_their_precision(text, start, end, precision, label) -> None:  # type: ignore[no-untyped-def]
    period = parse_period(text)
    assert (period.start, period.end, period.precision, period.label()) == (start, end, precision, label)


@pytest.mark.parametrize(
    "value, unit",
    [
        (1271, 1),
        (41980, 10),
        (950, 10),
        (1072, 1),
        (1500, 100),
        (300_000, 10_000),
        (1_050_000, 10_000),
        (1_100_000, 100_000),
        (1_200_000, 100_000),
        (70_000, 1_000),
        (1271.5, 0.1),
        (0, 1),
    ],
)
def test_rounding_reads_trailing_zeros_to_at_least_two_significant_figures(value: float, unit: float) -> None:
    assert rounding_unit(value) == pytest.approx(unit)


def test_figure_labels_read_as_a_person_would_say_them() -> None:
    assert figure_label("about", None, 1500, None) == "about 1,500"
    assert figure_label(None, 70000, None, 80000) == "70,000–80,000"
    assert figure_label("more than", None, 600000, None) == "more than 600,000"


def _csv(*rows: dict) -> bytes:
    import csv
    import io

    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(GOOD), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def test_csv_errors_name_the_line() -> None:
    content = _csv(GOOD, fields(claim_key="second", best="-3"))
    with pytest.raises(BadPayload, match=r"^claims\.csv line 3: best -3 is negative"):
        parse_claims_csv(content, "claims.csv")


def test_a_quoted_note_spanning_no_lines_keeps_later_line_numbers_right() -> None:
    content = _csv(fields(note='He said "about, roughly"'), fields(claim_key="b", period="2024-13"))
    with pytest.raises(BadPayload, match="line 3: period: malformed month"):
        parse_claims_csv(content, "claims.csv")


def test_duplicate_keys_and_duplicate_statements_are_refused_in_a_file() -> None:
    with pytest.raises(
        BadPayload, match=r"line 3: duplicate claim_key 'ukdi-2024-10-06-sep-2024-avg' \(first on line 2\)"
    ):
        parse_claims_csv(_csv(GOOD, fields(best="1272")), "f")
    with pytest.raises(BadPayload, match="line 3: duplicate of the claim on line 2"):
        parse_claims_csv(_csv(GOOD, fields(claim_key="other", note="same claim, new words")), "f")


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "empty file"),
        (b"<!doctype html><html>", "expected CSV, got an HTML page"),
        (b"claim_key,source\nx,y\n", "header must name the columns"),
        (b"\xff\xfe", "not UTF-8 text"),
    ],
)
def test_unreadable_files_are_bad_payloads(content: bytes, message: str) -> None:
    with pytest.raises(BadPayload, match=message):
        ClaimsFeed().parse([Fetched("f.csv", content, dt.datetime.now(dt.UTC))])


def test_comment_and_blank_lines_are_skipped_and_a_claim_round_trips_through_csv() -> None:
    claim = claim_from_fields(fields(note='Quotes "inside", commas, and ✓'))
    text = claims_to_csv([claim]).replace("\n", "\n# a comment,,,\n\n", 1)
    assert parse_claims_csv(text.encode(), "f") == [claim]


def test_the_repository_file_parses_into_73_claims() -> None:
    feed = ClaimsFeed()
    parsed = feed.parse(feed.fetch())
    assert len(parsed.claims) == 73
    assert parsed.complete_kinds == frozenset({"claim"})
