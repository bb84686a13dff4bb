"""The daily series and its records on plain rows: the one implementation of both.

`tracker records` answers one question about a few thousand reports; importing pandas and numpy
costs more than the whole computation (issue 12: the first query after new data must be as fast
as a plain pandas script). So the series (daily_rows) and every record (split_rows,
deadliest_day_record, ..., record_rows) are computed here, in plain Python, without pandas. The
notebook API (tracker.analysis: daily_series, split_counted, records, ...) keeps taking and
returning DataFrames: it turns a frame into these rows and the answer back into frames, so the
rules live once. tests/test_records_fast.py checks both routes print the same, to the byte.

The words and rules both use (conventions, reasons, record names) live here too.

A table is a `Table` (columns and rows of plain values: dt.date, int, float, str, bool, None),
which tracker.reports.render reads as it reads a DataFrame. The record functions read a row's date only
by comparing, adding days and asking year and month, so tracker.analysis hands them
pd.Timestamps and gets Timestamps back.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tracker.domain import INVASION_START, METRICS
from tracker.ingest.rules import DOUBTFUL_RULES, FIRST_REPORT_DATE, Point, check_documented_series, check_series

BY_REPORT = "report"
BY_COVERED = "covered"
CONVENTIONS = (BY_REPORT, BY_COVERED)
CONVENTION_TEXT = {
    BY_REPORT: "days dated by report date (a report dated D covers roughly day D-1)",
    BY_COVERED: "days dated by covered day (the report of D+1 gives day D)",
}
# Not a quality rule (the ingest checks one category at a time): where the series moves from
# one lineage to another (a merge of categories), the increment compares different things.
LINEAGE_CHANGE = "lineage_change"
# Not a quality rule either: the first report's increment is its whole total, everything counted
# since the invasion began, not the difference of two reports, so it is no one-day figure.
FIRST_REPORT = "first_report"
# A series dated by when losses were documented (Oryx, frame.attrs["dates_by"]): its changes are
# the documenting, not the losses; only the daily rules' decrease applies (as info).
DOCUMENTED = "documented"
# How a period's total treats the documented corrections of a dataset (a correction is not a
# loss): taken out of each report's increment, and so of every total built from increments.
# compare, averages, headline and the charts follow this one rule; their JSON states it
# (`corrections`).
CORRECTIONS = "taken out"
# Not a quality rule: the source's other feeds contradict this report's total and the arbiter
# (tracker.analysis.reconcile) does not back it; the next report's increment rests on it too.
# A daily series' attrs["disputed"] maps such report dates to the reason.
DISPUTED = "disputed"

DEADLIEST_WINDOW_DAYS = 7
STREAK_DEFAULT_QUANTILE = 0.9  # default streak threshold: the 90th percentile of counted days

EXCLUDED_COLUMNS = ["date", "report_date", "increment", "span_days", "flags", "reason"]
SUMMARY_COLUMNS = ["reason", "meaning", "days", "first", "last"]
# Why a day is left out of the day records, in the order a summary lists them.
REASON_TEXT = {
    FIRST_REPORT: "the first report: its figure counts every day since the invasion began",
    "coarse": "a rounded total (early-2022 roundups)",
    "catch_up": "a catch-up after flat days",
    "outlier": "far from the days around it",
    LINEAGE_CHANGE: "the total moves to another set of categories",
    DISPUTED: "the source's other feeds contradict the total and the arbiter does not back it",
    "gap": "spans missing reports",
    "span": "spans several days",
    "no_increment": "no increment: the first report of a series that began later",
    "other": "flagged by a quality rule",
}
NO_INCREMENT_REASON = "no increment: first report of the series, which began after the invasion's first report"


@dataclass(frozen=True)
class RecordWords:
    """How records of a metric are named: "Deadliest day" for personnel, "Most tanks in one day"
    for equipment (a day with many tanks destroyed is not "deadly")."""

    day: str
    days: str  # with {n}: "Deadliest {n} days"
    month: str
    year: str

    @property
    def phrase(self) -> str:
        """For a sentence: "the deadliest day", "the most tanks in one day"."""
        return "the " + self.day[0].lower() + self.day[1:]


def record_words(metric: str) -> RecordWords:
    """The words for the records of `metric` (equipment named from its label, e.g. "drones")."""
    spec = METRICS.get(metric)
    if spec is None or spec.kind == "personnel":
        return RecordWords("Deadliest day", "Deadliest {n} days", "Deadliest month", "Deadliest year")
    what = spec.label.split(" (")[0].lower()
    return RecordWords(f"Most {what} in one day", f"Most {what} in {{n}} days", f"Most {what} in a month",
                       f"Most {what} in a year")  # fmt: skip


# --- tables and series ----------------------------------------------------------------------


Row = dict[str, Any]


@dataclass(frozen=True)
class Table:
    """Rows under named columns, read by tracker.reports.render as a DataFrame is (`columns`, `to_dict`)."""

    columns: list[str]
    rows: list[Row]

    def to_dict(self, orient: str = "records") -> list[Row]:
        """The rows as dicts of the columns (only "records", as tracker.reports.render asks)."""
        if orient != "records":
            raise ValueError("a Table gives its rows as records only")
        return [{c: row.get(c) for c in self.columns} for row in self.rows]

    def __len__(self) -> int:
        return len(self.rows)


def table(rows: Iterable[Row], columns: Sequence[str]) -> Table:
    """A Table of the given columns from rows holding at least those keys."""
    cols = list(columns)
    return Table(cols, [{c: r.get(c) for c in cols} for r in rows])


@dataclass
class DailyRows:
    """A daily series as rows (the columns of tracker.analysis.series.DAILY_COLUMNS that records
    use), with the attrs a daily frame carries (source, side, metric, definition, dates_by, by)."""

    rows: list[Row]
    attrs: dict[str, Any] = field(default_factory=dict)


def _reported_increase(value: Any) -> int | None:
    """A stored reported increase as the frame reads it (pd.to_numeric, errors coerced)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else int(number)


