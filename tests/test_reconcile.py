"""Reconciling the feeds (transcriptions) of one source: the pure arbiter on hand-made series,
`tracker reconcile` on constructed feeds on both backends, the feed a report reads and whether
the others agree, `disputed` figures in series/records/headline, and the daily digest's line."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest

from tests.clirun import run_tracker
from tracker.analysis.reconcile import reconcile, stated_increase

START = dt.date(2024, 10, 1)
DAYS = 30


def day(i: int) -> dt.date:
    return START + dt.timedelta(days=i)


def true_series() -> list[int]:
    """A cumulative total growing by 1,000, 1,010 or 1,020 a day."""
    out = [650_000]
    for i in range(1, DAYS):
        out.append(out[-1] + 1000 + 10 * (i % 3))
    return out


def transposed(value: int) -> int:
    """The value with its second and third digits swapped (they differ in every value used)."""
    s = str(value)
    assert s[1] != s[2]
    return int(s[0] + s[2] + s[1] + s[3:])


def constructed() -> tuple[list[int], list[int]]:
    """(the dataset's totals, the copy's), with one error of each kind:
    day 5 copy stale; day 9 dataset stale; day 12 copy transposed; day 15 copy shifted (tomorrow's
    figure); day 20 copy decreasing; days 24 and 27 copy off by a few (undecided by neighbours)."""
    truth = true_series()
    a, b = list(truth), list(truth)
    b[5] = b[4]
    a[9] = a[8]
    b[12] = transposed(truth[12])
    b[15] = truth[16]
    b[20] = truth[19] - 500
    b[24] = truth[24] + 3
    b[27] = truth[27] + 4
    return a, b


# The official page of day 24 states the day's increase (as mod.gov.ua addresses spell it).
def page_of_day_24() -> str:
    truth = true_series()
    n = truth[24] - truth[23]
    return (
        f"https://mod.gov.ua/news/zagalni-bojovi-vtrati-rosiyan-za-dobu-{n // 1000}-{n % 1000:03d}-okupantiv-500-bpla"
    )


EXPECTED = {  # day -> (class, verdict) without the page of day 24
    5: ("stale_copy", "ua-dataset"),
    9: ("stale_copy", "csv"),
    12: ("transposed", "ua-dataset"),
    15: ("shifted", "ua-dataset"),
    20: ("decrease", "ua-dataset"),
    24: ("other", "undecided"),
    27: ("other", "undecided"),
}


# --- the pure analysis ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "url,expected",
    [
        ("https://mod.gov.ua/news/zagalni-bojovi-vtrati-rosiyan-za-dobu-1-770-okupantiv-41-bpla", 1770),
        (
            "https://mod.gov.ua/news/zagalni-bojovi-vtrati-rosiyan-za-dobu-990-okupantiv-1-074-bpla-ta-74-artsistemi",
            990,
        ),
        ("https://mod.gov.ua/news/zagalni-bojovi-vtrati-rosiyan-za-dobu-1160-osib-7-rszv-ta-14-tankiv", 1160),
        ("https://mod.gov.ua/news/zagalni-bojovi-vtrati-rosiyan-za-dobu-1-270-osib-28-bpla-ta-37-artsistem-1", 1270),
        (
            "https://www.mil.gov.ua/news/2023/01/13/za-dobu-sili-oboroni-znishhili-740-okupantiv-i-litak-zagalni/",
            740,
        ),
        ("HTTPS://MOD.GOV.UA/news/ZA-DOBU-2-030-OKUPANTIV?utm=1#x", 2030),
        # approximate figures ("ponad": more than, "blizko": about) state no exact increase
        (
            "https://www.mil.gov.ua/news/2022/11/07/za-dobu-sili-oboroni-znishhili-ponad-500-rosijskih-zagarbnikiv/",
            None,
        ),
        ("https://www.mil.gov.ua/news/2022/11/05/za-dobu-sili-oboroni-znishhili-blizko-600-rosijskih-okupantiv/", None),
        ("https://mod.gov.ua/news/bojovi-vtrati-voroga-na-22-serpnya-2026-roku", None),
        ("https://mod.gov.ua/news/za-dobu-500-bpla-ta-20-artsistem", None),  # no personnel word
        ("", None),
        (None, None),
        ("not a url at all", None),
        ("http://[::1", None),  # an address urllib cannot split
    ],
)
def test_stated_increase_reads_the_personnel_figure_from_the_address_only(url, expected):
    assert stated_increase(url) == expected


def by_day(values: list[int]) -> dict[dt.date, int]:
    return {day(i): v for i, v in enumerate(values)}


def test_each_class_and_verdict_on_hand_made_series():
    a, b = constructed()
    found = reconcile({"personnel": {"ua-dataset": by_day(a), "csv": by_day(b)}})
    got = {(d.report_date - START).days: (d.cls, d.verdict) for d in found.disagreements}
    assert got == EXPECTED
    assert found.summary == [{"metric": "personnel", "feeds": 2, "agree": DAYS - 7, "disagree": 7, "one_sided": 0}]
    nine = next(d for d in found.disagreements if d.report_date == day(9))
    assert nine.values == {"csv": a[8] + 1000 + 10 * (9 % 3), "ua-dataset": a[8]} and nine.backed == ("csv",)
    assert nine.classes == {"csv": "", "ua-dataset": "stale_copy"}
    # disputed: the default feed's figure of day 9, and every undecided day, but not day 5
    assert set(found.disputed("ua-dataset", "personnel")) == {day(9), day(24), day(27)}
    assert set(found.disputed("csv", "personnel")) == {day(i) for i in (5, 12, 15, 20, 24, 27)}


def test_the_stated_increase_decides_what_the_neighbours_cannot():
    a, b = constructed()
    found = reconcile({"personnel": {"ua-dataset": by_day(a), "csv": by_day(b)}}, pages={day(24): page_of_day_24()})
    d24 = next(d for d in found.disagreements if d.report_date == day(24))
    assert (d24.verdict, d24.stated_increase, d24.cls) == ("ua-dataset", a[24] - a[23], "other")
    assert "official page states an increase" in d24.arbiter
    # the page of the next report confirms the value before it too (n - c)
    n = a[25] - a[24]
    page = f"https://mod.gov.ua/news/za-dobu-{n // 1000}-{n % 1000:03d}-okupantiv"
    d24 = next(d for d in reconcile({"personnel": {"ua-dataset": by_day(a), "csv": by_day(b)}},
                                    pages={day(25): page}).disagreements if d.report_date == day(24))  # fmt: skip
    assert d24.verdict == "ua-dataset" and "next report's official page" in d24.arbiter
    # only personnel has a stated increase: the same page decides nothing for tanks
    tanks = reconcile({"tanks": {"ua-dataset": by_day(a), "csv": by_day(b)}}, pages={day(24): page_of_day_24()})
    assert next(d for d in tanks.disagreements if d.report_date == day(24)).verdict == "undecided"


def test_one_sided_dates_are_counted_and_say_whether_they_are_gaps():
    a, b = true_series(), true_series()
    a_days = by_day(a)
    b_days = {d: v for d, v in by_day(b).items() if d not in (day(10), day(29))}
    found = reconcile({"tanks": {"x": a_days, "y": b_days, "z": {}}}, since=day(1))
    assert found.summary == [{"metric": "tanks", "feeds": 2, "agree": DAYS - 3, "disagree": 0, "one_sided": 2}]
    assert [(o.report_date, o.has, o.lacks, o.within) for o in found.one_sided] == [
        (day(10), ("x",), ("y",), True),
        (day(29), ("x",), ("y",), False),
    ]


def test_three_feeds_name_every_feed_that_agrees_with_the_backed_value():
    a, b = constructed()
    found = reconcile({"personnel": {"ua-dataset": by_day(a), "csv": by_day(b), "api": by_day(true_series())}})
    d5 = next(d for d in found.disagreements if d.report_date == day(5))
    assert d5.verdict == "api, ua-dataset" and d5.cls == "stale_copy"
    d9 = next(d for d in found.disagreements if d.report_date == day(9))
    assert d9.verdict == "api, csv" and d9.classes["ua-dataset"] == "stale_copy"


# --- on a store -----------------------------------------------------------------------------


def write_feeds(folder: Path) -> tuple[Path, Path]:
    """The dataset's personnel file and the copy as a CSV of the same source."""
    a, b = constructed()
    data = folder / "dataset"
    data.mkdir()
    rows = [{"date": day(i).isoformat(), "day": 950 + i, "personnel": v} for i, v in enumerate(a)]
    (data / "russia_losses_personnel.json").write_text(json.dumps(rows), encoding="utf-8")
    copy = folder / "copy.csv"
    copy.write_text(
        "report_date,metric,value\n" + "".join(f"{day(i)},personnel,{v}\n" for i, v in enumerate(b)), encoding="utf-8"
    )
    return data, copy


