"""Charts: what each one draws for the shared dataset and the curated claims, the source line,
pixel sizes, identical bytes on two runs, and one-line errors.

Drawn objects are found by their gid (see tracker/charts): "records", "record-label",
"claims:<source>", "milestones", "source-line", ...
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.clirun import run_tracker

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.figure import Figure

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample" / "ua-general-staff-personnel.csv"
EPOCH = "1704153600"  # 2024-01-02T00:00:00Z
GENERATED = "2024-01-02"


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def claims_store_url(full_store_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A copy of the full store with the curated claims (data/claims/claims.csv) ingested."""
    from tracker.ingest.feeds.claims import ClaimsFeed
    from tracker.ingest.run import run_ingest

    src = full_store_url.removeprefix("sqlite:///")
    dst = tmp_path_factory.mktemp("claims") / "claims.db"
    with sqlite3.connect(src) as a, sqlite3.connect(dst) as b:
        a.backup(b)  # a consistent copy, WAL included
    url = f"sqlite:///{dst}"
    report = run_ingest(url, ClaimsFeed())
    assert report.status in ("ok", "ok_with_findings"), report.error
    return url


@pytest.fixture(scope="session")
def sample_store_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The bundled sample, as `make demo` ingests it."""
    from tracker.ingest.feeds.csvfeed import CsvFeed
    from tracker.ingest.run import run_ingest

    url = f"sqlite:///{tmp_path_factory.mktemp('sample') / 'sample.db'}"
    report = run_ingest(url, CsvFeed(), location=str(SAMPLE), source="ua-general-staff")
    assert report.status in ("ok", "ok_with_findings"), report.error
    return url


@pytest.fixture(autouse=True)
def _fixed_generated_date(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)


def figure(url: str, kind: str, **request: object) -> Figure:
    from tracker.charts.build import ChartRequest, Loader, draw

    loader = Loader(url, ChartRequest(**request))
    try:
        return draw(kind, loader, dt.date(2024, 1, 2))
    finally:
        loader.close()


def by_gid(fig: Figure, gid: str) -> list:
    return fig.findobj(lambda a: a.get_gid() == gid)


def one(fig: Figure, gid: str) -> Artist:
    found = by_gid(fig, gid)
    assert len(found) == 1, f"{gid}: {len(found)} artists"
    return found[0]


def points(collection: Artist) -> list[tuple[dt.date, float]]:
    """A scatter's points as (date, value)."""
    import pandas as pd

    return [(pd.Timestamp(x, unit="D").date(), float(y)) for x, y in collection.get_offsets()]


def text_of(fig: Figure, gid: str) -> str:
    return one(fig, gid).get_text()


def boxes_overlap(artists: list) -> list[tuple[str, str]]:
    """Pairs of labels whose text boxes (leader lines aside) overlap once drawn."""
    from matplotlib.text import Text

    fig = artists[0].figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    boxes = [(a.get_text(), Text.get_window_extent(a, renderer)) for a in artists]
    return [(ta, tb) for i, (ta, a) in enumerate(boxes) for tb, b in boxes[i + 1 :] if a.overlaps(b)]


# --- daily --------------------------------------------------------------------------------------


def test_daily_as_of_2024_11_11_marks_that_day_as_a_record(full_store_url: str) -> None:
    fig = figure(full_store_url, "daily", as_of=dt.date(2024, 11, 11))
    records = points(one(fig, "records"))
    assert (dt.date(2024, 11, 11), 1770.0) in records
    assert (dt.date(2024, 5, 13), 1740.0) in records
    assert all(day != dt.date(2022, 3, 3) for day, _ in records)  # the +3,160 re-estimate is flagged
    assert [v for _, v in records] == sorted(v for _, v in records)  # a progression only rises
    labels = [a.get_text() for a in by_gid(fig, "record-label")]  # the latest four, in date order
    assert labels == ["1,140\n11 Feb 2023", "1,380\n20 Oct 2023", "1,740\n13 May 2024", "1,770\n11 Nov 2024"]
    title = text_of(fig, "title").replace("\n", " ")
    assert "reported 1,770 Russian personnel killed or wounded on 11 Nov 2024, a new one-day record" in title


