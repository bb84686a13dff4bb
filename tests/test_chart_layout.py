"""Charts an editor can publish as they are (issue 11, part 2), checked on the drawn figures.

Every chart of the standard set (tracker.charts.build.STANDARD_SET) is drawn once per dataset (the
full General Staff dataset with the curated claims and a year-spread of real Oryx snapshots, and
the bundled sample with the claims; the claimed-vs-confirmed chart also on the full dataset with
one Oryx snapshot, as the daily job's first Oryx day leaves it) and laid out by
`fig.canvas.draw()`; then each check runs on it: no two texts overlap (titles, notes, labels, the
legend as a whole, tick labels), every text lies inside the figure, leader lines cross neither each
other nor another text, every year on a time axis is labelled, and no two sources drawn together
share colour and marker. Chart-specific rules (the daily chart's clipped spikes, the cumulative
chart's milestone labels, the equipment chart's story) follow.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tracker.charts.build import STANDARD_SET

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from matplotlib.transforms import Bbox

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample" / "ua-general-staff-personnel.csv"
GENERATED = dt.date(2024, 1, 2)
TOLERANCE_PX = 1.0  # boxes may touch by a pixel (anti-aliased glyph edges)
# Every 40th Oryx snapshot and the last: a line across the years, quick to ingest.
ORYX_EVERY = 40
# What the sample cannot draw: it holds personnel only, and no Oryx snapshot.
SAMPLE_CANNOT = {"equipment", "claimed-vs-confirmed"}
# The charts drawn on each dataset ("first-oryx": the full one with one Oryx snapshot).
DRAWN = {"full": STANDARD_SET, "sample": STANDARD_SET, "first-oryx": ("claimed-vs-confirmed",)}
CASES = [(d, k) for d, kinds in DRAWN.items() for k in kinds if not (d == "sample" and k in SAMPLE_CANNOT)]
# The palette gives this many sources a colour of their own (the compare and cumulative charts of
# the full data draw nine).
DISTINCT_COLOURS = 9
WITH_SOURCES = [(d, k) for d, k in CASES if k in ("cumulative", "monthly", "compare")]


# --- stores and figures ---------------------------------------------------------------------------


def _copy(src_url: str, dst: Path) -> str:
    with sqlite3.connect(src_url.removeprefix("sqlite:///")) as a, sqlite3.connect(dst) as b:
        a.backup(b)
    return f"sqlite:///{dst}"


@pytest.fixture(scope="module")
def urls(full_store_url: str, shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Store URLs by dataset: the full one with claims and Oryx snapshots, the sample with claims,
    the full one with claims and only Oryx's last snapshot."""
    from tracker.ingest.feeds.claims import ClaimsFeed
    from tracker.ingest.feeds.csvfeed import CsvFeed
    from tracker.ingest.feeds.oryx import OryxFeed
    from tracker.ingest.run import run_ingest

    folder = tmp_path_factory.mktemp("chart-layout")
    full = _copy(full_store_url, folder / "full.db")
    first_oryx = _copy(full_store_url, folder / "first-oryx.db")
    sample = f"sqlite:///{folder / 'sample.db'}"
    report = run_ingest(sample, CsvFeed(), location=str(SAMPLE), source="ua-general-staff")
    assert report.status in ("ok", "ok_with_findings"), report.error
    for url in (full, sample, first_oryx):
        report = run_ingest(url, ClaimsFeed())
        assert report.status in ("ok", "ok_with_findings"), report.error
    history = shared_data.parent / "oryx" / "history"
    if not history.is_dir():
        pytest.skip(f"the Oryx snapshots are not at {history}")
    names = sorted(p.name for p in history.iterdir() if p.is_dir())
    spread = [*names[::ORYX_EVERY], *([names[-1]] if (len(names) - 1) % ORYX_EVERY else [])]
    for url, name in [*((full, name) for name in spread), (first_oryx, names[-1])]:
        when = dt.datetime.fromisoformat(f"{name[:10]}T{name[11:13]}:{name[13:15]}+00:00")
        report = run_ingest(url, OryxFeed(observed_at=when), location=str(history / name), observed_at=when)
        assert report.status in ("ok", "ok_with_findings"), f"{name}: {report.error}"
    return {"full": full, "sample": sample, "first-oryx": first_oryx}