def daily_rows(
    observations: Sequence[Sequence[Any]], attrs: dict[str, Any], *, by: str, metric: str, today: dt.date
) -> DailyRows:
    """The daily series (see tracker.analysis.series.daily_series, which builds its frame from
    this) of observations in tracker.store.queries.FRAME_COLUMNS order (report_date, value,
    qualifier, reported_increase, adjustment, lineage, ...), sorted by date."""
    out = DailyRows([], {**attrs, "by": by, "metric": metric})
    if not observations:
        return out
    points = [
        Point(d, int(v), q if isinstance(q, str) else None, _reported_increase(r), int(a))
        for d, v, q, r, a, *_ in observations
    ]
    if attrs.get("dates_by") == DOCUMENTED:
        findings = check_documented_series(metric, points)
    else:
        findings = check_series(metric, points, today=today)
    first_report = points[0].report_date == FIRST_REPORT_DATE
    flags: list[list[str]] = [[] for _ in points]
    reasons: list[list[str]] = [[] for _ in points]
    index_of: dict[dt.date | None, int] = {p.report_date: i for i, p in enumerate(points)}
    for f in findings:
        i = index_of[f.report_date]
        if f.rule not in flags[i]:
            flags[i].append(f.rule)
        reasons[i].append(f"{f.rule}: {f.message}")
    if first_report:
        flags[0].append(FIRST_REPORT)
        reasons[0].append(
            f"{FIRST_REPORT}: the first report's figure is everything counted since the invasion began "
            f"on {INVASION_START.isoformat()}, not the difference of two reports"
        )
    lineages = [row[5] for row in observations]
    for i in range(1, len(points)):
        if lineages[i] != lineages[i - 1]:
            flags[i].append(LINEAGE_CHANGE)
            reasons[i].append(
                f"{LINEAGE_CHANGE}: the total moves from {lineages[i - 1]} to "
                f"{lineages[i]}: the increment spans a change of categories"
            )
    disputed = attrs.get("disputed") or {}
    for i, p in enumerate(points):
        if p.report_date in disputed:
            flags[i].append(DISPUTED)
            reasons[i].append(f"{DISPUTED}: {disputed[p.report_date]}")
        elif i and points[i - 1].report_date in disputed:
            flags[i].append(DISPUTED)
            reasons[i].append(f"{DISPUTED}: the increment rests on the disputed total of {points[i - 1].report_date}")
    rules = DOUBTFUL_RULES | {LINEAGE_CHANGE, FIRST_REPORT, DISPUTED}
    one_day = dt.timedelta(days=1)
    for i, p in enumerate(points):
        if i:
            increment: float | None = float(p.value - points[i - 1].value - p.adjustment)
            span: float | None = float((p.report_date - points[i - 1].report_date).days)
        else:
            increment = float(p.value - p.adjustment) if first_report else None
            span = 1.0 if first_report else None
        covered = p.report_date - one_day
        out.rows.append(
            {
                "date": p.report_date if by == BY_REPORT else covered,
                "report_date": p.report_date,
                "total": p.value,
                "increment": increment,
                "span_days": span,
                "adjustment": p.adjustment,
                "flags": ";".join(flags[i]),
                "flag_reasons": " | ".join(reasons[i]),
                "doubtful": bool(set(flags[i]) & rules) or (span or 0) > 1,
            }
        )
    return out