def test_daily_draws_flagged_days_distinctly_and_names_them(full_store_url: str) -> None:
    import numpy as np

    fig = figure(full_store_url, "daily")
    flagged = one(fig, "bars-flagged")
    tops = [seg[1][1] for seg in flagged.get_segments()]
    top = flagged.axes.get_ylim()[1]
    assert top < 2800 and tops.count(top) == 2  # drawn, clipped at the top: not setting the scale
    assert text_of(fig, "clipped-label") == "2,800, 3,160 (off the scale)"
    counted = one(fig, "bars")
    assert not np.array_equal(flagged.get_colors()[0], counted.get_colors()[0])
    note = text_of(fig, "note").replace("\n", " ")
    assert "flagged days" in note and "3,160 in the report of 3 Mar 2022" in note and "coarse" in note
    assert "left out of records" in note


def test_daily_latest_records_are_labelled_without_overlap(full_store_url: str) -> None:
    fig = figure(full_store_url, "daily")
    labels = by_gid(fig, "record-label")
    # in the anchors' order, leaders bent so that they never cross (see test_chart_layout)
    assert [a.get_text().split("\n")[0] for a in labels] == ["1,770", "1,950", "2,030", "2,200"]
    assert boxes_overlap(labels) == []  # four records within six weeks, still readable
    assert (dt.date(2024, 12, 20), 2200.0) in points(one(fig, "records"))
    title = text_of(fig, "title")
    assert "the record is 2,200 (20 Dec 2024)" in title.replace("\n", " ")
    for window in (7, 30):
        assert len(by_gid(fig, f"rolling-{window}")) == 1


def test_daily_source_line_names_source_convention_and_generated_date(full_store_url: str) -> None:
    fig = figure(full_store_url, "daily", by="covered")
    line = text_of(fig, "source-line").replace("\n", " ")
    assert line.startswith("Source: General Staff of the Armed Forces of Ukraine.")
    assert "Date convention: days dated by covered day" in line
    assert f"Generated {GENERATED}" in line
    assert "by the day covered" in text_of(fig, "subtitle").replace("\n", " ")


def test_daily_chart_is_a_pure_function_of_frames(full_store_url: str) -> None:
    from tracker.analysis import daily_series
    from tracker.charts import ChartOptions, daily_chart
    from tracker.store.db import open_store
    from tracker.store.queries import observations_frame

    engine = open_store(full_store_url, write=False)
    obs = observations_frame(engine, metric="tanks")
    engine.dispose()
    fig = daily_chart(
        daily_series(obs, metric="tanks"),
        options=ChartOptions(
            since=dt.date(2024, 1, 1),
            until=dt.date(2024, 6, 30),
            size=(800, 450),
            dpi=100,
            generated=dt.date(2024, 1, 2),
        ),
    )
    assert tuple(int(v) for v in fig.get_size_inches() * fig.dpi) == (800, 450)
    assert "tanks" in text_of(fig, "title")
    assert "tanks a day" == text_of(fig, "unit")


# --- cumulative -----------------------------------------------------------------------------------


def test_cumulative_marks_milestones_and_overlays_claims_by_source(claims_store_url: str) -> None:
    fig = figure(claims_store_url, "cumulative")
    marks = points(one(fig, "milestones"))
    assert marks[0] == (dt.date(2022, 12, 22), 100400.0)
    assert (dt.date(2025, 6, 12), 1000340.0) in marks
    assert len(marks) == 14
    ukdi = points(one(fig, "claims:uk-defence-intelligence"))
    assert (dt.date(2024, 10, 7), 648000.0) in ukdi
    us_dod = points(one(fig, "claims:us-dod"))
    assert {v for _, v in us_dod} == {75000.0, 600000.0}  # 70,000–80,000 drawn at its middle...
    ranges = by_gid(fig, "claim-range:us-dod")
    assert [tuple(seg[:, 1]) for r in ranges for seg in r.get_segments()] == [(70000.0, 80000.0)]  # ...with its range
    # killed-only and wounded-only counts are not set against a killed-or-wounded series
    drawn = {v for a in fig.findobj(lambda a: str(a.get_gid()).startswith("claims:")) for _, v in points(a)}
    assert 120000.0 not in drawn and 250000.0 not in drawn and 175000.0 not in drawn
    assert "killed only (4)" in text_of(fig, "note")
    legend = [t.get_text() for t in one(fig, "legend").get_texts()]
    assert "UK Defence Intelligence" in legend and "US Department of Defense" in legend
    line = text_of(fig, "source-line").replace("\n", " ")
    assert line.startswith("Source: General Staff of the Armed Forces of Ukraine; US Department of Defense;")
    assert "UK Defence Intelligence" in line and f"Generated {GENERATED}" in line