@pytest.fixture(scope="module")
def figures(urls: dict[str, str]) -> dict[tuple[str, str], Figure | str]:
    """Each chart of the standard set drawn and laid out, by (dataset, kind); a chart the store
    cannot answer is its one-line reason instead."""
    from tracker.charts.build import ChartRequest, Loader, draw
    from tracker.errors import InvalidInput

    out: dict[tuple[str, str], Figure | str] = {}
    for dataset, url in urls.items():
        loader = Loader(url, ChartRequest())
        try:
            for kind in DRAWN[dataset]:
                try:
                    fig = draw(kind, loader, GENERATED)
                except InvalidInput as exc:
                    out[(dataset, kind)] = str(exc)
                    continue
                fig.canvas.draw()
                out[(dataset, kind)] = fig
        finally:
            loader.close()
    return out


def drawn(figures: dict[tuple[str, str], Figure | str], dataset: str, kind: str) -> Figure:
    fig = figures[(dataset, kind)]
    assert not isinstance(fig, str), f"{kind} on the {dataset} data was not drawn: {fig}"
    return fig


# --- what a figure shows, in display pixels --------------------------------------------------------


def _tick_labels(fig: Figure) -> tuple[list[tuple[str, Bbox]], set[int]]:
    """The tick labels drawn (visible, non-empty, at a tick within the view), and the ids of
    every tick label Text so the rest of the figure's texts can be told apart."""
    from matplotlib.text import Text

    renderer = fig.canvas.get_renderer()
    shown: list[tuple[str, Bbox]] = []
    every: set[int] = set()
    for ax in fig.axes:
        for axis, name in ((ax.xaxis, "x"), (ax.yaxis, "y")):
            lo, hi = sorted(axis.get_view_interval())
            slack = (hi - lo) * 1e-6
            for ticks, locs in (
                (axis.get_major_ticks(), axis.get_majorticklocs()),
                (axis.get_minor_ticks(), axis.get_minorticklocs()),
            ):
                every |= {id(t) for tick in ticks for t in (tick.label1, tick.label2)}
                for tick, loc in zip(ticks, locs):
                    if not lo - slack <= loc <= hi + slack:
                        continue
                    for label in (tick.label1, tick.label2):
                        if label.get_visible() and label.get_text().strip():
                            box = Text.get_window_extent(label, renderer)
                            shown.append((f"{name} tick {label.get_text()!r}", box))
    return shown, every


def text_boxes(fig: Figure) -> list[tuple[str, Bbox, object]]:
    """(name, box, artist) of every text drawn: each legend as one box, each other visible,
    non-empty Text (an annotation's text without its leader line), and the tick labels."""
    from matplotlib.text import Text

    renderer = fig.canvas.get_renderer()
    items: list[tuple[str, Bbox, object]] = []
    inside_legends: set[int] = set()
    for leg in [*fig.legends, *(ax.get_legend() for ax in fig.axes if ax.get_legend() is not None)]:
        items.append(("legend", leg.get_window_extent(renderer), leg))
        inside_legends |= {id(t) for t in leg.findobj(Text)}
    ticks, tick_ids = _tick_labels(fig)
    for text in fig.findobj(Text):
        if id(text) in inside_legends or id(text) in tick_ids:
            continue
        if not text.get_visible() or not text.get_text().strip():
            continue
        name = f"{text.get_gid() or 'text'} {text.get_text()!r}"
        items.append((name, Text.get_window_extent(text, renderer), text))
    items += [(name, box, None) for name, box in ticks]
    return items


def leaders(fig: Figure) -> list[tuple[str, tuple[float, float], tuple[float, float], object]]:
    """(label, start, end, annotation) of every straight piece of every leader line drawn (an
    annotation's arrow, straight or bent), in display pixels."""
    from matplotlib.text import Annotation

    out = []
    for ann in fig.findobj(Annotation):
        patch = ann.arrow_patch
        if patch is None or not patch.get_visible() or not ann.get_visible():
            continue
        vertices = patch.get_path().transformed(patch.get_transform()).vertices
        for a, b in zip(vertices[:-1], vertices[1:]):
            out.append((ann.get_text(), tuple(a), tuple(b), ann))
    return out


