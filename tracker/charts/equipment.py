"""The equipment chart: weekly losses of the main equipment categories as small multiples, on a
shared time axis, each with its own scale (a drone and a tank are not counted alike)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tracker.charts.axes import date_axis, date_numbers, style_axes
from tracker.charts.formats import convention_words, day_text, number_text, short_label
from tracker.charts.layout import (
    DEFAULT_OPTIONS,
    PAD_PT,
    ChartOptions,
    lay_out,
    y_labels_width_pt,
)
from tracker.charts.output import source_line
from tracker.charts.palette import MUTED, SERIES
from tracker.charts.theme import BODY_PT, SMALL_PT, charted
from tracker.errors import InvalidInput
from tracker.store.source_registry import GENERAL_STAFF

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

MIN_WEEKS = 2
WINDOW_WEEKS = 4  # the title compares the last four complete weeks with the four before
MIN_BASE = 20  # ... for categories with at least this many losses in each of the two windows


def weekly(daily: pd.DataFrame, since: dt.date | None = None, until: dt.date | None = None) -> pd.DataFrame:
    """ISO weeks (Monday to Sunday) of a daily_series frame within the dates: start, total, complete."""
    import pandas as pd

    from tracker.analysis import period_table

    table = period_table(daily, "week")
    if table.empty:
        return table
    table = table.copy()
    table["week_start"] = pd.to_datetime(table["start"]).dt.to_period("W-SUN").dt.start_time
    if since is not None:
        table = table.loc[table["week_start"] + pd.Timedelta(days=6) >= pd.Timestamp(since)]
    if until is not None:
        table = table.loc[table["week_start"] <= pd.Timestamp(until)]
    return table.reset_index(drop=True)


@charted
def equipment_chart(
    series: dict[str, pd.DataFrame],
    *,
    options: ChartOptions = DEFAULT_OPTIONS,
    series_source: str = GENERAL_STAFF,
    columns: int = 4,
) -> Figure:
    """One panel per category: `series` maps a metric to its daily_series frame (in the order to
    draw, e.g. tracker.domain.MAIN_EQUIPMENT): weekly totals as a line, complete weeks only;
    the title tells which category changed most in the last four weeks."""
    import pandas as pd
    from matplotlib.ticker import MaxNLocator

    from tracker.analysis.series import CONVENTION_TEXT

    since, until = options.since, options.until
    weeks = {m: weekly(d, since, until) for m, d in series.items()}
    weeks = {m: w for m, w in weeks.items() if len(w) >= MIN_WEEKS}
    if not weeks:
        raise InvalidInput(
            "no equipment category has enough weekly figures to chart"
            + (f" between {since or 'the start'} and {until or 'the end'}" if since or until else "")
            + f" (need {MIN_WEEKS} weeks)"
        )
    by = next(iter(series.values())).attrs.get("by", "report")
    start = min(w["week_start"].min() for w in weeks.values())
    end = max(w["week_start"].max() for w in weeks.values()) + pd.Timedelta(days=7)

    subtitle = (
        "Losses per week (Monday to Sunday) reported by Ukraine's General Staff, "
        f"{convention_words(by)}, each panel on its own scale."
    )
    generated = options.generated_on()
    changes = {m: c for m, c in ((m, four_week_change(w)) for m, w in weeks.items()) if c is not None}
    fig = options.figure()
    frame = lay_out(
        fig,
        _title(weeks, changes, {m: series[m] for m in weeks}),
        subtitle,
        _notes(weeks, series),
        source_line([series_source], CONVENTION_TEXT[by], generated),
        bottom_extra_pt=12,
    )
    n = len(weeks)
    cols = min(columns, n)
    rows = -(-n // cols)
    w_pt, h = frame.width_pt, frame.height_pt
    top, bottom = frame.plot_top, frame.plot_bottom
    header = 21.0 / h  # each panel's name and last week's figure, above it
    # Every row carries its own year labels (an editor reads a top panel without the one
    # below it): the gap between rows leaves room for them.
    gap_x_pt, gap_y = 16.0, (12.0 + SMALL_PT * 1.6) / h + header
    left_pt = PAD_PT
    panel_w = (w_pt - 2 * PAD_PT - gap_x_pt * (cols - 1)) / cols
    panel_h = (top - bottom - gap_y * (rows - 1) - header) / rows
    x0, x1 = float(date_numbers([start])[0]), float(date_numbers([end])[0])
    shared = None
    panels = []
    for metric, w in weeks.items():
        ax = fig.add_axes((0, 0, 1, 1), sharex=shared)
        shared = shared or ax
        style_axes(ax)
        totals = w["total"].to_numpy(dtype=float)
        complete = totals[w["complete"].to_numpy(dtype=bool)]
        shown = complete if len(complete) else totals
        lo, hi = min(0.0, float(shown.min())), max(float(shown.max()), 1.0)
        ax.set_ylim(lo, hi * 1.08)
        ax.yaxis.set_major_locator(MaxNLocator(3, steps=[1, 2, 2.5, 5, 10], integer=True))
        ax.set_xlim(x0, x1)
        panels.append((metric, w, ax, totals, lo))
    # One width for every panel's tick labels, so that all plots share the same time axis.
    label_w = max(y_labels_width_pt(p[2]) for p in panels) + 4
    for k, (metric, w, ax, totals, lo) in enumerate(panels):
        r, c = divmod(k, cols)
        ax_left = left_pt + c * (panel_w + gap_x_pt) + label_w
        y_top = top - header - r * (panel_h + gap_y)
        ax.set_position((ax_left / w_pt, y_top - panel_h, (panel_w - label_w) / w_pt, panel_h))
        done = w["complete"].to_numpy(dtype=bool)
        # Weekly totals as a line through each complete week's middle; a week not yet over
        # (or begun before the first report) would read as a fall, so it is left out.
        mid = date_numbers(w["week_start"]) + 3.5
        ax.plot(mid[done], totals[done], color=SERIES, linewidth=0.8, solid_joinstyle="round", gid=f"weekly:{metric}")
        if lo < 0:
            ax.axhline(0, color=MUTED, linewidth=0.5)
        _panel_header(fig, metric, changes.get(metric), (left_pt + c * (panel_w + gap_x_pt)) / w_pt, y_top, h)
        date_axis(ax, start, end)
    return fig


@dataclass(frozen=True)
class Change:
    """A category's last four complete weeks against the four before them."""

    end: pd.Timestamp  # the last day (a Sunday) of the later four weeks
    recent: float
    before: float

    @property
    def ratio(self) -> float:
        return self.recent / self.before if self.before else float("inf")