def add_page(url: str, feed: str, report_date: dt.date, page: str) -> None:
    """Store an official page's address as the feed's note of a report (as the orc-losses feed will)."""
    from sqlalchemy import insert, select

    from tracker.store import models as m
    from tracker.store.db import open_store

    engine = open_store(url, write=True)
    try:
        with engine.begin() as conn:
            feed_row = conn.execute(select(m.feed.c.id, m.feed.c.source_id).where(m.feed.c.name == feed)).one()
            run = conn.execute(select(m.ingest_run.c.id).where(m.ingest_run.c.feed_id == feed_row.id)).scalars().first()
            now = dt.datetime.now(dt.UTC)
            conn.execute(
                insert(m.report_note),
                [
                    {
                        "source_id": feed_row.source_id,
                        "feed_id": feed_row.id,
                        "key": "source_url",
                        "report_date": report_date,
                        "text": page,
                        "revision": 1,
                        "removed": False,
                        "first_seen_at": now,
                        "last_seen_at": now,
                        "run_id": run,
                        "last_seen_run_id": run,
                    }
                ],
            )
    finally:
        engine.dispose()


@pytest.fixture
def two_feeds(store_url, tmp_path, capsys, monkeypatch) -> str:
    """A store holding the constructed dataset (ua-dataset) and its copy (csv) of one source, on each backend."""
    return ingest_two_feeds(store_url, tmp_path, capsys, monkeypatch)