def _shrunk(box: Bbox) -> tuple[float, float, float, float]:
    return (box.x0 + TOLERANCE_PX, box.y0 + TOLERANCE_PX, box.x1 - TOLERANCE_PX, box.y1 - TOLERANCE_PX)


def _boxes_overlap(a: Bbox, b: Bbox) -> bool:
    ax0, ay0, ax1, ay1 = _shrunk(a)
    bx0, by0, bx1, by1 = _shrunk(b)
    return min(ax1, bx1) > max(ax0, bx0) and min(ay1, by1) > max(ay0, by0)


def _segments_cross(p1, p2, q1, q2) -> bool:  # type: ignore[no-untyped-def]
    """Whether two segments properly intersect (touching at an end point is not crossing)."""

    def side(a, b, c) -> float:  # type: ignore[no-untyped-def]
        return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])

    d1, d2 = side(q1, q2, p1), side(q1, q2, p2)
    d3, d4 = side(p1, p2, q1), side(p1, p2, q2)
    return d1 * d2 < 0 and d3 * d4 < 0


def _segment_hits_box(p, q, box: Bbox) -> bool:  # type: ignore[no-untyped-def]
    """Whether a segment passes through a box's inside (shrunk by the tolerance)."""
    x0, y0, x1, y1 = _shrunk(box)
    if x1 <= x0 or y1 <= y0:
        return False
    if x0 < p[0] < x1 and y0 < p[1] < y1 or x0 < q[0] < x1 and y0 < q[1] < y1:
        return True
    corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
    return any(_segments_cross(p, q, corners[i], corners[(i + 1) % 4]) for i in range(4))


# --- every chart ------------------------------------------------------------------------------------


def test_every_chart_of_the_standard_set_is_drawn_on_the_full_data_and_the_sample(
    figures: dict[tuple[str, str], Figure | str],
) -> None:
    not_drawn = {key: why for key, why in figures.items() if isinstance(why, str)}
    assert sorted(not_drawn) == sorted(("sample", k) for k in STANDARD_SET if k in SAMPLE_CANNOT)


@pytest.mark.parametrize(("dataset", "kind"), CASES)
def test_no_two_texts_overlap(figures: dict[tuple[str, str], Figure | str], dataset: str, kind: str) -> None:
    items = text_boxes(drawn(figures, dataset, kind))
    clashes = [
        f"{a} / {b}"
        for i, (a, box_a, _) in enumerate(items)
        for b, box_b, _ in items[i + 1 :]
        if _boxes_overlap(box_a, box_b)
    ]
    assert clashes == []


@pytest.mark.parametrize(("dataset", "kind"), CASES)
def test_every_text_lies_inside_the_figure(
    figures: dict[tuple[str, str], Figure | str], dataset: str, kind: str
) -> None:
    fig = drawn(figures, dataset, kind)
    width, height = fig.canvas.get_width_height()
    t = TOLERANCE_PX
    outside = [
        f"{name}: ({box.x0:.0f}, {box.y0:.0f})-({box.x1:.0f}, {box.y1:.0f})"
        for name, box, _ in text_boxes(fig)
        if box.x0 < -t or box.y0 < -t or box.x1 > width + t or box.y1 > height + t
    ]
    assert outside == []


@pytest.mark.parametrize(("dataset", "kind"), CASES)
def test_leader_lines_cross_neither_each_other_nor_another_text(
    figures: dict[tuple[str, str], Figure | str], dataset: str, kind: str
) -> None:
    fig = drawn(figures, dataset, kind)
    lines = leaders(fig)
    crossing = [
        f"{a!r} / {b!r}"
        for i, (a, p1, p2, ann_a) in enumerate(lines)
        for b, q1, q2, ann_b in lines[i + 1 :]
        if ann_a is not ann_b and _segments_cross(p1, p2, q1, q2)
    ]
    through = [
        f"leader of {label!r} through {name}"
        for label, p, q, ann in lines
        for name, box, artist in text_boxes(fig)
        if artist is not ann and _segment_hits_box(p, q, box)
    ]
    assert (crossing, through) == ([], [])