def four_week_change(weeks: pd.DataFrame) -> Change | None:
    """The last 4 complete weeks' total against the 4 complete weeks before them (None with
    fewer than 8 complete weeks, or if they are not consecutive)."""
    import pandas as pd

    done = weeks.loc[weeks["complete"].astype(bool)].tail(2 * WINDOW_WEEKS)
    if len(done) < 2 * WINDOW_WEEKS:
        return None
    span = (done["week_start"].iloc[-1] - done["week_start"].iloc[0]).days
    if span != 7 * (2 * WINDOW_WEEKS - 1):
        return None
    totals = done["total"].to_numpy(dtype=float)
    end = pd.Timestamp(done["week_start"].iloc[-1]) + pd.Timedelta(days=6)
    return Change(end, float(totals[WINDOW_WEEKS:].sum()), float(totals[:WINDOW_WEEKS].sum()))


def biggest_change(changes: dict[str, Change]) -> tuple[str, Change] | None:
    """The category whose last four weeks differ most from the four before, as a ratio (either
    way), among those with at least MIN_BASE in both: small counts swing by chance."""
    import math

    eligible = [(m, c) for m, c in changes.items() if c.before >= MIN_BASE and c.recent >= MIN_BASE]
    if not eligible:
        return None
    return max(eligible, key=lambda mc: abs(math.log(mc[1].ratio)))


def new_records(series: dict[str, pd.DataFrame], since: pd.Timestamp) -> list[tuple[str, float, pd.Timestamp]]:
    """(category, figure, date) of each one-day record (flagged days left out) set on or after
    `since` that beat an earlier one: the latest per category, the largest margin first."""
    import pandas as pd

    from tracker.analysis import record_progression

    found = []
    for metric, daily in series.items():
        table = record_progression(daily).table
        table = table.loc[table["previous_date"].notna() & (pd.to_datetime(table["date"]) >= since)]
        if len(table):
            last = table.iloc[-1]
            found.append((float(last["increment"] / last["previous_increment"]), metric, last))
    found.sort(key=lambda t: -t[0])
    return [(m, float(row["increment"]), pd.Timestamp(row["date"])) for _, m, row in found]