@pytest.fixture
def two_feeds_sqlite(sqlite_url, tmp_path, capsys, monkeypatch) -> str:
    """The same on SQLite alone (the reading code is the same SQL on both)."""
    return ingest_two_feeds(sqlite_url, tmp_path, capsys, monkeypatch)


def ingest_two_feeds(store_url: str, tmp_path: Path, capsys, monkeypatch) -> str:
    monkeypatch.setenv("TRACKER_REPORT_CACHE", "0")
    monkeypatch.delenv("TRACKER_FEED", raising=False)
    data, copy = write_feeds(tmp_path)
    code, _, err = run_tracker(capsys, "ingest", "dataset", "--from", str(data), "--db", store_url, "--quiet")
    assert code in (0, 3), err
    args = ("ingest", "csv", "--from", str(copy), "--source", "ua-general-staff", "--db", store_url, "--quiet")
    code, _, err = run_tracker(capsys, *args)
    assert code in (0, 3), err
    return store_url


def test_reconcile_lists_every_disagreement_in_table_json_and_csv(two_feeds, capsys):
    code, out, err = run_tracker(capsys, "reconcile", "--db", two_feeds)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "Reconcile: the feeds of ua-general-staff (csv, ua-dataset)"
    assert lines[1] == "personnel: 23 agree, 7 disagree, 0 one-sided (of 2 feeds)"
    a, b = constructed()
    assert f"{day(9)}   personnel  {b[9]:,}     {a[9]:,}  stale_copy  csv" in out

    code, out, err = run_tracker(capsys, "reconcile", "--format", "json", "--db", two_feeds)
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert data["feeds"] == ["csv", "ua-dataset"]
    got = {
        (dt.date.fromisoformat(d["report_date"]) - START).days: (d["class"], d["verdict"])
        for d in data["disagreements"]
    }
    assert got == EXPECTED
    assert data["disagreements"][0]["values"] == {"csv": b[5], "ua-dataset": a[5]}

    code, out, err = run_tracker(capsys, "reconcile", "-f", "csv", "-m", "personnel", "--since", str(day(10)),
                                 "--db", two_feeds)  # fmt: skip
    assert (code, err) == (0, "")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["report_date"], r["csv"], r["ua-dataset"], r["class"]) for r in rows] == [
        (str(day(i)), str(b[i]), str(a[i]), EXPECTED[i][0]) for i in (12, 15, 20, 24, 27)
    ]