def between_rows(daily: DailyRows, since: dt.date | None, until: dt.date | None) -> DailyRows:
    """The rows whose date lies in [since, until] (tracker.analysis.series.between)."""
    rows = [r for r in daily.rows if (since is None or r["date"] >= since) and (until is None or r["date"] <= until)]
    return DailyRows(rows, dict(daily.attrs))


# --- records (tracker.analysis.record_frames adapts these to DataFrames) -------------------------


@dataclass(frozen=True)
class RowRecords:
    """What `tracker records` shows: every record table, its note, the days counted and left out."""

    counted_days: int
    excluded: Table
    tables: dict[str, Table]
    notes: dict[str, str]


@dataclass(frozen=True)
class RowRecord:
    """One record's rows and its note (what it was the highest of)."""

    rows: list[Row]
    note: str


@dataclass(frozen=True)
class PeriodRecord:
    """The deadliest month or year: every period (in order, each with its `position` among them),
    the best eligible one (none or one of them), the ones left out with a `reason`, the note."""

    periods: list[Row]
    best: list[Row]
    excluded: list[Row]
    note: str


def split_rows(daily: DailyRows, include_flagged: bool) -> tuple[list[Row], list[Row]]:
    """(counted days, excluded days with a `reason`): what records may use, and what not.

    A day without an increment (the first report of a category that appeared later) is never
    counted; a doubtful day is counted only with include_flagged. Both keep the series' order."""
    counted, excluded = [], []
    for r in daily.rows:
        if r["increment"] is None:
            excluded.append({**r, "reason": NO_INCREMENT_REASON})
        elif r["doubtful"] and not include_flagged:
            reason = r["flag_reasons"]
            span = r["span_days"]
            if span is not None and span > 1 and "gap" not in r["flags"]:
                reason = (reason + " | " + f"spans {int(span)} days").removeprefix(" | ")
            excluded.append({**r, "reason": reason or "doubtful"})
        else:
            counted.append(r)
    return counted, excluded


def _ranked(counted: list[Row]) -> list[Row]:
    """Highest increment first, the earlier date first among equals."""
    return sorted(counted, key=lambda r: (-r["increment"], r["date"]))


ROW_COLUMNS = ["date", "report_date", "increment", "total", "flags"]
PROGRESSION_COLUMNS = ["date", "report_date", "increment", "total", "previous_date", "previous_increment", "margin",
                       "flags"]  # fmt: skip
WINDOW_COLUMNS = ["start", "end", "days", "total", "daily_average"]
PERIOD_RECORD_COLUMNS = ["period", "start", "end", "days", "total", "daily_average", "complete", "flagged_days"]
STREAK_COLUMNS = ["start", "end", "days", "total", "minimum", "current"]
MILESTONE_COLUMNS = ["milestone", "date", "report_date", "total", "increment", "flags"]