def test_cumulative_as_of_leaves_out_claims_published_later(claims_store_url: str) -> None:
    fig = figure(claims_store_url, "cumulative", as_of=dt.date(2024, 11, 11))
    assert by_gid(fig, "claims:csis") == []
    assert "Strategic" not in text_of(fig, "source-line")
    assert "710,660 on 11 Nov 2024" in text_of(fig, "title").replace("\n", " ")


def test_cumulative_without_claims_says_so(full_store_url: str) -> None:
    fig = figure(full_store_url, "cumulative")
    assert "tracker ingest claims" in " ".join(a.get_text() for a in by_gid(fig, "note"))


# --- monthly --------------------------------------------------------------------------------------


def test_monthly_bars_with_uk_averages_and_the_convention(claims_store_url: str) -> None:
    fig = figure(claims_store_url, "monthly", by="covered")
    bars = by_gid(fig, "months") + by_gid(fig, "months-partial")
    assert len(bars) == 55  # Feb 2022 .. Aug 2026 (covered days)
    assert len(by_gid(fig, "months-partial")) == 2  # Feb 2022 and Aug 2026
    ukdi = points(one(fig, "claims:uk-defence-intelligence"))
    assert (dt.date(2024, 9, 15), 1271.0) in ukdi
    assert len(ukdi) == 10  # 11 monthly averages, May 2024 stated twice: drawn once
    cds = points(one(fig, "claims:uk-chief-of-defence-staff"))
    assert [v for _, v in cds] == [1500.0]
    subtitle = text_of(fig, "subtitle").replace("\n", " ")
    assert "of covered days" in subtitle and "UK Defence Intelligence's" in subtitle
    # the September 2024 bar, by covered day, is UK Defence Intelligence's 1,271 to the unit
    sep = [b for b in bars if abs(b.get_x() + b.get_width() / 2 - _num(dt.date(2024, 9, 16))) < 2]
    assert len(sep) == 1 and round(sep[0].get_height()) == 1271
    periods = [a.get_text() for a in by_gid(fig, "claim-period-label")]
    assert "693 (2023)" in periods


def test_monthly_by_report_states_it(claims_store_url: str) -> None:
    fig = figure(claims_store_url, "monthly")
    assert "of report dates" in text_of(fig, "subtitle")
    assert "report date" in text_of(fig, "source-line")


def _num(day: dt.date) -> float:
    return (dt.datetime.combine(day, dt.time()) - dt.datetime(1970, 1, 1)).days * 1.0


# --- compare --------------------------------------------------------------------------------------


def test_compare_draws_each_comparable_claim_as_a_ratio_on_a_log_scale(claims_store_url: str) -> None:
    fig = figure(claims_store_url, "compare")
    ax = one(fig, "parity").axes
    assert ax.get_yscale() == "log"
    assert list(one(fig, "parity").get_ydata()) == [1.0, 1.0]
    drawn = fig.findobj(lambda a: str(a.get_gid()).startswith("claims:"))
    assert sum(len(a.get_offsets()) for a in drawn) == 45  # 52 claims, 7 count something else
    labels = [a.get_text() for a in by_gid(fig, "claim-label")]
    assert "US Department of Defense, 8 Aug 2022\n70,000–80,000 (total), +77%" in labels
    assert boxes_overlap(by_gid(fig, "claim-label")) == []
    title = text_of(fig, "title").replace("\n", " ")
    assert title.startswith("39 of 45 estimates agree") and "US Department of Defense's for 8 Aug 2022" in title
    legend = [t.get_text() for t in one(fig, "legend").get_texts()]
    assert "UK Defence Intelligence" in legend and "within 5%" in legend


def test_compare_draws_each_claim_by_its_sources_date_convention(claims_store_url: str) -> None:
    fig = figure(claims_store_url, "compare", by="report")  # --by does not judge the claims
    # UK DI's "2,030 on 28 Nov 2024" is a covered day: it agrees exactly (filled); by report date
    # (the report of 28 Nov: 1,220) it would read +66%, drawn hollow and not labelled.
    ukdi = points(one(fig, "claims:uk-defence-intelligence"))
    assert (dt.date(2024, 11, 28), 1.0) in ukdi
    hollow = points(one(fig, "claims-other:uk-defence-intelligence"))
    assert any(d == dt.date(2024, 11, 28) and abs(v - 2030 / 1220) < 1e-9 for d, v in hollow)
    labels = [a.get_text() for a in by_gid(fig, "claim-label")]
    assert not [text for text in labels if "28 Nov 2024" in text]
    # The news report's 1,770 of 11 Nov 2024 is dated by report: it agrees there.
    news = points(one(fig, "claims:news-report"))
    assert (dt.date(2024, 11, 11), 1.0) in news
    subtitle = text_of(fig, "subtitle").replace("\n", " ")
    assert (
        "each by its source's own date convention (UK Defence Intelligence: by the day covered; "
        "the others by report)" in subtitle
    )
    source = text_of(fig, "source-line").replace("\n", " ")
    assert (
        "Date convention: each claim by its source's; UK Defence Intelligence by covered day (the report "
        "of D+1 gives day D), the others by report date." in source
    )