@pytest.mark.parametrize(("dataset", "kind"), CASES)
def test_every_year_on_a_time_axis_is_labelled(
    figures: dict[tuple[str, str], Figure | str], dataset: str, kind: str
) -> None:
    """Each year the view shows for 60 days or more appears in the x tick labels of every panel
    that has them (as '2024', '’24' where panels are narrow, or 'May 2024' on a months' axis)."""
    from matplotlib.dates import date2num, num2date

    fig = drawn(figures, dataset, kind)
    missing = []
    for ax in fig.axes:
        xs = [
            tick.label1.get_text()
            for axis_ticks, locs in (
                (ax.xaxis.get_major_ticks(), ax.xaxis.get_majorticklocs()),
                (ax.xaxis.get_minor_ticks(), ax.xaxis.get_minorticklocs()),
            )
            for tick, loc in zip(axis_ticks, locs)
            if tick.label1.get_visible()
            and tick.label1.get_text().strip()
            and min(ax.get_xlim()) <= loc <= max(ax.get_xlim())
        ]
        if not xs:
            continue  # a panel whose labels the panel below carries
        lo, hi = sorted(ax.get_xlim())
        for year in range(num2date(lo).year, num2date(hi).year + 1):
            shown = min(hi, date2num(dt.date(year + 1, 1, 1))) - max(lo, date2num(dt.date(year, 1, 1)))
            if shown >= 60 and not any(str(year) in x or f"\u2019{year % 100:02d}" in x for x in xs):
                missing.append(f"{ax.get_gid() or 'axes'}: {year} (labels {xs})")
    assert missing == []


@pytest.mark.parametrize(("dataset", "kind"), WITH_SOURCES)
def test_no_two_sources_drawn_together_look_alike(
    figures: dict[tuple[str, str], Figure | str], dataset: str, kind: str
) -> None:
    """Each source's markers ('claims:<source>') and legend handles: no two share colour and
    marker, and up to nine sources no two share a colour."""
    from matplotlib.colors import to_hex

    fig = drawn(figures, dataset, kind)
    looks: dict[str, tuple[str, tuple]] = {}
    for coll in fig.findobj(lambda a: str(a.get_gid() or "").startswith("claims:")):
        shape = tuple(map(tuple, coll.get_paths()[0].vertices.round(3)))
        looks[coll.get_gid().removeprefix("claims:")] = (to_hex(coll.get_facecolor()[0]), shape)
    assert len(looks) >= 2, f"{kind}: fewer than two sources drawn ({sorted(looks)})"
    pairs = list(looks.values())
    assert len(set(pairs)) == len(pairs), {k: v[0] for k, v in looks.items()}
    if len(looks) <= DISTINCT_COLOURS:
        assert len({colour for colour, _ in pairs}) == len(pairs)
    handles = [
        (to_hex(h.get_color()), h.get_marker())
        for h in fig.legends[0].legend_handles
        if getattr(h, "get_marker", None) and h.get_marker() not in (None, "", "None")
    ]
    assert len(set(handles)) == len(handles), handles


# --- the rules of each chart ----------------------------------------------------------------------


def test_source_styles_differ_in_colour_up_to_nine_and_in_colour_or_marker_up_to_36() -> None:
    from tracker.charts.palette import source_style

    styles = [source_style(rank) for rank in range(36)]
    assert len(set(styles)) == 36
    assert len({colour for colour, _ in styles[:DISTINCT_COLOURS]}) == DISTINCT_COLOURS
    # A colour's second source has a clearly different shape: circle and cross, square and pentagon.
    assert [styles[k][1] for k in (0, 9, 1, 10)] == ["o", "X", "s", "p"]


def test_on_the_full_cumulative_chart_uk_mod_and_news_report_and_us_dod_and_csis_differ_in_colour(
    figures: dict[tuple[str, str], Figure | str],
) -> None:
    from matplotlib.colors import to_hex

    fig = drawn(figures, "full", "cumulative")
    colour = {
        str(c.get_gid()).removeprefix("claims:"): to_hex(c.get_facecolor()[0])
        for c in fig.findobj(lambda a: str(a.get_gid() or "").startswith("claims:"))
    }
    assert colour["uk-mod"] != colour["news-report"]
    assert colour["us-dod"] != colour["csis"]


