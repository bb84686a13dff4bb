"""A news-ready summary of one report: the day's figure, whether it is a record, the total,
milestones just passed, the 7-day average, the month so far against earlier months, and the pace
(the last 30 days against the 30 before and a year earlier: tracker.analysis.trend).

Records leave out doubtful days (as tracker.analysis.record_frames does) and the summary says how
many; averages count every day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from tracker.analysis.averages import period_table, rolling_average
from tracker.analysis.record_frames import record_words, split_counted
from tracker.analysis.series import BY_COVERED, CONVENTION_TEXT, up_to_report
from tracker.analysis.trend import trend, trend_sentence
from tracker.domain import INVASION_START, METRICS, label_for

ROLLING_DAYS = 7


@dataclass(frozen=True)
class Headline:
    """Sentences for people and the numbers behind them (plain Python values)."""

    sentences: list[str]
    numbers: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return " ".join(self.sentences)


def _iso(ts: dt.date | None) -> str | None:
    return None if ts is None or pd.isna(ts) else pd.Timestamp(ts).date().isoformat()


def _thousands(x: float) -> str:
    return f"{x:,.0f}"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def headline(
    daily: pd.DataFrame, *, as_of: dt.date | None = None, metric: str | None = None, include_flagged: bool = False
) -> Headline:
    """Summarise the latest report (or the last report dated up to `as_of`).

    `daily` is a daily_series frame; with `as_of`, reports after that date are ignored (pass a
    frame built from an as-of observations frame to also get the values known then).
    """
    metric = metric or daily.attrs.get("metric") or ""
    by = daily.attrs.get("by", "report")
    daily = up_to_report(daily, as_of)
    if daily.empty:
        raise ValueError("no report to summarise" + (f" up to {as_of}" if as_of else ""))
    spec = METRICS.get(metric)
    label = label_for(metric, daily.attrs.get("definition")).lower() if spec else metric
    words = record_words(metric)
    unit = spec.unit if spec else ""
    day = daily.iloc[-1]
    report_date, covered = _iso(day["report_date"]), _iso(day["covered_day"])
    when = (
        f"on {covered} (report of {report_date})"
        if by == BY_COVERED
        else f"in the report of {report_date} (covering {covered})"
    )
    increment = None if pd.isna(day["increment"]) else float(day["increment"])
    numbers: dict[str, Any] = {
        "metric": metric,
        "by": by,
        "convention": CONVENTION_TEXT[by],
        "date": _iso(day["date"]),
        "report_date": report_date,
        "covered_day": covered,
        "increment": increment,
        "span_days": None if pd.isna(day["span_days"]) else int(day["span_days"]),
        "flags": day["flags"] or None,
        "doubtful": bool(day["doubtful"]),
        "total": int(day["total"]),
        "total_since": INVASION_START.isoformat(),
    }
    sentences: list[str] = []
    if increment is None:
        sentences.append(
            f"The report of {report_date} gives no daily figure for {label}: it is the first report of the series."
        )
    else:
        span = numbers["span_days"] or 1
        period = "in the past 24 hours" if span <= 1 else f"over the {span} days since the previous report"
        sentences.append(f"{_thousands(increment)} {label} {period}, {when}.")

    # Records: is this day the highest so far among counted days?
    counted, excluded = split_counted(daily, include_flagged=include_flagged)
    before = counted.loc[counted["report_date"] < day["report_date"]]
    peak = before.sort_values(["increment", "date"], ascending=[False, True], kind="stable").head(1)
    peak_row = peak.iloc[0] if not peak.empty else None
    this_counted = bool((counted["report_date"] == day["report_date"]).any())
    is_record = bool(this_counted and increment is not None and (peak_row is None or increment > peak_row["increment"]))
    numbers["is_record"] = is_record
    numbers["previous_record"] = (
        None
        if peak_row is None
        else {
            "date": _iso(peak_row["date"]),
            "report_date": _iso(peak_row["report_date"]),
            "increment": float(peak_row["increment"]),
        }
    )
    numbers["counted_days"] = len(counted)
    numbers["excluded_days"] = len(excluded)
    if increment is not None and this_counted:
        rank = int((counted["increment"] > increment).sum()) + 1
        numbers["rank"] = rank
        if is_record and peak_row is not None:
            sentences.append(
                f"It is {words.phrase} so far, beating the previous peak of "
                f"{_thousands(peak_row['increment'])} on {_iso(peak_row['date'])} "
                f"(+{_thousands(increment - peak_row['increment'])})."
            )
        elif is_record:
            sentences.append("It is the first day counted, so the highest so far.")
        else:
            assert peak_row is not None, "not a record: an earlier counted day was higher"
            sentences.append(
                f"It is not a record: {words.phrase} so far was {_iso(peak_row['date'])} with "
                f"{_thousands(peak_row['increment'])}; this day ranks {_ordinal(rank)} of "
                f"{len(counted):,} days counted."
            )
    elif increment is not None:
        numbers["rank"] = None
        sentences.append(
            f"This figure is flagged ({day['flags'] or 'spans several days'}) and is not counted for records."
        )
    if len(excluded):
        sentences.append(
            f"Records leave out {len(excluded):,} flagged day"
            f"{'s' if len(excluded) != 1 else ''} (the first report, rounded early-2022 figures, "
            "catch-ups, outliers, changes of category)."
        )

    sentences.append(
        f"Total since {INVASION_START.isoformat()}: {int(day['total']):,} {unit} (report of {report_date}).".replace(
            "  ", " "
        )
    )

    # Milestones passed by this report.
    crossed: list[int] = []
    if spec and len(daily) > 1:
        step = spec.milestone_step
        prev_total = int(daily.iloc[-2]["total"])
        crossed = [k * step for k in range(prev_total // step + 1, int(day["total"]) // step + 1)]
    elif spec and increment is not None:  # one report: what it added passed these, not its whole total
        step = spec.milestone_step
        before = max(int(day["total"] - increment), 0)
        crossed = [k * step for k in range(before // step + 1, int(day["total"]) // step + 1)]
    numbers["milestones_crossed"] = crossed
    if crossed:
        sentences.append(f"The total passed {', '.join(f'{m:,}' for m in crossed)}.")

    # Rolling average.
    rolling = rolling_average(daily, ROLLING_DAYS)
    last = rolling.iloc[-1] if not rolling.empty else None
    avg7 = None if last is None or pd.isna(last["rolling_average"]) else float(last["rolling_average"])
    numbers["average_7d"] = avg7
    numbers["average_7d_flagged_days"] = None if last is None else int(last["flagged_days"])
    if avg7 is not None:
        start7 = (pd.Timestamp(day["date"]) - pd.Timedelta(days=ROLLING_DAYS - 1)).date()
        sentences.append(
            f"{ROLLING_DAYS}-day average: {_thousands(avg7)} a day ({start7.isoformat()} to {_iso(day['date'])})."
        )

    # The month so far against earlier months (averages count every day).
    months = period_table(daily, "month")
    if not months.empty:
        this = months.iloc[-1]
        earlier = months.iloc[:-1]
        numbers["month"] = {
            "period": this["period"],
            "days": int(this["days"]),
            "total": float(this["total"]),
            "daily_average": float(this["daily_average"]),
            "complete": bool(this["complete"]),
            "flagged_days": int(this["flagged_days"]),
        }
        text = (
            f"{this['period']} so far: {_thousands(this['total'])} over {int(this['days'])} day"
            f"{'s' if int(this['days']) != 1 else ''}, {_thousands(this['daily_average'])} a day"
        )
        if not earlier.empty:
            prev = earlier.iloc[-1]
            best = earlier.sort_values("daily_average", ascending=False, kind="stable").iloc[0]
            higher = int((earlier["daily_average"] > this["daily_average"]).sum())
            numbers["previous_month"] = {"period": prev["period"], "daily_average": float(prev["daily_average"])}
            numbers["highest_month"] = {"period": best["period"], "daily_average": float(best["daily_average"])}
            numbers["month_rank"] = higher + 1
            text += f", against {_thousands(prev['daily_average'])} a day in {prev['period']}"
            if higher == 0:
                text += "; the highest monthly average so far"
            else:
                text += f"; the highest monthly average so far was {_thousands(best['daily_average'])} a day in {best['period']}"
        sentences.append(text + ".")

    # The pace: the last 30 days against the 30 before and a year earlier (flagged days left out).
    found = trend(daily, include_flagged=include_flagged)
    numbers["trend"] = found
    pace = trend_sentence(found)
    if pace is not None:
        sentences.append(pace)
    sentences.append(f"Convention: {CONVENTION_TEXT[by]}.")
    return Headline(sentences, numbers)