def test_compare_without_claims_is_a_one_line_error(
    full_store_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = run_tracker(capsys, "chart", "compare", "--db", full_store_url, "--out", str(tmp_path / "c.png"))
    assert code == 2 and out == ""
    assert err.strip().splitlines() == [
        "error: no claims of other sources in the store (`tracker ingest claims` loads the curated ones)"
    ]
    assert not (tmp_path / "c.png").exists()


# --- equipment ------------------------------------------------------------------------------------


def test_equipment_small_multiples_share_time_not_scale(full_store_url: str) -> None:
    from tracker.domain import MAIN_EQUIPMENT

    fig = figure(full_store_url, "equipment")
    axes = [one(fig, f"weekly:{m}").axes for m in MAIN_EQUIPMENT]
    assert len(set(id(a) for a in axes)) == len(MAIN_EQUIPMENT) == 8
    assert len({a.get_xlim() for a in axes}) == 1
    assert len({a.get_ylim() for a in axes}) == 8
    assert [text_of(fig, f"panel:{m}") for m in MAIN_EQUIPMENT][:3] == [
        "Tanks",
        "Armoured fighting vehicles",
        "Artillery systems",
    ]
    _, drones = one(fig, "weekly:uav").get_data()
    assert max(drones) > 10_000  # weekly drone losses, on their own scale
    assert text_of(fig, "title").startswith("Russian losses of ")


# --- commands, files, bytes -------------------------------------------------------------------------


def test_chart_writes_png_of_the_requested_size(
    claims_store_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from PIL import Image

    out = tmp_path / "d.png"
    code, stdout, err = run_tracker(
        capsys, "chart", "daily", "--db", claims_store_url, "--out", str(out), "--size", "1200x675", "--dpi", "150"
    )
    assert (code, err) == (0, "")
    assert stdout.strip() == str(out)
    with Image.open(out) as image:
        assert image.size == (1200, 675)
        assert "Software" not in image.info
    code, stdout, _ = run_tracker(
        capsys, "chart", "monthly", "--db", claims_store_url, "--out", str(tmp_path / "m.png")
    )
    with Image.open(tmp_path / "m.png") as image:
        assert code == 0 and image.size == (1600, 900)  # the default


def test_chart_writes_svg_without_dates(
    claims_store_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    paths = []
    for name in ("a.svg", "b.svg"):
        code, _, err = run_tracker(
            capsys, "chart", "cumulative", "--db", claims_store_url, "--out", str(tmp_path / name)
        )
        assert (code, err) == (0, "")
        paths.append(tmp_path / name)
    text = paths[0].read_text()
    assert text.startswith("<?xml") and 'width="576pt" height="324pt"' in text
    assert "<dc:date>" not in text and "Matplotlib" not in text
    assert paths[0].read_bytes() == paths[1].read_bytes()


def test_charts_writes_the_set_with_identical_bytes_twice(
    claims_store_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import os

    code, out, err = run_tracker(capsys, "charts", "--db", claims_store_url, "--out-dir", str(tmp_path / "a"))
    assert code == 0
    assert err.splitlines() == [
        "skipped claimed-vs-confirmed: no Oryx data in the store (`tracker ingest oryx` loads it)"
    ]
    names = [Path(p).name for p in out.split()]
    assert names == [
        "daily-personnel.png",
        "cumulative-personnel.png",
        "monthly-personnel.png",
        "compare-personnel.png",
        "equipment.png",
        "ukraine-claims.png",
    ]
    # The second run in a fresh process (another hash seed, cold caches), through the console script.
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, "PYTHONHASHSEED": "random"}
    proc = subprocess.run(
        [
            str(Path(sys.executable).parent / "tracker"),
            "charts",
            "--db",
            claims_store_url,
            "--out-dir",
            str(tmp_path / "b"),
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_charts_on_the_bundled_sample_skips_what_it_cannot_draw(
    sample_store_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = run_tracker(capsys, "charts", "--db", sample_store_url, "--out-dir", str(tmp_path))
    assert code == 0
    assert [Path(p).name for p in out.split()] == [
        "daily-personnel.png",
        "cumulative-personnel.png",
        "monthly-personnel.png",
    ]
    assert err.splitlines() == [
        "skipped compare: no claims of other sources in the store (`tracker ingest claims` loads the curated ones)",
        "skipped equipment: no equipment categories from ua-general-staff in the store (the equipment chart "
        "draws tanks, afv, artillery, mlrs, air_defense, uav, vehicles_fuel_tanks, aircraft)",
        "skipped claimed-vs-confirmed: no Oryx data in the store (`tracker ingest oryx` loads it)",
        "skipped ukraine-claims: no claims about Ukraine's losses in the store (`tracker ingest claims` loads the "
        "curated ones)",
    ]


def test_sample_daily_chart_says_where_records_begin(sample_store_url: str) -> None:
    fig = figure(sample_store_url, "daily")
    assert "count from 1 Apr 2024, where this series begins" in text_of(fig, "subtitle").replace("\n", " ")
    assert (dt.date(2024, 11, 29), 2030.0) in points(one(fig, "records"))
    marks = points(one(figure(sample_store_url, "cumulative"), "milestones"))
    assert [v for _, v in marks][:1] == [500080.0]  # 400,000 was passed before the sample begins


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["chart", "daily", "--metric", "nonsense"], "error: unknown metric 'nonsense'"),
        (
            ["chart", "daily", "--since", "2024-11-11", "--until", "2024-11-11"],
            "error: too few daily figures of personnel to chart (1 between 2024-11-11 and 2024-11-11; need 2)",
        ),
        (
            ["chart", "monthly", "--since", "2024-11-01", "--until", "2024-11-30"],
            "error: too few months of personnel to chart (1 between 2024-11-01 and 2024-11-30; need 2)",
        ),
        (["chart", "daily", "--out", "x.jpg"], "error: x.jpg: charts are written as .png or .svg, not 'jpg'"),
        (
            ["chart", "daily", "--size", "big"],
            "error: --size: expected WIDTHxHEIGHT in pixels, e.g. 1600x900, not 'big'",
        ),
        (["chart", "daily", "--size", "100x100"], "error: --size 100x100: use between 300x200 and 10000x10000 pixels"),
        (["chart", "daily", "--since", "2030-01-01"], "error: too few daily figures of personnel to chart (0 between"),
    ],
)
def test_bad_requests_fail_in_one_line(
    full_store_url: str,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run_tracker(capsys, *args, "--db", full_store_url)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and err.startswith(message), err
    assert list(tmp_path.iterdir()) == []


def test_an_empty_store_is_a_one_line_error(
    sqlite_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, _ = run_tracker(capsys, "db", "upgrade", "--db", sqlite_url)
    assert code == 0
    code, out, err = run_tracker(capsys, "charts", "--db", sqlite_url, "--out-dir", str(tmp_path / "c"))
    assert code == 2 and out == ""
    assert err.strip() == "error: no chart written; daily: no data for source 'ua-general-staff' in the store"


def test_generated_date_comes_from_source_date_epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    from tracker.charts.output import generated_date
    from tracker.domain import kyiv_today

    assert generated_date() == dt.date(2024, 1, 2)
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    assert generated_date() == kyiv_today()


def test_the_cli_does_not_import_matplotlib_until_a_chart_is_drawn() -> None:
    code = "import sys, tracker.cli, tracker.charts; print('matplotlib' in sys.modules, 'pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT).stdout
    assert out.split() == ["False", "False"]


def test_the_notebook_example_of_the_charts_docstring_draws_its_two_charts(full_store_url, tmp_path, monkeypatch):
    """tracker.charts' docstring, run as written (its `obs` read from the store) in a notebook's folder."""
    import re

    import tracker.charts
    from tracker.store.db import open_store
    from tracker.store.queries import observations_frame

    engine = open_store(full_store_url, write=False)
    obs = observations_frame(engine, metric="personnel")
    engine.dispose()
    [example] = re.findall(r"From a notebook::\n\n(.*?)\n\n", tracker.charts.__doc__ or "", flags=re.S)
    monkeypatch.chdir(tmp_path)
    exec("\n".join(line.removeprefix("    ") for line in example.splitlines()), {"obs": obs})

    assert (tmp_path / "daily.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "daily-2024.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "daily.png").read_bytes() != (tmp_path / "daily-2024.png").read_bytes()