def test_daily_flagged_spikes_are_clipped_at_the_top_with_their_values(
    figures: dict[tuple[str, str], Figure | str],
) -> None:
    fig = drawn(figures, "full", "daily")
    (flagged,) = fig.findobj(lambda a: a.get_gid() == "bars-flagged")
    bottom, top = flagged.axes.get_ylim()
    assert 2200 < top < 2800  # above the record (2,200), below the flagged 2,800 and 3,160
    assert sorted(seg[1][1] for seg in flagged.get_segments())[-2:] == [top, top]
    (label,) = fig.findobj(lambda a: a.get_gid() == "clipped-label")
    assert label.get_text() == "2,800, 3,160 (off the scale)"
    assert fig.findobj(lambda a: a.get_gid() == "clipped-label") == [label]


def test_cumulative_milestone_labels_sit_next_to_their_points_or_lead_to_them(
    figures: dict[tuple[str, str], Figure | str],
) -> None:
    """Each label's nearest corner is within 6 points of its milestone, or a leader line joins
    them."""
    from matplotlib.text import Text

    fig = drawn(figures, "full", "cumulative")
    renderer = fig.canvas.get_renderer()
    labels = fig.findobj(lambda a: a.get_gid() == "milestone-label")
    assert len(labels) == 7
    far = []
    for ann in labels:
        px, py = ann.axes.transData.transform(ann.xy)
        box = Text.get_window_extent(ann, renderer)
        dx = max(box.x0 - px, 0.0, px - box.x1)
        dy = max(box.y0 - py, 0.0, py - box.y1)
        if (dx * dx + dy * dy) ** 0.5 > 6 * fig.dpi / 72 and ann.arrow_patch is None:
            far.append(ann.get_text())
    assert far == []


def test_equipment_title_tells_the_biggest_four_week_change_and_panels_draw_lines(
    figures: dict[tuple[str, str], Figure | str],
) -> None:
    from matplotlib.lines import Line2D

    fig = drawn(figures, "full", "equipment")
    (title,) = fig.findobj(lambda a: a.get_gid() == "title")
    assert title.get_text().replace("\n", " ") == (
        "Russian losses of tanks reported by Kyiv rose 63% in the four weeks to 2 Aug 2026 "
        "(150, against 92 in the four before)"
    )
    lines = fig.findobj(lambda a: str(a.get_gid() or "").startswith("weekly:"))
    assert len(lines) == 8 and all(isinstance(line, Line2D) for line in lines)
    (tanks,) = fig.findobj(lambda a: a.get_gid() == "latest:tanks")
    assert tanks.get_text() == "last 4 weeks: 150 (+63%)"


def test_equipment_title_names_a_one_day_record_set_in_the_last_four_weeks(full_store_url: str) -> None:
    from tracker.charts.build import ChartRequest, Loader, draw

    loader = Loader(full_store_url, ChartRequest(as_of=dt.date(2025, 6, 10)))
    try:
        fig = draw("equipment", loader, GENERATED)
    finally:
        loader.close()
    (title,) = fig.findobj(lambda a: a.get_gid() == "title")
    assert title.get_text().replace("\n", " ") == (
        "Russian losses of tanks reported by Kyiv fell 36% in the four weeks to 8 Jun 2025 "
        "(119, against 187 in the four before); the most aircraft in one day yet (41 on 3 Jun 2025) "
        "and the most drones in one day yet (300 on 7 Jun 2025)"
    )


# --- issue 24: what an editor saw on the drawn charts ---------------------------------------------


def _record_labels(fig: Figure) -> list[object]:
    return fig.findobj(lambda a: a.get_gid() == "record-label")


@pytest.mark.parametrize("dataset", ["full", "sample"])
def test_daily_record_labels_stand_in_the_order_of_their_points(
    figures: dict[tuple[str, str], Figure | str], dataset: str
) -> None:
    from matplotlib.text import Text

    fig = drawn(figures, dataset, "daily")
    renderer = fig.canvas.get_renderer()
    labels = _record_labels(fig)
    assert len(labels) == 4
    by_point = [a.get_text() for a in sorted(labels, key=lambda a: a.xy[0])]
    by_label = [a.get_text() for a in sorted(labels, key=lambda a: Text.get_window_extent(a, renderer).x0)]
    assert by_label == by_point