def test_reconcile_reads_the_stated_increase_from_a_stored_page(two_feeds_sqlite, capsys):
    add_page(two_feeds_sqlite, "csv", day(24), page_of_day_24())
    code, out, err = run_tracker(capsys, "reconcile", "--format", "json", "--db", two_feeds_sqlite)
    assert (code, err) == (0, "")
    d24 = next(d for d in json.loads(out)["disagreements"] if d["report_date"] == str(day(24)))
    a, _ = constructed()
    assert (d24["verdict"], d24["stated_increase"], d24["source_url"]) == (
        "ua-dataset",
        a[24] - a[23],
        page_of_day_24(),
    )


def test_reconcile_as_of_a_day_compares_what_was_known_then(two_feeds_sqlite, capsys):
    code, out, err = run_tracker(capsys, "reconcile", "--as-of", str(day(10)), "-f", "json", "--db", two_feeds_sqlite)
    assert (code, err) == (0, "")
    assert [d["report_date"] for d in json.loads(out)["disagreements"]] == [str(day(5)), str(day(9))]


@pytest.mark.parametrize(
    "args,message",
    [
        (("--source", "nobody"), "error: no data for source 'nobody' in the store; sources: ua-general-staff"),
        (("--metric", "bananas"), "error: unknown metric 'bananas'"),
        (("--since", "2024-10-20", "--until", "2024-10-01"), "error: --since 2024-10-20 is after --until 2024-10-01"),
        (("--since", "2024-13-01"), "error: --since"),
        (("--as-of", "2999-01-01"), "error: --as-of 2999-01-01 is in the future"),
    ],
)
def test_reconcile_bad_options_end_in_one_line_with_exit_2(two_feeds_sqlite, capsys, args, message):
    code, out, err = run_tracker(capsys, "reconcile", *args, "--db", two_feeds_sqlite)
    assert (code, out) == (2, "")
    assert err.startswith(message) and err.count("\n") == 1


def test_reconcile_without_a_store_is_exit_6_and_creates_nothing(tmp_path, capsys):
    path = tmp_path / "none.db"
    code, out, err = run_tracker(capsys, "reconcile", "--db", str(path))
    assert (code, out) == (6, "") and err.startswith("error: no tracker store at") and not path.exists()