def _quantile(values: list[float], q: float) -> float:
    """numpy's linear quantile (as Series.quantile), to the last bit: the same operations."""
    ordered = sorted(values)
    n = len(ordered)
    virtual = (n - 1) * q
    below = math.floor(virtual)
    a = ordered[max(min(below, n - 1), 0)]
    b = ordered[max(min(below + 1, n - 1), 0)]
    gamma = virtual - below
    diff = b - a
    return b - diff * (1 - gamma) if gamma >= 0.5 else a + diff * gamma


def default_threshold(counted: list[Row]) -> int:
    """The 90th percentile of counted increments, rounded down to two significant digits."""
    if not counted:
        return 1
    q = _quantile([r["increment"] for r in counted], STREAK_DEFAULT_QUANTILE)
    if q < 1:
        return 1
    magnitude = 10 ** max(int(math.floor(math.log10(q))) - 1, 0)
    return int(q // magnitude * magnitude)


def _count(n: int, word: str) -> str:
    """'1 day', '1,537 days': a count with its noun in the right number."""
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def deadliest_day_record(counted: list[Row]) -> RowRecord:
    """The day with the highest increment (the earliest if tied): a counted row, or none."""
    if not counted:
        return RowRecord([], "no day counted")
    return RowRecord(_ranked(counted)[:1], f"highest of {_count(len(counted), 'day')} counted")


def progression_record(counted: list[Row]) -> RowRecord:
    """Each day that set a new record, with the previous peak (previous_date, previous_increment)
    and the margin (None on the first record)."""
    rows: list[Row] = []
    peak: Row | None = None
    for r in counted:
        if peak is None or r["increment"] > peak["increment"]:
            rows.append(
                {
                    **r,
                    "previous_date": peak["date"] if peak else None,
                    "previous_increment": peak["increment"] if peak else None,
                    "margin": r["increment"] - peak["increment"] if peak else None,
                }
            )
            peak = r
    return RowRecord(rows, f"{_count(len(rows), 'record')} among {_count(len(counted), 'day')} counted")


def top_days_record(counted: list[Row], n: int) -> RowRecord:
    """The n counted rows with the highest increments, each with its `rank`."""
    rows = [{**r, "rank": i} for i, r in enumerate(_ranked(counted)[: max(n, 0)], start=1)]
    return RowRecord(rows, f"top {len(rows)} of {_count(len(counted), 'day')} counted")


def _calendar(counted: list[Row]) -> tuple[list[Any], list[float | None]]:
    """Counted increments on a complete calendar (None where a day is missing or excluded); the
    days are of the rows' date type (dt.date, or pd.Timestamp from tracker.analysis)."""
    if not counted:
        return [], []
    by_day = {r["date"]: r["increment"] for r in counted}
    first, last = min(by_day), max(by_day)
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    return days, [by_day.get(d) for d in days]


def window_record(counted: list[Row], days: int) -> RowRecord:
    """The `days` consecutive days with the highest total; only windows of counted days."""
    if days < 1 or days != int(days):
        raise ValueError(f"a window is a whole number of days, at least 1, not {days!r}")
    cal, values = _calendar(counted)
    best: tuple[float, int] | None = None
    windows = 0
    for end in range(days - 1, len(values)):
        span = values[end - days + 1 : end + 1]
        if any(v is None for v in span):
            continue
        windows += 1
        total = float(sum(v for v in span if v is not None))
        if best is None or total > best[0]:
            best = (total, end)
    if best is None:
        return RowRecord([], f"no {days} consecutive counted days")
    total, end = best
    row = {"start": cal[end] - dt.timedelta(days=days - 1), "end": cal[end], "days": days, "total": total,
           "daily_average": total / days}  # fmt: skip
    return RowRecord(
        [row],
        f"highest of {windows:,} windows of {days} consecutive counted days; "
        "windows touching an excluded or missing day are left out",
    )


def _period_days(key: tuple[int, ...]) -> int:
    if len(key) == 1:
        return (dt.date(key[0] + 1, 1, 1) - dt.date(key[0], 1, 1)).days
    year, month = key
    following = dt.date(year + (month == 12), month % 12 + 1, 1)
    return (following - dt.date(year, month, 1)).days


def period_record(daily: DailyRows, period: str, include_flagged: bool) -> PeriodRecord:
    """The calendar month or year with the highest total (of its days' increments).

    A period holding doubtful days is left out unless include_flagged (its total rests on
    figures that are not one-day counts); the excluded periods come with the reason."""
    if period not in ("month", "year"):
        raise ValueError("period must be 'month' or 'year'")
    groups: dict[tuple[int, ...], list[Row]] = {}
    for r in daily.rows:
        if r["increment"] is not None:
            d = r["date"]
            groups.setdefault((d.year, d.month) if period == "month" else (d.year,), []).append(r)
    periods: list[Row] = []
    for key in sorted(groups):
        rows = groups[key]
        days = int(sum(r["span_days"] or 0 for r in rows))
        total = float(sum(r["increment"] for r in rows))
        names: set[str] = set()
        for r in rows:
            if r["doubtful"]:
                names.update(f for f in r["flags"].split(";") if f)
                if r["span_days"] is not None and r["span_days"] > 1:
                    names.add("gap")
        periods.append(
            {
                "period": "-".join(f"{k:02d}" if i else f"{k:04d}" for i, k in enumerate(key)),
                "start": min(r["date"] for r in rows),
                "end": max(r["date"] for r in rows),
                "days": days,
                "total": total,
                "daily_average": total / days,
                "complete": days >= _period_days(key),
                "flagged_days": sum(1 for r in rows if r["doubtful"]),
                "names": sorted(names),
                "position": len(periods),
            }
        )
    excluded, eligible = [], []
    for p in periods:
        n = p["flagged_days"]
        if n > 0 and not include_flagged:
            reason = f"contains {n} doubtful day{'s' if n > 1 else ''} ({', '.join(p['names'])})"
            excluded.append({**p, "reason": reason})
        else:
            eligible.append(p)
    best = sorted(eligible, key=lambda p: (-p["total"], p["start"]))[:1]
    note = f"highest of {_count(len(eligible), period)} counted"
    if best and not best[0]["complete"]:
        note += f"; that {period} is incomplete"
    return PeriodRecord(periods, best, excluded, note)


def streak_record(counted: list[Row], threshold: float) -> RowRecord:
    """Every run of consecutive days at or above `threshold`, longest first (then the larger
    total). A missing or excluded day ends a run: a streak is only as long as the days we can
    vouch for. The caller keeps the top ones; the note counts them all."""
    cal, values = _calendar(counted)
    runs: list[Row] = []
    start: int | None = None
    last = len(values) - 1
    for i, v in enumerate(values):
        hit = v is not None and v >= threshold
        if hit and start is None:
            start = i
        if (not hit or i == last) and start is not None:
            end = i if hit else i - 1
            span = [x for x in values[start : end + 1] if x is not None]
            runs.append(
                {"start": cal[start], "end": cal[end], "days": end - start + 1, "total": float(sum(span)),
                 "minimum": float(min(span)), "current": hit and i == last}
            )  # fmt: skip
            start = None
    ranked = sorted(runs, key=lambda r: (-r["days"], -r["total"]))
    return RowRecord(ranked, f"{len(runs)} runs of days at or above {threshold:,g}")


def milestone_record(daily: DailyRows, step: int) -> RowRecord:
    """The report on which each multiple of `step` was first passed (by the cumulative total),
    each row with its `milestone`; no day is left out (milestones rest on totals)."""
    if step <= 0:
        raise ValueError("milestone step must be positive")
    rows: list[Row] = []
    reached = 0
    note = f"every {step:,} passed"
    if daily.rows:
        # A series that starts late (a sample from 2024-03-31) passed its earlier milestones before
        # its first report: they were not passed on that day. Its increment, where known, says
        # what that day added.
        first = daily.rows[0]
        before = first["total"] - (first["increment"] if first["increment"] is not None else 0)
        reached = max(int(before // step), 0)
        if reached:
            note += (
                f"; {step:,}–{reached * step:,} passed before the first report here ({str(first['date'])[:10]}), left out"
                if reached > 1
                else f"; {step:,} passed before the first report here ({str(first['date'])[:10]}), left out"
            )
    for r in daily.rows:
        while r["total"] >= (reached + 1) * step:
            reached += 1
            rows.append({**r, "milestone": reached * step})
    return RowRecord(rows, note)


def excluded_summary_rows(excluded: Table) -> Table:
    """The days left out of the day records, counted by reason (a day may have several): the
    reason's name, what it means, how many days, the first and last of them."""
    counts: dict[str, list[Any]] = {}
    for r in excluded.rows:
        names = [f for f in str(r["flags"] or "").split(";") if f in REASON_TEXT]
        if r["increment"] is None:
            names = ["no_increment"]
        elif r["span_days"] is not None and r["span_days"] > 1 and "gap" not in names:
            names.append("span")
        for name in names or ["other"]:
            counts.setdefault(name, []).append(r["date"])
    rows = [
        {"reason": name, "meaning": REASON_TEXT[name], "days": len(counts[name]), "first": min(counts[name]),
         "last": max(counts[name])}
        for name in REASON_TEXT
        if name in counts
    ]  # fmt: skip
    return table(rows, SUMMARY_COLUMNS)


def record_rows(
    daily: DailyRows, *, top: int, streak_threshold: float, milestone_step: int, include_flagged: bool
) -> RowRecords:
    """Every record `tracker records` shows, as tracker.analysis.record_frames.records gives them."""
    counted, excluded = split_rows(daily, include_flagged)
    window_name = f"deadliest_{DEADLIEST_WINDOW_DAYS}_days"
    month = period_record(daily, "month", include_flagged)
    year = period_record(daily, "year", include_flagged)
    streaks = streak_record(counted, streak_threshold)
    shown = {
        "deadliest_day": (deadliest_day_record(counted), ROW_COLUMNS),
        "record_progression": (progression_record(counted), PROGRESSION_COLUMNS),
        "top_days": (top_days_record(counted, top), ["rank", *ROW_COLUMNS]),
        window_name: (window_record(counted, DEADLIEST_WINDOW_DAYS), WINDOW_COLUMNS),
        "deadliest_month": (RowRecord(month.best, month.note), PERIOD_RECORD_COLUMNS),
        "deadliest_year": (RowRecord(year.best, year.note), PERIOD_RECORD_COLUMNS),
        "streaks": (RowRecord(streaks.rows[: max(top, 0)], streaks.note), STREAK_COLUMNS),
        "milestones": (milestone_record(daily, milestone_step), MILESTONE_COLUMNS),
    }
    tables = {name: table(record.rows, columns) for name, (record, columns) in shown.items()}
    tables["excluded_months"] = table(month.excluded, [*PERIOD_RECORD_COLUMNS, "reason"])
    tables["excluded_years"] = table(year.excluded, [*PERIOD_RECORD_COLUMNS, "reason"])
    notes = {name: record.note for name, (record, _) in shown.items()}
    return RowRecords(len(counted), table(excluded, EXCLUDED_COLUMNS), tables, notes)


def records_of(
    daily: DailyRows,
    *,
    metric: str,
    top: int = 10,
    streak_threshold: float | None = None,
    milestone_step: int | None = None,
    include_flagged: bool = False,
) -> tuple[RowRecords, float, int]:
    """(every record, the streak threshold and milestone step used): record_rows with their
    defaults filled in, the threshold from the counted days and the step from the metric."""
    from tracker.domain import METRICS

    threshold = (
        streak_threshold if streak_threshold is not None else default_threshold(split_rows(daily, include_flagged)[0])
    )
    step = milestone_step or METRICS[metric].milestone_step
    found = record_rows(
        daily, top=top, streak_threshold=threshold, milestone_step=step, include_flagged=include_flagged
    )
    return found, threshold, step