@pytest.mark.parametrize("dataset", ["full", "sample"])
def test_daily_record_leaders_cross_neither_each_other_nor_another_records_bar(
    figures: dict[tuple[str, str], Figure | str], dataset: str
) -> None:
    """A record's bar rises from the axis to its point: a leader passing through it reads as a
    crossing (the full data's 2,030 once led under 2,200's point, through its bar)."""
    fig = drawn(figures, dataset, "daily")
    lines = leaders(fig)
    bars = []
    for ann in _record_labels(fig):
        ax = ann.axes
        x, y = ax.transData.transform(ann.xy)
        bottom = ax.transData.transform((ann.xy[0], ax.get_ylim()[0]))[1]
        bars.append((ann, (x, bottom), (x, y - 3 * fig.dpi / 72)))
    crossing = [
        f"{a!r} / {b!r}"
        for i, (a, p1, p2, ann_a) in enumerate(lines)
        for b, q1, q2, ann_b in lines[i + 1 :]
        if ann_a is not ann_b and _segments_cross(p1, p2, q1, q2)
    ]
    through = [
        f"leader of {label!r} through the bar of {other.get_text()!r}"
        for label, p, q, ann in lines
        for other, b1, b2 in bars
        if other is not ann and _segments_cross(p, q, b1, b2)
    ]
    assert (crossing, through) == ([], [])


@pytest.mark.parametrize(("dataset", "kind"), WITH_SOURCES)
def test_up_to_nine_sources_drawn_together_each_have_a_colour_of_their_own(
    figures: dict[tuple[str, str], Figure | str], dataset: str, kind: str
) -> None:
    """The full data's compare chart once drew UK Ministry of Defence and News report both
    orange, UK Defence Intelligence and US intelligence both green (different markers, too
    small to tell apart): filled markers and hollow ones alike."""
    from matplotlib.colors import to_hex

    fig = drawn(figures, dataset, kind)
    colours: dict[str, set[str]] = {}
    for coll in fig.findobj(lambda a: str(a.get_gid() or "").startswith(("claims:", "claims-other:"))):
        gid = str(coll.get_gid())
        source = gid.split(":", 1)[1]
        face = coll.get_facecolor()
        colour = to_hex(face[0]) if gid.startswith("claims:") else to_hex(coll.get_edgecolor()[0])
        colours.setdefault(source, set()).add(colour)
    assert all(len(c) == 1 for c in colours.values()), colours
    if len(colours) <= DISTINCT_COLOURS:
        owners: dict[str, list[str]] = {}
        for source, (colour,) in colours.items():
            owners.setdefault(colour, []).append(source)
        assert {c: s for c, s in owners.items() if len(s) > 1} == {}


def _connectors(fig: Figure) -> list[tuple[tuple[float, float], tuple[float, float]]]:
    """The lines joining a claim's two conventions on the compare chart, in display pixels."""
    out = []
    for ax in fig.axes:
        for line in ax.get_lines():
            if str(line.get_gid() or "").startswith("connector:") or (
                line.get_gid() is None and len(line.get_xdata()) == 2
            ):
                (a, b) = ax.transData.transform(list(zip(line.get_xdata(), line.get_ydata())))
                out.append((tuple(a), tuple(b)))
    return out


@pytest.mark.parametrize("dataset", ["full", "sample"])
def test_no_compare_label_is_crossed_by_a_connector(figures: dict[tuple[str, str], Figure | str], dataset: str) -> None:
    fig = drawn(figures, dataset, "compare")
    connectors = _connectors(fig)
    if dataset == "full":
        assert len(connectors) >= 2
    crossed = [
        f"{name} crossed by the connector at x={p[0]:.0f}"
        for name, box, artist in text_boxes(fig)
        for p, q in connectors
        if _segment_hits_box(p, q, box)
    ]
    assert crossed == []


@pytest.mark.parametrize("dataset", ["full", "sample"])
def test_compare_axis_starts_at_the_first_data_month(
    figures: dict[tuple[str, str], Figure | str], urls: dict[str, str], dataset: str
) -> None:
    """The x axis begins on the first day of the month in which the earliest claim's period
    begins (the full data: Jan 2022, UK Defence Intelligence's 2022 average), not a sliver of
    the year before."""
    from matplotlib.dates import date2num

    from tracker.charts.build import ChartRequest, Loader
    from tracker.charts.compare import comparable_rows

    loader = Loader(urls[dataset], ChartRequest())
    try:
        rows = comparable_rows(loader.comparison("personnel"))
    finally:
        loader.close()
    first = rows["period_start"].min()
    fig = drawn(figures, dataset, "compare")
    (ax,) = fig.axes
    assert ax.get_xlim()[0] == pytest.approx(date2num(dt.date(first.year, first.month, 1)))
    if dataset == "full":
        assert (first.year, first.month) == (2022, 1)