def test_reconcile_all_lists_the_one_sided_dates(two_feeds_sqlite, tmp_path, capsys):
    code, out, err = run_tracker(capsys, "reconcile", "--all", "--db", two_feeds_sqlite)
    assert (code, err) == (0, "") and "One-sided dates: 0" in out
    # a day only the dataset has (inside the copy's span once the copy has a later one), and that later one
    truth = true_series()
    rows = [{"date": day(i).isoformat(), "day": 950 + i, "personnel": v} for i, v in enumerate(constructed()[0])]
    rows.append({"date": day(30).isoformat(), "day": 980, "personnel": truth[-1] + 1000})
    more = tmp_path / "more"
    more.mkdir()
    (more / "russia_losses_personnel.json").write_text(json.dumps(rows), encoding="utf-8")
    later = tmp_path / "later.csv"
    later.write_text(f"report_date,metric,value\n{day(31)},personnel,{truth[-1] + 2000}\n", encoding="utf-8")
    for args in (("dataset", "--from", str(more)), ("csv", "--from", str(later), "--source", "ua-general-staff")):
        code, _, err = run_tracker(capsys, "ingest", *args, "--db", two_feeds_sqlite, "--quiet")
        assert code in (0, 3), err
    code, out, err = run_tracker(capsys, "reconcile", "--all", "-f", "csv", "--db", two_feeds_sqlite)
    assert (code, err) == (0, "")
    assert list(csv.DictReader(io.StringIO(out))) == [
        {"report_date": str(day(30)), "metric": "personnel", "has": "ua-dataset", "lacks": "csv", "within": "true"},
        {"report_date": str(day(31)), "metric": "personnel", "has": "csv", "lacks": "ua-dataset", "within": "false"},
    ]
    code, out, err = run_tracker(capsys, "reconcile", "--db", two_feeds_sqlite)
    assert "2 one-sided dates (a feed has the report, another lacks it): --all lists them." in out


# --- reports: the feed read, whether the others agree, disputed figures -------------------


def test_reports_state_the_feed_they_read_and_whether_the_others_agree(two_feeds_sqlite, capsys, monkeypatch):
    def json_of(*args: str) -> dict:
        code, out, err = run_tracker(capsys, *args, "--format", "json", "--db", two_feeds_sqlite)
        assert (code, err) == (0, ""), err
        return json.loads(out)

    agreeing = ("--since", str(day(1)), "--until", str(day(4)))
    for command in ("series", "averages", "records", "headline"):
        data = json_of(command, *agreeing)
        assert (data["feed"], data["feeds"], data["feeds_agree"]) == ("ua-dataset", ["csv", "ua-dataset"], True)
        assert json_of(command)["feeds_agree"] is False
    assert json_of("series", "--feed", "csv", *agreeing)["feed"] == "csv"
    monkeypatch.setenv("TRACKER_FEED", "csv")
    assert json_of("series", *agreeing)["feed"] == "csv"
    monkeypatch.setenv("TRACKER_FEED", "no-such-feed")  # a setting for another source's feed
    assert json_of("series", *agreeing)["feed"] == "ua-dataset"
    code, _, err = run_tracker(capsys, "ingest", "claims", "--db", two_feeds_sqlite, "--quiet")
    assert code in (0, 3), err
    rows = json_of("compare")
    assert len(rows) > 10 and {(row["feed"], row["feeds_agree"]) for row in rows} == {("ua-dataset", False)}
    code, out, err = run_tracker(capsys, "series", "--feed", "no-such-feed", "--db", two_feeds_sqlite)
    assert (code, out) == (2, "")
    assert err == "error: source 'ua-general-staff' has no feed 'no-such-feed'; it has ua-dataset, csv\n"


def test_a_source_with_one_feed_says_feeds_agree_null(full_store_url, capsys, monkeypatch):
    monkeypatch.setenv("TRACKER_REPORT_CACHE", "0")
    code, out, err = run_tracker(capsys, "headline", "--as-of", "2024-11-11", "-f", "json", "--db", full_store_url)
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert (data["feed"], data["feeds"], data["feeds_agree"], data["disputed"]) == (
        "ua-dataset",
        ["ua-dataset"],
        None,
        False,
    )
    assert data["numbers"]["increment"] == 1770


def test_series_marks_a_disputed_figure_with_the_other_feeds_values(two_feeds_sqlite, capsys):
    a, b = constructed()
    code, out, err = run_tracker(
        capsys, "series", "--since", str(day(8)), "--until", str(day(10)), "--db", two_feeds_sqlite
    )
    assert (code, err) == (0, "")
    assert f"{day(9)}  {a[9]:,}          0          1  disputed †" in out
    assert "† disputed: the source's other feeds give another total" in out
    code, out, err = run_tracker(capsys, "series", "--since", str(day(8)), "--until", str(day(10)), "-f", "json",
                                 "--db", two_feeds_sqlite)  # fmt: skip
    rows = json.loads(out)["rows"]
    assert [(r["disputed"], r["others"]) for r in rows] == [(False, None), (True, {"csv": b[9]}), (False, None)]
    assert "disputed" in rows[2]["flags"].split(";") and "rests on the disputed total" in rows[2]["flag_reasons"]


