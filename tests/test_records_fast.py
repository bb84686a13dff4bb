"""The first `tracker records` after new data without pandas (issue 12): the command computes on
plain rows (tracker.analysis.daily_rows) and prints, to the byte, what the notebook API (tracker.analysis,
the same computation adapted to DataFrames) gives for the same options, on the real dataset, in
every format: the frames' conversion to rows and back loses nothing."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.clirun import run_tracker
from tests.records_reference import records_output
from tracker.analysis.daily_rows import DailyRows, Table, default_threshold, split_rows
from tracker.errors import InvalidInput
from tracker.reports.options import FILTERS, Filters, load_daily, load_daily_rows, report_options
from tracker.reports.outputs import records_rows_output, report_urls

# (shared options, records' own options): every format, convention, window, metric and setting.
CASES = [
    ({}, {}),
    ({"format": "json"}, {}),
    ({"format": "csv"}, {}),
    ({"by": "covered"}, {}),
    ({"by": "covered", "format": "json"}, {"explain": True}),
    ({"as_of": "2022-03-05"}, {}),
    ({"as_of": "2022-04-10", "format": "json"}, {}),
    ({"as_of": "2023-06-01", "by": "covered"}, {"top": 5}),
    ({"since": "2024-01-01", "until": "2024-12-31"}, {}),
    ({"since": "2024-01-01", "until": "2024-12-31", "format": "json", "by": "covered"}, {}),
    ({"since": "2022-02-25", "until": "2022-03-05", "format": "json"}, {"explain": True}),
    ({"until": "2022-02-26"}, {}),
    ({"last": (3, "months")}, {}),
    ({"last": (2, "weeks"), "format": "json"}, {}),
    ({"last": (10, "days"), "metric": "aircraft", "by": "covered"}, {"explain": True}),
    ({"metric": "tanks"}, {}),
    ({"metric": "uav", "format": "json"}, {}),
    ({"metric": "cruise_missiles", "format": "json"}, {"explain": True}),
    ({"metric": "vehicles_fuel_tanks", "format": "json"}, {}),
    ({"metric": "artillery", "include_flagged": True}, {"table": "deadliest_month"}),
    ({"include_flagged": True}, {}),
    ({"include_flagged": True, "format": "json"}, {}),
    ({}, {"explain": True}),
    ({}, {"table": "excluded_months"}),
    ({"format": "csv"}, {"table": "excluded"}),
    ({"format": "json"}, {"table": "streaks"}),
    ({"format": "csv", "by": "covered"}, {"table": "record_progression"}),
    ({"format": "csv"}, {"table": "excluded_summary"}),
    ({}, {"top": 3, "streak_threshold": 1000.0, "milestone_step": 50000}),
    ({"format": "csv"}, {"top": 25, "streak_threshold": 0.0}),
    ({"format": "json", "metric": "helicopters"}, {"streak_threshold": 2.5, "milestone_step": 7}),
]


def _options(url: str, **given: object):
    shared: dict[str, object] = {"metric": "personnel", "source": "ua-general-staff", "by": "report",
                                 "format": "table", "include_flagged": False}  # fmt: skip
    filters = Filters(**{k: given.pop(k) for k in FILTERS if k in given})  # type: ignore[arg-type]
    return report_options(**{**shared, **given}, db=url, filters=filters)  # type: ignore[arg-type]


def _both(opts, **own: object) -> tuple[str, str]:
    """(the pandas analysis' output, the rows' output) for the same options."""
    settings: dict[str, object] = {"top": 10, "streak_threshold": None, "milestone_step": None, **own}
    pandas_text = records_output(opts, load_daily(opts), **settings)  # type: ignore[arg-type]
    rows_text = records_rows_output(opts, load_daily_rows(opts), **settings)  # type: ignore[arg-type]
    return pandas_text, rows_text


@pytest.mark.parametrize(("shared", "own"), CASES, ids=[f"{s}-{o}" for s, o in CASES])
def test_records_on_rows_prints_exactly_what_the_pandas_analysis_prints(full_store_url, shared, own):
    pandas_text, rows_text = _both(_options(full_store_url, **shared), **own)

    assert rows_text == pandas_text


def test_the_command_prints_the_pandas_analysis_output_in_every_format(full_store_url, capsys, monkeypatch):
    monkeypatch.setenv("TRACKER_REPORT_CACHE", "0")
    for fmt in ("table", "json", "csv"):
        expected = records_output(
            _options(full_store_url, format=fmt, by="covered"), load_daily(_options(full_store_url, by="covered")),
            top=10, streak_threshold=None, milestone_step=None, urls=report_urls(_options(full_store_url)),
        )  # fmt: skip
        code, out, err = run_tracker(capsys, "records", "--db", full_store_url, "--by", "covered", "--format", fmt)

        assert (code, err) == (0, "")
        assert out == expected.rstrip("\n") + "\n"


def test_the_default_streak_threshold_is_numpys_quantile_for_every_window(full_store_url):
    from tracker.analysis import default_streak_threshold

    for since, until in [("2022-02-24", "2022-03-31"), ("2023-01-01", "2023-03-31"), ("2024-05-01", "2024-05-20"),
                         ("2025-01-01", "2025-12-31"), (None, None)]:  # fmt: skip
        for metric in ("personnel", "tanks", "uav", "artillery"):
            opts = _options(full_store_url, since=since, until=until, metric=metric)
            frame = load_daily(opts)
            expected = default_streak_threshold(frame)

            assert default_threshold(split_rows(load_daily_rows(opts), False)[0]) == expected


def test_the_default_threshold_of_the_full_personnel_series_is_1300(full_store_url):
    counted, _ = split_rows(load_daily_rows(_options(full_store_url)), False)

    assert default_threshold(counted) == 1300


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"side": "ukraine"}, "no reports of personnel (Ukraine's losses) from ua-general-staff in the store"),
        (
            {"since": "2030-01-01"},
            "no personnel figures dated between 2030-01-01 and the end (by report); the series runs 2022-02-25 to",
        ),
        ({"as_of": "2022-02-20"}, "no reports of personnel from ua-general-staff in the store up to 2022-02-20"),
    ],
)
def test_the_rows_path_refuses_what_the_pandas_path_refuses_in_the_same_words(full_store_url, given, message):
    opts = _options(full_store_url, **given)
    with pytest.raises(InvalidInput) as pandas_error:
        load_daily(opts)
    with pytest.raises(InvalidInput) as rows_error:
        load_daily_rows(opts)

    assert str(rows_error.value) == str(pandas_error.value)
    assert str(rows_error.value).startswith(message)


def test_an_unknown_table_is_refused_in_the_same_words(full_store_url):
    opts = _options(full_store_url)
    with pytest.raises(ValueError) as pandas_error:
        _both(opts, table="bogus")
    with pytest.raises(ValueError) as rows_error:
        records_rows_output(opts, load_daily_rows(opts), top=10, streak_threshold=None, milestone_step=None,
                            table="bogus")  # fmt: skip

    assert str(rows_error.value) == str(pandas_error.value)
    assert str(rows_error.value).startswith("--table 'bogus': use one of deadliest_day, record_progression")


def test_rows_of_a_series_dated_by_documentation_are_refused_daily_records(full_store_url):
    documented = DailyRows([], {"dates_by": "documented", "source": "oryx"})

    with pytest.raises(InvalidInput) as refused:
        records_rows_output(_options(full_store_url), documented, top=10, streak_threshold=None, milestone_step=None)

    assert str(refused.value).startswith("Oryx's dates are when a loss was documented, not when it happened: daily")


def test_a_table_gives_its_rows_as_records_only():
    rows = Table(["a", "b"], [{"a": 1, "b": None, "c": 3}])

    assert rows.to_dict("records") == [{"a": 1, "b": None}]
    with pytest.raises(ValueError, match="records only"):
        rows.to_dict("list")


def test_a_computed_records_process_imports_neither_pandas_nor_numpy_nor_sqlalchemy(full_store_url, tmp_path):
    probe = (
        "import sys\n"
        "sys.argv = ['tracker', 'records', '--db', sys.argv[1]]\n"
        "from tracker.cli import main\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    code = exc.code\n"
        "heavy = sorted(m for m in ('pandas', 'numpy', 'sqlalchemy', 'dateutil') if m in sys.modules)\n"
        "print('HEAVY', heavy, 'EXIT', code, file=sys.stderr)\n"
    )
    env = {**os.environ, "TRACKER_REPORT_CACHE": "0", "XDG_CACHE_HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", probe, full_store_url], capture_output=True, text=True, timeout=120, env=env
    )

    assert "HEAVY [] EXIT 0" in done.stderr, done.stderr[-500:]
    assert done.stdout.startswith("Records: Personnel (killed and wounded) (personnel), source ua-general-staff\n")


def test_records_on_postgresql_prints_what_the_pandas_analysis_prints(pg_url, latest_dir):
    from tracker.ingest.feeds.dataset import DatasetFeed
    from tracker.ingest.run import run_ingest

    report = run_ingest(pg_url, DatasetFeed(), location=str(latest_dir))
    assert report.status in ("ok", "ok_with_findings"), report.error
    for shared, own in [({}, {}), ({"format": "json", "by": "covered"}, {"explain": True}),
                        ({"as_of": "2023-06-01", "metric": "tanks", "format": "csv"}, {})]:  # fmt: skip
        pandas_text, rows_text = _both(_options(pg_url, **shared), **own)

        assert rows_text == pandas_text