def _title(weeks: dict[str, pd.DataFrame], changes: dict[str, Change], series: dict[str, pd.DataFrame]) -> str:
    """The story: the category that changed most in the last four weeks against the four
    before, and any new one-day record in those weeks; else the last week's biggest counts."""
    import pandas as pd

    big = biggest_change(changes)
    if big is None:
        return _plain_title(weeks)
    metric, change = big
    what = short_label(metric).lower()
    pct = abs(change.ratio - 1)
    verb = "rose" if change.ratio > 1 else "fell"
    title = (
        f"Russian losses of {what} reported by Kyiv {verb} {pct:.0%} in the four weeks to "
        f"{day_text(change.end)} ({number_text(change.recent)}, against {number_text(change.before)} "
        "in the four before)"
    )
    start = change.end - pd.Timedelta(days=7 * WINDOW_WEEKS - 1)
    records = new_records(series, start)
    if records:
        words = [f"the most {short_label(m).lower()} in one day yet ({number_text(v)} on {day_text(d)})"
                 for m, v, d in records[:2]]  # fmt: skip
        title += "; " + " and ".join(words)
    return title


def _plain_title(weeks: dict[str, pd.DataFrame]) -> str:
    """The last complete week's losses, the four biggest categories by count."""
    import pandas as pd

    latest_complete = max(
        (w.loc[w["complete"].astype(bool), "week_start"].max() for w in weeks.values()), default=pd.NaT
    )
    parts = []
    for m, w in weeks.items():
        row = w.loc[w["week_start"] == latest_complete]
        if len(row):
            parts.append((float(row["total"].iloc[0]), m))
    parts.sort(key=lambda t: -t[0])
    if not parts or pd.isna(latest_complete):
        return "Weekly Russian equipment losses reported by Kyiv"
    week_end = latest_complete + pd.Timedelta(days=6)
    listed = [f"{number_text(v)} {short_label(m).lower()}" for v, m in parts[:4]]
    if len(listed) == 1:
        return f"In the week to {day_text(week_end)}, Kyiv reported Russian losses of {listed[0]}"
    return (
        f"In the week to {day_text(week_end)}, Kyiv reported Russian losses of "
        + ", ".join(listed[:-1])
        + f" and {listed[-1]}"
    )


def _notes(weeks: dict[str, pd.DataFrame], series: dict[str, pd.DataFrame]) -> list[str]:
    """What the lines leave out (a week not yet over), and the categories whose definition
    changed over time."""
    import pandas as pd

    notes = []
    last = max(w["week_start"].iloc[-1] for w in weeks.values())
    if any(not bool(w["complete"].iloc[-1]) and w["week_start"].iloc[-1] == last for w in weeks.values()):
        end = pd.Timestamp(last) + pd.Timedelta(days=6)
        notes.append(
            f"Complete weeks only: the week of {day_text(last)} to {day_text(end)}, not yet over, is left out."
        )
    merged = [m for m in weeks if "lineage_change" in ";".join(series[m]["flags"])]
    if merged:
        notes.append(" ".join(f"{short_label(m)}: {_lineage_note(m)}" for m in merged))
    return notes


def _panel_header(fig: Figure, metric: str, change: Change | None, x: float, y_top: float, height_pt: float) -> None:
    """A panel's name and its last four weeks against the four before, above the panel's top
    (`y_top`)."""
    fig.text(
        x,
        y_top + 11.0 / height_pt,
        short_label(metric),
        ha="left",
        va="bottom",
        fontsize=BODY_PT,
        fontweight="bold",
        gid=f"panel:{metric}",
    )
    if change is None:
        return
    trend = "none before" if not change.before else f"{change.ratio - 1:+.0%}".replace("-", "\u2212")
    fig.text(
        x,
        y_top + 3.0 / height_pt,
        f"last 4 weeks: {number_text(change.recent)} ({trend})",
        ha="left",
        va="bottom",
        fontsize=SMALL_PT,
        color=MUTED,
        gid=f"latest:{metric}",
    )


def _lineage_note(metric: str) -> str:
    """How a category's definition changed (from tracker.domain)."""
    from tracker.domain import METRICS

    return METRICS[metric].notes or "the category changed over time."