def test_every_panel_row_of_the_equipment_chart_labels_its_years(
    figures: dict[tuple[str, str], Figure | str],
) -> None:
    """Each of the eight panels (two rows) shows its own year labels, '’22' to '’26'."""
    fig = drawn(figures, "full", "equipment")
    unlabelled = []
    for ax in fig.axes:
        shown = [t.get_text() for t in ax.get_xticklabels() if t.get_visible() and t.get_text().strip()]
        if [f"\u2019{y}" for y in range(22, 27)] != shown:
            unlabelled.append((ax.get_position().y0.round(2), shown))
    assert len(fig.axes) == 8
    assert unlabelled == []


def test_monthly_chart_leaves_out_a_month_mostly_from_one_multi_day_report(
    figures: dict[tuple[str, str], Figure | str],
) -> None:
    """Feb 2022 holds 4 days whose 5,300 are 2,800 from the first report (everything since the
    invasion began): its 1,325 a day would stand taller than any 2022 month. It is left out of
    the bars and the scale, and a note says why."""
    from matplotlib.dates import num2date

    fig = drawn(figures, "full", "monthly")
    months = {
        (num2date(p.get_x() + p.get_width() / 2).year, num2date(p.get_x() + p.get_width() / 2).month): p.get_height()
        for p in fig.findobj(lambda a: a.get_gid() in ("months", "months-partial"))
    }
    assert (2022, 3) in months and (2022, 2) not in months
    assert months[(2022, 3)] == pytest.approx(12200 / 31)
    assert max(h for (y, _), h in months.items() if y == 2022) < 600  # Feb's 1,325 would be twice that
    notes = " ".join(t.get_text().replace("\n", " ") for t in fig.findobj(lambda a: a.get_gid() == "note"))
    assert "Left out: Feb 2022 (2,800 of its 5,300 from one report" in notes


def test_monthly_rule_keeps_every_month_of_a_series_without_multi_day_reports(
    figures: dict[tuple[str, str], Figure | str],
) -> None:
    """The sample (from 31 Mar 2024, one report a day) loses no month to the rule."""
    fig = drawn(figures, "sample", "monthly")
    notes = " ".join(t.get_text() for t in fig.findobj(lambda a: a.get_gid() == "note"))
    assert "Left out" not in notes


def test_cumulative_claim_markers_do_not_pile_up(figures: dict[tuple[str, str], Figure | str]) -> None:
    """No two claim markers (of any sources) overlap: the full data's Feb–Mar and Oct 2024
    claims once sat on top of each other."""
    import math

    fig = drawn(figures, "full", "cumulative")
    centres = []
    for coll in fig.findobj(lambda a: str(a.get_gid() or "").startswith("claims:")):
        size_pt = math.sqrt(coll.get_sizes()[0])
        for xy in coll.get_offset_transform().transform(coll.get_offsets()):
            centres.append((coll.get_gid(), tuple(xy), size_pt * fig.dpi / 72))
    piled = [
        f"{a} / {b} at ({pa[0]:.0f}, {pa[1]:.0f})"
        for i, (a, pa, da) in enumerate(centres)
        for b, pb, db in centres[i + 1 :]
        if math.dist(pa, pb) < (da + db) / 2 - TOLERANCE_PX
    ]
    assert piled == []


def test_cumulative_labels_every_other_milestone_and_the_latest(
    figures: dict[tuple[str, str], Figure | str],
) -> None:
    """14 milestones (100,000 to 1,400,000) are too many to label beside a line that passes
    one every two months: the multiples of 200,000 are labelled, and the latest whatever it is."""
    fig = drawn(figures, "full", "cumulative")
    labels = sorted(a.get_text().split(":")[0] for a in fig.findobj(lambda a: a.get_gid() == "milestone-label"))
    assert labels == sorted(f"{k * 100_000:,}" for k in range(2, 15, 2))
