"""Every numeric option and setting is finite, in range and in ASCII digits (issue 26, item 9): one
rule (tracker.config.number_in_range) behind all of them, and a bad value is one usage line naming
the option and the range it accepts (exit 2), never a report computed from NaN."""

from __future__ import annotations

import pytest

from tests.clirun import run_tracker
from tracker.errors import ExitCode, InvalidInput


def _refused(capsys, *args: str) -> str:
    code, out, err = run_tracker(capsys, *args)
    assert (code, out) == (ExitCode.USAGE, ""), err
    assert err.count("\n") == 1, err
    return err


@pytest.mark.parametrize("value", ["nan", "1e309", "-5", "0", "inf", "١٠"])
def test_status_refuses_stale_hours_that_would_call_an_old_feed_fresh(capsys, full_store_url, value: str) -> None:
    err = _refused(capsys, "status", "--stale-hours", value, "--db", full_store_url)
    assert err == (
        f"error: Invalid value for '--stale-hours': must be a number of hours above 0 and at most 87,600, "
        f"not {value!r} (see `tracker status --help`)\n"
    )


def test_a_daily_feed_idle_for_longer_than_stale_hours_is_stale(capsys, full_store_url) -> None:
    # The shared dataset's latest report is months old; a valid --stale-hours still judges it.
    code, out, _ = run_tracker(capsys, "feeds", "schedule", "ua-dataset", "--db", full_store_url)
    assert code == ExitCode.OK, out
    try:
        code, out, _ = run_tracker(capsys, "status", "--stale-hours", "36", "--db", full_store_url)
        assert code == ExitCode.FINDINGS
        assert "STALE" in out.upper()
    finally:
        run_tracker(capsys, "feeds", "retire", "ua-dataset", "--db", full_store_url)


@pytest.mark.parametrize("option", ["--above", "--below"])
@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "١٥٠٠", "1_500", "1e10"])
def test_series_thresholds_are_finite_ascii_figures(capsys, full_store_url, option: str, value: str) -> None:
    err = _refused(capsys, "series", option, value, "--db", full_store_url)
    assert err == (
        f"error: Invalid value for '{option}': must be a number from -1,000,000,000 to 1,000,000,000, "
        f"not {value!r} (see `tracker series --help`)\n"
    )


@pytest.mark.parametrize(
    ("args", "option", "accepted"),
    [
        (("records", "--top", "١٠"), "--top", "a whole number from 1 to 100,000"),
        (("records", "--top", "99999999999999999999"), "--top", "a whole number from 1 to 100,000"),
        (("records", "--streak-threshold", "nan"), "--streak-threshold", "a number from 0 to 1,000,000,000"),
        (("records", "--milestone-step", "1.5"), "--milestone-step", "a whole number from 1 to 1,000,000,000"),
        (("averages", "--rolling", "٧"), "--rolling", "a whole number of days from 1 to 10,000"),
        (("findings", "--limit", "-1"), "--limit", "a whole number from 0 to 1,000,000,000"),
        (("chart", "daily", "--dpi", "nan", "--out", "x.png"), "--dpi", "a number of dots per inch from 30 to 1,200"),
        (("ingest", "csv", "--from", "x.csv", "--wait", "١٠"), "--wait", "a number of seconds from 0 to 86,400"),
    ],
)
def test_every_numeric_option_names_itself_and_its_range(
    capsys, full_store_url, args: tuple[str, ...], option: str, accepted: str
) -> None:
    err = _refused(capsys, *args, "--db", full_store_url)
    assert err.startswith(f"error: Invalid value for '{option}': must be {accepted}, not "), err


def test_a_chart_size_in_other_digits_is_refused(capsys, full_store_url, tmp_path) -> None:
    code, out, err = run_tracker(
        capsys, "chart", "daily", "--size", "١٢٠٠x٦٧٥", "--out", str(tmp_path / "d.png"), "--db", full_store_url
    )
    assert (code, out) == (ExitCode.USAGE, "")
    assert err == "error: --size: expected WIDTHxHEIGHT in pixels, e.g. 1600x900, not '١٢٠٠x٦٧٥'\n"
    assert not (tmp_path / "d.png").exists()


@pytest.mark.parametrize("value", ["١٠", "nan", "1e309", "1_0", "0"])
def test_an_http_timeout_setting_in_other_digits_or_not_finite_is_refused_before_any_fetch(
    capsys, monkeypatch, sqlite_url: str, value: str
) -> None:
    monkeypatch.setenv("TRACKER_HTTP_TIMEOUT", value)
    # 127.0.0.1:9 (discard) is never reached: the setting is read first.
    err = _refused(capsys, "ingest", "dataset", "--from", "http://127.0.0.1:9/data", "--db", sqlite_url)
    assert err == f"error: $TRACKER_HTTP_TIMEOUT must be a finite number of seconds above 0, not {value!r}\n"


@pytest.mark.parametrize("value", ["-1", "١٧٠٠٠٠٠٠٠٠", "1e9", "253402300800"])
def test_source_date_epoch_outside_the_calendar_or_in_other_digits_is_refused(
    capsys, monkeypatch, full_store_url, tmp_path, value: str
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", value)
    err = _refused(capsys, "chart", "daily", "--out", str(tmp_path / "d.svg"), "--db", full_store_url)
    assert err == (
        "error: $SOURCE_DATE_EPOCH must be a whole number of seconds since 1970 from 0 to 253,402,300,799, "
        f"not {value!r}\n"
    )


def test_the_one_rule_accepts_ascii_numbers_in_range_and_nothing_else() -> None:
    from tracker.config import number_in_range, positive_seconds, whole_number

    assert number_in_range(" 1500 ", "--above", low=-1, high=2000) == 1500.0
    assert number_in_range("-2.5e2", "--above", low=-1000, high=0) == -250.0
    assert whole_number("+7", "--top", low=1, high=10) == 7
    assert positive_seconds("0.5", "$X") == 0.5
    for bad in ("", "nan", "NaN", "inf", "1e309", "0x10", "١٥٠٠", "1 500", "1,500", "½"):
        with pytest.raises(InvalidInput):
            number_in_range(bad, "--above", low=-1e9, high=1e9)
    with pytest.raises(InvalidInput, match=r"^--top must be a whole number from 1 to 10, not '2\.0'$"):
        whole_number("2.0", "--top", low=1, high=10)
