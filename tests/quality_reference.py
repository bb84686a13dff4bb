"""The validation rules as they were before issue 12 made them fast: the reference that
tests/test_quality_equivalence.py compares `tracker.ingest.rules.check_series` with, finding for
finding, and that bench/bench_quality.py times as "before".

Test code only: a verbatim copy of the per-point implementation (check_series and its rule
functions). Thresholds, Point and Finding are imported from tracker.ingest.rules, so a tuned
constant changes both implementations alike and the comparison stays about the algorithm.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Sequence
from typing import cast

from tracker.ingest.rules import (
    CATCH_UP,
    CATCH_UP_MIN_CONTEXT,
    CATCH_UP_MIN_FACTOR,
    CATCH_UP_MIN_NONZERO_SHARE,
    CATCH_UP_MIN_TYPICAL,
    CATCH_UP_WINDOW,
    COARSE,
    COARSE_MAX_REACH,
    COARSE_MIN_DISTINCT,
    COARSE_MIN_HALF_SHARE,
    COARSE_MIN_MULTIPLE,
    COARSE_MIN_SHARE,
    COARSE_UNITS,
    COARSE_WINDOW,
    DECREASE,
    FIRST_REPORT_DATE,
    FUTURE_DATE,
    GAP,
    INCREASE_MISMATCH,
    INFO,
    MAD_TO_SIGMA,
    OUTLIER,
    OUTLIER_DISPERSION,
    OUTLIER_MAX_ZERO_SHARE,
    OUTLIER_MIN_ABS_DEVIATION,
    OUTLIER_MIN_NEIGHBOURS,
    OUTLIER_MIN_RELATIVE,
    OUTLIER_MIN_SCALE,
    OUTLIER_NEIGHBOURS,
    OUTLIER_SPARSE_WINDOW,
    OUTLIER_Z,
    RULES,
    USUAL_PRECISION_SHARE,
    WARNING,
    Finding,
    Point,
)

# How a rule reports a finding: add(index of the point, rule, severity, message).
AddFinding = Callable[[int, str, str, str], None]


def increments(points: Sequence[Point]) -> list[int | None]:
    """Daily increments of a series: difference of totals minus the documented adjustment.

    None where undefined: the first report of a category that appeared after the invasion's
    first report. An increment after missing reports spans several days (see `gap`).
    """
    out: list[int | None] = []
    prev: Point | None = None
    for p in points:
        if prev is None:
            out.append(p.value - p.adjustment if p.report_date == FIRST_REPORT_DATE else None)
        else:
            out.append(p.value - prev.value - p.adjustment)
        prev = p
    return out


def check_series(metric: str, points: Sequence[Point], *, today: dt.date) -> list[Finding]:
    """All findings for one series, in report-date order; one finding per rule and date."""
    n = len(points)
    if n == 0:
        return []
    dates = [p.report_date for p in points]
    for a, b in zip(dates, dates[1:]):
        if b <= a:
            raise ValueError(
                f"{metric}: points must be sorted by report_date with unique dates"
                f" ({a.isoformat()} then {b.isoformat()})"
            )
    values = [p.value for p in points]
    incs = increments(points)
    spans = [0] + [(b - a).days for a, b in zip(dates, dates[1:])]

    found: list[tuple[int, int, Finding]] = []  # (index, rule order, finding)

    def add(i: int, rule: str, severity: str, message: str) -> None:
        found.append((i, RULES.index(rule), Finding(rule, severity, message, metric, dates[i])))

    _future_dates(dates, today, add)
    _decreases(points, add)
    _gaps(dates, spans, incs, add)
    _increase_mismatches(points, add)
    _outliers(incs, spans, add)
    _coarse(values, [p.qualifier for p in points], add)
    _catch_ups(incs, spans, add)
    found.sort(key=lambda t: (t[0], t[1]))
    return [f for _, _, f in found]


def _fmt(n: float) -> str:
    return f"{n:+,}" if isinstance(n, int) else f"{n:+,.1f}"


def _future_dates(dates: Sequence[dt.date], today: dt.date, add: AddFinding) -> None:
    """A report dated after today is a typo or a clock error: nothing can report the future."""
    for i, d in enumerate(dates):
        if d > today:
            add(i, FUTURE_DATE, WARNING, f"report date {d.isoformat()} is after today ({today.isoformat()})")


def _decreases(points: Sequence[Point], add: AddFinding) -> None:
    """Cumulative totals should never fall: a fall is a correction, documented or not.

    A fall fully explained by a documented negative adjustment is info; otherwise a warning.
    A documented adjustment larger than the change of the total leaves a negative increment:
    also a warning, since the correction and the totals do not agree.
    """
    for i in range(1, len(points)):
        prev, p = points[i - 1], points[i]
        diff = p.value - prev.value
        net = diff - p.adjustment
        if diff < 0:
            if net >= 0:
                add(
                    i,
                    DECREASE,
                    INFO,
                    f"total fell from {prev.value:,} to {p.value:,} ({_fmt(diff)}), explained "
                    f"by a documented adjustment of {_fmt(p.adjustment)}",
                )
            else:
                extra = f" (documented adjustment {_fmt(p.adjustment)} explains only part)" if p.adjustment else ""
                add(
                    i,
                    DECREASE,
                    WARNING,
                    f"total fell from {prev.value:,} to {p.value:,} ({_fmt(diff)}) since "
                    f"{prev.report_date.isoformat()}: an undocumented correction{extra}",
                )
        elif net < 0:
            add(
                i,
                DECREASE,
                WARNING,
                f"documented adjustment {_fmt(p.adjustment)} exceeds the change of the total "
                f"({prev.value:,} to {p.value:,}, {_fmt(diff)}): the increment is {_fmt(net)}",
            )


def _gaps(dates: Sequence[dt.date], spans: Sequence[int], incs: Sequence[int | None], add: AddFinding) -> None:
    """Missing report dates: the next increment spans them, so it is not a one-day figure."""
    for i in range(1, len(dates)):
        if spans[i] > 1:
            missing = spans[i] - 1
            inc = incs[i]
            add(
                i,
                GAP,
                WARNING,
                f"{missing} report date{'s' if missing > 1 else ''} missing between "
                f"{dates[i - 1].isoformat()} and {dates[i].isoformat()}: the increment "
                f"{_fmt(inc) if inc is not None else ''} spans {spans[i]} days".replace("  ", " "),
            )


def _increase_mismatches(points: Sequence[Point], add: AddFinding) -> None:
    """The feed's reported daily increase should equal the difference of totals.

    They disagree after a correction: both are kept and the disagreement is flagged (info when
    the documented adjustment accounts for it exactly).
    """
    for i, p in enumerate(points):
        if p.reported_increase is None:
            continue
        if i == 0:
            if p.report_date != FIRST_REPORT_DATE:
                continue
            diff = p.value
        else:
            diff = p.value - points[i - 1].value
        if p.reported_increase == diff:
            continue
        if p.adjustment and p.reported_increase == diff - p.adjustment:
            add(
                i,
                INCREASE_MISMATCH,
                INFO,
                f"reported increase {_fmt(p.reported_increase)} differs from the difference of "
                f"totals {_fmt(diff)} by the documented adjustment {_fmt(p.adjustment)}",
            )
        else:
            add(
                i,
                INCREASE_MISMATCH,
                WARNING,
                f"reported increase {_fmt(p.reported_increase)} but the totals differ by {_fmt(diff)}",
            )


def _median_sorted(s: Sequence[float]) -> float:
    k = len(s)
    h = k // 2
    return float(s[h]) if k % 2 else (s[h - 1] + s[h]) / 2


def _outliers(incs: Sequence[int | None], spans: Sequence[int], add: AddFinding) -> None:
    """An increment far from its neighbours, by a robust rule, is likely not one day's losses.

    Median and MAD of up to OUTLIER_NEIGHBOURS one-day increments on each side (the point
    itself excluded, so a spike cannot hide itself). Flagged only when the robust z exceeds
    OUTLIER_Z AND the deviation exceeds OUTLIER_MIN_RELATIVE local medians AND
    OUTLIER_MIN_ABS_DEVIATION, and not in an event-driven stretch (OUTLIER_MAX_ZERO_SHARE):
    real heavy days, strikes and +1s in sparse categories stay unflagged. Increments spanning
    missing reports are left to `gap` and are not used as neighbours.
    """
    # Indices of one-day increments (defined, span <= 1).
    idx = [i for i, x in enumerate(incs) if x is not None and spans[i] <= 1]
    vals = [cast(int, incs[i]) for i in idx]  # idx keeps only defined increments
    m = len(idx)
    k = OUTLIER_NEIGHBOURS
    for j in range(m):
        x = vals[j]
        neighbours = vals[max(0, j - k) : j] + vals[j + 1 : j + 1 + k]
        if len(neighbours) < OUTLIER_MIN_NEIGHBOURS:
            continue
        neighbours.sort()
        med = _median_sorted(neighbours)
        dev = abs(x - med)
        if dev < OUTLIER_MIN_ABS_DEVIATION or dev <= OUTLIER_MIN_RELATIVE * abs(med):
            continue
        mad = _median_sorted(sorted(abs(v - med) for v in neighbours))
        scale = max(MAD_TO_SIGMA * mad, (OUTLIER_DISPERSION * abs(med)) ** 0.5, OUTLIER_MIN_SCALE)
        z = dev / scale
        if z <= OUTLIER_Z:
            continue
        wide = vals[max(0, j - OUTLIER_SPARSE_WINDOW) : j + 1 + OUTLIER_SPARSE_WINDOW]
        if wide.count(0) > OUTLIER_MAX_ZERO_SHARE * (len(wide) - 1):
            continue
        i = idx[j]
        add(
            i,
            OUTLIER,
            WARNING,
            f"increment {_fmt(x)} is far from its neighbours (median {med:,.0f} of "
            f"{len(neighbours)} nearby days, robust z {z:.1f}): likely not one day's losses",
        )


def _usual_unit(values: Sequence[int]) -> int:
    """The coarsest unit (1 or one of COARSE_UNITS) that nearly all totals are multiples of."""
    usual = 1
    nonzero = [v for v in values if v]
    if not nonzero:
        return usual
    for unit in COARSE_UNITS:
        share = sum(1 for v in nonzero if v % unit == 0) / len(nonzero)
        if share >= USUAL_PRECISION_SHARE:
            usual = unit
        else:
            break
    return usual


def _distinct_side(values: Sequence[int], i: int, step: int, floor: int) -> list[int]:
    """Up to COARSE_WINDOW distinct totals >= floor from i going one way (i included)."""
    seen: list[int] = []
    j, n = i, len(values)
    while 0 <= j < n and abs(j - i) <= COARSE_MAX_REACH and len(seen) < COARSE_WINDOW:
        x = values[j]
        if x >= floor and x not in seen:
            seen.append(x)
        j += step
    return seen


def _rounded_stretch(side: list[int], unit: int) -> float | None:
    """Share of `side` rounded to `unit` if the side is a rounded stretch, else None."""
    if len(side) < COARSE_MIN_DISTINCT:
        return None
    whole = sum(1 for x in side if x % unit == 0)
    half = sum(1 for x in side if x % (unit // 2) == 0)
    share = whole / len(side)
    if share >= COARSE_MIN_SHARE and whole >= COARSE_MIN_HALF_SHARE * half:
        return share
    return None


def _coarse_reason(values: Sequence[int], i: int, units: list[int]) -> str | None:
    v = values[i]
    candidates = [u for u in units if v >= COARSE_MIN_MULTIPLE * u and v % u == 0]
    for unit in reversed(candidates):  # the coarsest unit that makes a stretch
        floor = COARSE_MIN_MULTIPLE * unit
        for step, where in ((-1, "before"), (1, "after")):
            side = _distinct_side(values, i, step, floor)
            share = _rounded_stretch(side, unit)
            if share is not None:
                return (
                    (
                        f"total {v:,} is rounded to {unit:,}s, as are {share:.0%} of the "
                        f"{len(side)} distinct totals up to it {where}: a roundup, not a count"
                    )
                    .replace("up to it before", "up to it")
                    .replace("up to it after", "from it on")
                )
    return None


def _coarse(values: Sequence[int], qualifiers: Sequence[str | None], add: AddFinding) -> None:
    """Rounded roundups and unusual qualifiers: the total is an estimate, not a count.

    Early reports gave round figures ("about 12,000") that stayed flat for days and then
    jumped: their increments are re-estimates, not days. A total is coarse when it is rounded
    to a unit coarser than the series' usual precision inside a stretch of totals rounded the
    same way (see COARSE_*). A qualifier other than the series' usual one ("more" where the
    series says "about") also marks a roundup. The report right after a roundup is flagged
    too: its increment is measured from the rounded total, so it is not a one-day figure.
    """
    n = len(values)
    usual = _usual_unit(values)
    units = [u for u in COARSE_UNITS if u > usual]
    usual_q = Counter(qualifiers).most_common(1)[0][0] if n else None
    own: list[str | None] = []
    for i, v in enumerate(values):
        reasons = []
        rounded = _coarse_reason(values, i, units) if units and v % units[0] == 0 else None
        if rounded:
            reasons.append(rounded)
        q = qualifiers[i]
        if q != usual_q:
            reasons.append(f"qualifier {q!r} differs from the series' usual {usual_q!r}")
        own.append("; ".join(reasons) if reasons else None)
    for i in range(n):
        mine = own[i]
        reasons = [mine] if mine else []
        if i > 0 and own[i - 1]:
            reasons.append(f"the increment is measured from the previous total {values[i - 1]:,}, itself a roundup")
        if reasons:
            add(i, COARSE, INFO, "; ".join(reasons))


def _catch_ups(incs: Sequence[int | None], spans: Sequence[int], add: AddFinding) -> None:
    """A jump after flat days, where increments are usually non-zero, covers those days too.

    Only where the nearby increments (CATCH_UP_WINDOW each side, the flat run and the jump
    excluded) are nearly all non-zero and a typical day is large enough that a zero day is
    implausible by chance: zero days of aircraft or ships are normal, not flat runs. The jump
    must be at least CATCH_UP_MIN_FACTOR typical days to count.
    """
    n = len(incs)
    for i in range(1, n):
        x = incs[i]
        if x is None or x <= 0 or incs[i - 1] != 0:
            continue
        start = i - 1
        while start - 1 >= 0 and incs[start - 1] == 0:
            start -= 1
        flat = i - start
        before = [v for v in incs[max(0, start - CATCH_UP_WINDOW) : start] if v is not None]
        after = [v for v in incs[i + 1 : i + 1 + CATCH_UP_WINDOW] if v is not None]
        context = before + after
        if len(context) < CATCH_UP_MIN_CONTEXT:
            continue
        nonzero = sorted(v for v in context if v != 0)
        if len(nonzero) < CATCH_UP_MIN_NONZERO_SHARE * len(context):
            continue
        typical = _median_sorted(nonzero)
        if typical < CATCH_UP_MIN_TYPICAL or x < CATCH_UP_MIN_FACTOR * typical:
            continue
        days = sum(max(1, s) for s in spans[start : i + 1])  # the flat run and the jump
        add(
            i,
            CATCH_UP,
            WARNING,
            f"jump {_fmt(x)} after {flat} flat day{'s' if flat > 1 else ''} (increment 0) where "
            f"nearby days usually rise (typical {typical:,.0f}): likely covers {days} days "
            f"(about {x / typical:.1f} typical days)",
        )