def test_records_leave_a_disputed_day_out_unless_include_flagged(two_feeds, capsys):
    a, _ = constructed()
    code, out, err = run_tracker(capsys, "records", "--format", "json", "--db", two_feeds)
    assert (code, err) == (0, "")
    data = json.loads(out)
    excluded = {r["date"]: r for r in data["excluded"]}
    assert "disputed" in excluded[str(day(9))]["flags"] and "disputed" in excluded[str(day(10))]["flags"]
    assert [d["report_date"] for d in data["disputed"]] == [str(day(9)), str(day(24)), str(day(27))]
    assert data["deadliest_day"]["date"] != str(day(10))
    code, out, err = run_tracker(capsys, "records", "--db", two_feeds)
    assert "3 disputed reports in view" in out and "--include-flagged counts them" in out
    code, out, err = run_tracker(capsys, "records", "--include-flagged", "--format", "json", "--db", two_feeds)
    data = json.loads(out)
    # the day after the stale copy carries two days' losses: with every day counted it is the record
    assert (data["deadliest_day"]["date"], data["deadliest_day"]["increment"]) == (str(day(10)), a[10] - a[8])


def test_headline_says_its_figure_is_disputed(two_feeds_sqlite, capsys):
    a, b = constructed()
    args = ("headline", "--as-of", str(day(9)), "-f", "json", "--db", two_feeds_sqlite)
    code, out, err = run_tracker(capsys, *args)
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert (data["disputed"], data["others"]) == (True, {"csv": b[9]})
    assert data["sentences"][-1].startswith(
        f"Disputed: the source's other feeds give another total for this report (csv {b[9]:,})"
    )


def test_daily_names_a_new_disagreement_in_its_digest(tmp_path, capsys, monkeypatch):
    from tracker.api.daily_job import DailySettings, run_daily, run_daily_job

    monkeypatch.setenv("TRACKER_REPORT_CACHE", "0")
    url = f"sqlite:///{tmp_path / 'store.db'}"
    data, copy = write_feeds(tmp_path)
    a, b = constructed()
    # yesterday: the dataset up to day 25 (its disagreements are known), the copy whole
    rows = json.loads((data / "russia_losses_personnel.json").read_text(encoding="utf-8"))
    early = tmp_path / "early"
    early.mkdir()
    (early / "russia_losses_personnel.json").write_text(json.dumps(rows[:26]), encoding="utf-8")
    for args in (("dataset", "--from", str(early)), ("csv", "--from", str(copy), "--source", "ua-general-staff")):
        code, _, err = run_tracker(capsys, "ingest", *args, "--db", url, "--quiet")
        assert code in (0, 3), err
    outcome = run_daily_job(url, DailySettings(dataset_from=str(data), claims_from=None))
    named = [s.line for s in outcome.lines if s.step == "reconcile"]
    assert named == [
        f"reconcile: new disagreement, ua-general-staff personnel {day(27)}: csv {b[27]:,}, ua-dataset {a[27]:,} "
        "(other; verdict: undecided)"
    ]
    # the same line is news (--quiet-unless-news prints it, --notify posts it with its fields)
    [news] = [n for n in outcome.news if n.kind == "disagreement"]
    assert news.line == named[0]
    assert news.fields == {
        "source": "ua-general-staff", "metric": "personnel", "report_date": day(27),
        "values": {"csv": b[27], "ua-dataset": a[27]}, "class": "other", "verdict": "undecided",
    }  # fmt: skip
    again = run_daily(url, DailySettings(dataset_from=str(data), claims_from=None))
    assert [s.line for s in again if s.step == "reconcile"] == []
