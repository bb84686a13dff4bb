"""Validation rules: turn a cumulative series of reports into findings (flags with reasons).

A figure is a claim, not a fact: these rules never change a value, they only say what looks
wrong and why, so that records can leave doubtful points out *and say so*. Every rule is
general (no date or value is special-cased) and its thresholds are the named constants below.

Pure Python on purpose: the ingest calls `check_series` after every changed payload for every
series (~20 series, ~22,000 points), so it must be fast and importable without pandas.

Increments are differences between consecutive reports, minus the documented adjustment the
later report includes (a correction is not a loss). The first report of a series has an
increment only if it is dated the day after the invasion start (the totals count from then);
a category that appeared later has none.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import compress, repeat
from operator import and_, attrgetter, eq, ge, gt, is_not, itemgetter, le, lt, mod, ne, not_, sub
from typing import NamedTuple, cast

from tracker.domain import INVASION_START

__all__ = [
    "Point",
    "Finding",
    "DOUBTFUL_RULES",
    "RULES",
    "check_series",
    "check_columns",
    "increments",
    "WARNING",
    "INFO",
]

WARNING = "warning"
INFO = "info"

DECREASE = "decrease"
GAP = "gap"
FUTURE_DATE = "future_date"
INCREASE_MISMATCH = "increase_mismatch"
OUTLIER = "outlier"
COARSE = "coarse"
CATCH_UP = "catch_up"

RULES: tuple[str, ...] = (DECREASE, GAP, FUTURE_DATE, INCREASE_MISMATCH, OUTLIER, COARSE, CATCH_UP)
# Rules whose point is not a trustworthy one-day figure: records leave these out by default.
DOUBTFUL_RULES: frozenset[str] = frozenset({COARSE, CATCH_UP, OUTLIER})

FIRST_REPORT_DATE = INVASION_START + dt.timedelta(days=1)

# --- outlier: robust z-score of an increment against its neighbours ------------------------
OUTLIER_NEIGHBOURS = 7  # one-day increments taken on each side (the point itself excluded)
OUTLIER_MIN_NEIGHBOURS = 6  # fewer than this and there is nothing to compare with
MAD_TO_SIGMA = 1.4826  # MAD * this estimates a standard deviation
OUTLIER_Z = 4.0  # robust z = |x - median| / scale, scale = max(MAD_TO_SIGMA * MAD, floors)
# ... AND the deviation must exceed this many local medians (1.0: at least double a typical
# day), so real heavy days (+30-50 % on the usual, the record days of late 2024) stay unflagged.
OUTLIER_MIN_RELATIVE = 1.0
OUTLIER_MIN_ABS_DEVIATION = 5  # ... AND never for a deviation smaller than this
# Floors of the scale. Equipment is lost in bursts (a column, a depot), so the day-to-day
# noise of a count is taken as OUTLIER_DISPERSION times Poisson noise: sqrt(10 * median).
OUTLIER_DISPERSION = 10.0
OUTLIER_MIN_SCALE = 1.0
# Event-driven stretches, where many days are zero (aircraft, ships, cruise missiles between
# strikes), have no typical day to be an outlier against: a burst is their nature. Judged on
# a wider window so that one strike amid quiet weeks is not called an outlier.
OUTLIER_SPARSE_WINDOW = 30  # increments on each side
OUTLIER_MAX_ZERO_SHARE = 0.2

# --- coarse: rounded roundups -----------------------------------------------------------
# A total is coarse when it is a multiple of a unit coarser than the series' usual precision
# (personnel is always given to the nearest 10; hundreds are coarse), it is at least
# COARSE_MIN_MULTIPLE units, and it sits in a stretch of rounded totals: among the
# COARSE_WINDOW distinct totals before it or after it (itself included), most are multiples
# of the unit AND nearly all of those that are multiples of the half unit are multiples of the
# unit too. The second test tells "rounded to 100s" from "given to 50s" (where half the totals
# are round hundreds by chance); one-sided windows catch the first and last points of a stretch.
COARSE_UNITS = (10, 100, 1000, 10_000)
COARSE_MIN_MULTIPLE = 10  # e.g. hundreds are judged only for totals >= 1,000
COARSE_WINDOW = 8  # distinct totals on one side, the point itself included
COARSE_MAX_REACH = 30  # reports looked at on one side at most (flat runs repeat totals)
COARSE_MIN_DISTINCT = 4  # at least this many distinct totals on a side to judge it
COARSE_MIN_SHARE = 0.6  # share of those distinct totals that are multiples of the unit
COARSE_MIN_HALF_SHARE = 0.9  # share of the half-unit multiples that are whole-unit multiples
# The usual precision is the coarsest unit that at least this share of the totals share.
USUAL_PRECISION_SHARE = 0.9

# --- catch_up: a jump after flat days ----------------------------------------------------
CATCH_UP_WINDOW = 14  # increments on each side used to judge what is usual nearby
CATCH_UP_MIN_NONZERO_SHARE = 0.9  # nearby increments usually non-zero (else zeros are normal)
# A typical day below this many makes a zero day plausible by chance (Poisson: e^-5 < 1 %).
CATCH_UP_MIN_TYPICAL = 5
CATCH_UP_MIN_CONTEXT = 7  # nearby increments needed to judge
CATCH_UP_MIN_FACTOR = 1.5  # the jump is at least this many typical (median non-zero) days


@dataclass(frozen=True, slots=True)
class Point:
    """One report of a cumulative series (sorted by report_date, unique dates)."""

    report_date: dt.date
    value: int
    qualifier: str | None = None
    reported_increase: int | None = None  # the daily increase the feed reported, if any
    adjustment: int = 0  # documented correction included in this report's total


@dataclass(frozen=True, slots=True)
class Finding:
    """What looked wrong at one point of a series, and why, with the numbers."""

    rule: str
    severity: str  # "warning" or "info"
    message: str
    metric: str | None = None
    report_date: dt.date | None = None


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


# Fast paths. check_series runs once per changed series after every payload, over up to ~10
# million points in one ingest, so each rule does its per-point work in C (map, compress,
# accumulate, min/max over lists) and runs Python code only where a finding is possible. Every
# shortcut below is a proof that a rule cannot fire, never an approximation: the findings are
# those of the straightforward per-point rules (tests/quality_reference.py keeps them, and
# tests/test_quality_equivalence.py compares the two on the real data and random series).

_ORDER = {rule: k for k, rule in enumerate(RULES)}
_NRULES = len(RULES)
_DATE = attrgetter("report_date")
_VALUE = attrgetter("value")
_QUALIFIER = attrgetter("qualifier")
_REPORTED = attrgetter("reported_increase")
_ADJUSTMENT = attrgetter("adjustment")
# Increments below this size in magnitude make every float the outlier rule computes (medians of
# two ints, deviations) exact, so a bound proven on integers holds for the floats too.
_EXACT = 2**50
_OUTLIER_BLOCK = 32  # increments judged together by one bound on their neighbourhood
# The fewest whole-unit totals a side of COARSE_MIN_DISTINCT..COARSE_WINDOW distinct totals
# needs to reach COARSE_MIN_SHARE (3 of 4 at 0.6), and a side of COARSE_WINDOW (5 of 8).
_COARSE_MIN_WHOLE = min(
    (
        w
        for size in range(max(1, COARSE_MIN_DISTINCT), COARSE_WINDOW + 1)
        for w in range(size + 1)
        if w / size >= COARSE_MIN_SHARE
    ),
    default=COARSE_WINDOW + 1,
)
_COARSE_FULL_WHOLE = min(
    (w for w in range(COARSE_WINDOW + 1) if w / COARSE_WINDOW >= COARSE_MIN_SHARE), default=COARSE_WINDOW + 1
)


def check_series(metric: str, points: Sequence[Point], *, today: dt.date) -> list[Finding]:
    """All findings for one series, in report-date order; one finding per rule and date."""
    if not points:
        return []
    reported = list(map(_REPORTED, points)) if any(map(is_not, map(_REPORTED, points), repeat(None))) else None
    return check_columns(
        metric,
        list(map(_DATE, points)),
        list(map(_VALUE, points)),
        today=today,
        qualifiers=list(map(_QUALIFIER, points)),
        reported=reported,
        adjustments=list(map(_ADJUSTMENT, points)),
    )


def check_columns(
    metric: str,
    dates: list[dt.date],
    values: list[int],
    *,
    today: dt.date,
    qualifiers: list[str | None] | None = None,
    reported: list[int | None] | None = None,
    adjustments: list[int] | None = None,
) -> list[Finding]:
    """`check_series` of the points given as columns (the fields of `Point`, one list each, in
    report-date order; None: every qualifier and reported increase None, every adjustment 0),
    for a caller that holds columns and need not build a Point per report."""
    n = len(dates)
    if len(values) != n or any(c is not None and len(c) != n for c in (qualifiers, reported, adjustments)):
        raise ValueError(f"{metric}: columns of different lengths")
    if n == 0:
        return []
    if not all(map(lt, dates[:-1], dates[1:])):
        i = next(i for i in range(1, n) if dates[i] <= dates[i - 1])
        raise ValueError(
            f"{metric}: points must be sorted by report_date with unique dates"
            f" ({dates[i - 1].isoformat()} then {dates[i].isoformat()})"
        )
    # Days since the previous report (0 for the first); None: one day each, no date missing.
    spans: list[int] | None = None
    if dates[-1].toordinal() - dates[0].toordinal() != n - 1:
        ords = list(map(dt.date.toordinal, dates))
        spans = [0, *map(sub, ords[1:], ords[:-1])]
    if adjustments is None:
        adjustments = [0] * n
    diffs = list(map(sub, values[1:], values[:-1]))  # diffs[i - 1]: change of the total at i
    adjusted = adjustments.count(0) != n
    nets = list(map(sub, diffs, adjustments[1:])) if adjusted else diffs
    first = values[0] - adjustments[0] if dates[0] == FIRST_REPORT_DATE else None
    incs: list[int | None] = [first, *nets]

    found: list[tuple[int, Finding]] = []  # (index * rules + rule order, finding)

    def add(i: int, rule: str, severity: str, message: str) -> None:
        found.append((i * _NRULES + _ORDER[rule], Finding(rule, severity, message, metric, dates[i])))

    _future_dates(dates, today, add)
    _decreases(values, adjustments, dates, diffs, nets, add)
    if spans is not None:
        _gaps(dates, spans, incs, add)
    if reported is not None and reported.count(None) != n:
        _increase_mismatches(values, adjustments, reported, dates, diffs, add)
    _outliers(incs, spans, add)
    _coarse(values, [None] * n if qualifiers is None else qualifiers, diffs, add)
    if 0 in incs:
        _catch_ups(incs, nets, spans, add)
    if len(found) > 1:
        found.sort(key=itemgetter(0))
    return [f for _, f in found]


def check_documented_series(metric: str, points: Sequence[Point]) -> list[Finding]:
    """Findings for a series dated by when losses were documented (Oryx): a total that goes down
    is the source correcting itself (a duplicate removed, an entry moved to another status), so
    it is info, stored as reported; the daily rules (gaps, outliers, catch-ups) do not apply."""
    found = []
    for prev, p in zip(points, points[1:]):
        if p.value < prev.value:
            found.append(
                Finding(
                    DECREASE,
                    INFO,
                    f"total fell from {prev.value:,} to {p.value:,} ({_fmt(p.value - prev.value)}) since "
                    f"{prev.report_date.isoformat()}: the source corrected itself (a duplicate or "
                    "misidentified entry removed, or one moved to another status); stored as reported",
                    metric,
                    p.report_date,
                )
            )
    return found


def _fmt(n: float) -> str:
    return f"{n:+,}" if isinstance(n, int) else f"{n:+,.1f}"


def _future_dates(dates: list[dt.date], today: dt.date, add: AddFinding) -> None:
    """A report dated after today is a typo or a clock error: nothing can report the future."""
    for i in range(bisect_right(dates, today), len(dates)):  # dates are sorted
        d = dates[i]
        add(i, FUTURE_DATE, WARNING, f"report date {d.isoformat()} is after today ({today.isoformat()})")


def _decreases(
    values: list[int], adjustments: list[int], dates: list[dt.date], diffs: list[int], nets: list[int], add: AddFinding
) -> None:
    """Cumulative totals should never fall: a fall is a correction, documented or not.

    A fall fully explained by a documented negative adjustment is info; otherwise a warning.
    A documented adjustment larger than the change of the total leaves a negative increment:
    also a warning, since the correction and the totals do not agree.
    """
    if not diffs or (min(diffs) >= 0 and min(nets) >= 0):
        return
    at = sorted(
        {
            *compress(range(1, len(values)), map(lt, diffs, repeat(0))),
            *compress(range(1, len(values)), map(lt, nets, repeat(0))),
        }
    )
    for i in at:
        before, total, adjustment = values[i - 1], values[i], adjustments[i]
        diff = total - before
        net = diff - adjustment
        if diff < 0:
            if net >= 0:
                add(
                    i,
                    DECREASE,
                    INFO,
                    f"total fell from {before:,} to {total:,} ({_fmt(diff)}), explained "
                    f"by a documented adjustment of {_fmt(adjustment)}",
                )
            else:
                extra = f" (documented adjustment {_fmt(adjustment)} explains only part)" if adjustment else ""
                add(
                    i,
                    DECREASE,
                    WARNING,
                    f"total fell from {before:,} to {total:,} ({_fmt(diff)}) since "
                    f"{dates[i - 1].isoformat()}: an undocumented correction{extra}",
                )
        else:  # net < 0
            add(
                i,
                DECREASE,
                WARNING,
                f"documented adjustment {_fmt(adjustment)} exceeds the change of the total "
                f"({before:,} to {total:,}, {_fmt(diff)}): the increment is {_fmt(net)}",
            )


def _gaps(dates: Sequence[dt.date], spans: list[int], incs: Sequence[int | None], add: AddFinding) -> None:
    """Missing report dates: the next increment spans them, so it is not a one-day figure."""
    for i in compress(range(len(spans)), map(gt, spans, repeat(1))):
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


def _increase_mismatches(
    values: list[int],
    adjustments: list[int],
    reported: list[int | None],
    dates: list[dt.date],
    diffs: list[int],
    add: AddFinding,
) -> None:
    """The feed's reported daily increase should equal the difference of totals.

    They disagree after a correction: both are kept and the disagreement is flagged (info when
    the documented adjustment accounts for it exactly).
    """
    at: list[int] = [0] if reported[0] is not None and dates[0] == FIRST_REPORT_DATE else []
    at += compress(range(1, len(values)), map(ne, reported[1:], diffs))  # a None differs too
    for i in at:
        increase = reported[i]
        if increase is None:
            continue
        diff = diffs[i - 1] if i else values[0]
        if increase == diff:
            continue
        adjustment = adjustments[i]
        if adjustment and increase == diff - adjustment:
            add(
                i,
                INCREASE_MISMATCH,
                INFO,
                f"reported increase {_fmt(increase)} differs from the difference of "
                f"totals {_fmt(diff)} by the documented adjustment {_fmt(adjustment)}",
            )
        else:
            add(
                i,
                INCREASE_MISMATCH,
                WARNING,
                f"reported increase {_fmt(increase)} but the totals differ by {_fmt(diff)}",
            )


def _median_sorted(s: Sequence[float]) -> float:
    k = len(s)
    h = k // 2
    return float(s[h]) if k % 2 else (s[h - 1] + s[h]) / 2


def _calm(lo: int, hi: int) -> bool:
    """True when no increment in [lo, hi] can be an outlier against neighbours in [lo, hi].

    The median of such neighbours lies in [lo, hi], so an increment's deviation from it is at
    most hi - lo: below OUTLIER_MIN_ABS_DEVIATION, or (all increments >= 0) within
    OUTLIER_MIN_RELATIVE medians when hi - lo <= OUTLIER_MIN_RELATIVE * lo <= that * median.
    """
    return (
        -_EXACT < lo
        and hi < _EXACT
        and (
            hi - lo < OUTLIER_MIN_ABS_DEVIATION
            or (0 <= lo and OUTLIER_MIN_RELATIVE >= 0 and hi - lo <= OUTLIER_MIN_RELATIVE * lo)
        )
    )


# Outliers are judged point by point only above a cutoff proven safe (see `_rise_cutoff`), which
# needs every relative deviation below OUTLIER_MIN_RELATIVE medians to be harmless for a fall.
_RISE_CUTOFF_SAFE = OUTLIER_MIN_RELATIVE >= 1 and OUTLIER_Z >= 0 and OUTLIER_DISPERSION >= 0 and OUTLIER_MIN_SCALE >= 0


_RISE_CUTOFFS: dict[int, int] = {}


def _rise_cutoff(lo: int) -> int | None:
    """The largest increment that cannot be an outlier when it is >= 0 and its neighbours'
    median is at least `lo` >= 0; None when no such bound is proven (lo < 0, or too large for
    exact floats).

    An increment at or below the median deviates by
    at most the median: never an outlier (OUTLIER_MIN_RELATIVE >= 1). One above it must exceed
    (1 + OUTLIER_MIN_RELATIVE) medians, the median plus OUTLIER_MIN_ABS_DEVIATION, and the
    median plus OUTLIER_Z scales, the scale being at least sqrt(OUTLIER_DISPERSION * median)
    and OUTLIER_MIN_SCALE; each bound grows with the median, so holds at lo. The cutoff is
    rounded down with a margin so that float rounding cannot make it wrong.
    """
    if lo < 0 or lo >= _EXACT or not _RISE_CUTOFF_SAFE:
        return None
    cutoff = _RISE_CUTOFFS.get(lo)
    if cutoff is not None:
        return cutoff
    if len(_RISE_CUTOFFS) >= 4096:  # a bounded memo: the same small levels recur across series
        _RISE_CUTOFFS.clear()
    least = max(
        (1 + OUTLIER_MIN_RELATIVE) * lo, lo + OUTLIER_Z * max((OUTLIER_DISPERSION * lo) ** 0.5, OUTLIER_MIN_SCALE)
    )
    cutoff = _RISE_CUTOFFS[lo] = max(int(least * (1 - 1e-9)) - 1, lo + OUTLIER_MIN_ABS_DEVIATION - 1)
    return cutoff


def _outliers(incs: list[int | None], spans: list[int] | None, add: AddFinding) -> None:
    """An increment far from its neighbours, by a robust rule, is likely not one day's losses.

    Median and MAD of up to OUTLIER_NEIGHBOURS one-day increments on each side (the point
    itself excluded, so a spike cannot hide itself). Flagged only when the robust z exceeds
    OUTLIER_Z AND the deviation exceeds OUTLIER_MIN_RELATIVE local medians AND
    OUTLIER_MIN_ABS_DEVIATION, and not in an event-driven stretch (OUTLIER_MAX_ZERO_SHARE):
    real heavy days, strikes and +1s in sparse categories stay unflagged. Increments spanning
    missing reports are left to `gap` and are not used as neighbours.

    Judged a block of increments at a time: within a block whose increments and neighbours lie
    in a calm range (see `_calm`), or above a cutoff (see `_rise_cutoff`), only the increments
    above the cutoff can be outliers, so only they are judged point by point.
    """
    idx, vals = _one_day_increments(incs, spans)
    m = len(vals)
    if m - 1 < OUTLIER_MIN_NEIGHBOURS or _calm(min(vals), max(vals)):
        return
    for s in range(0, m, _OUTLIER_BLOCK):
        for j in _judged(vals, s, min(m, s + _OUTLIER_BLOCK)):
            found = _outlier(vals, j)
            if found is not None:
                med, count, z = found
                add(
                    idx[j],
                    OUTLIER,
                    WARNING,
                    f"increment {_fmt(vals[j])} is far from its neighbours (median {med:,.0f} of "
                    f"{count} nearby days, robust z {z:.1f}): likely not one day's losses",
                )


def _one_day_increments(incs: list[int | None], spans: list[int] | None) -> tuple[Sequence[int], list[int]]:
    """The indices of the one-day increments (defined, spanning at most one day) and their values."""
    idx: Sequence[int]
    if spans is None:  # only the first increment may be undefined
        first = 0 if incs[0] is not None else 1
        idx, vals = range(first, len(incs)), cast(list[int], incs[first:])
    else:
        idx = [i for i in compress(range(len(spans)), map(le, spans, repeat(1))) if incs[i] is not None]
        vals = cast(list[int], list(map(incs.__getitem__, idx)))  # idx keeps only defined increments
    return idx, vals


def _judged(vals: list[int], s: int, e: int) -> Iterable[int]:
    """The increments of the block [s, e) that may be outliers: all of them, or only those above a
    cutoff that none at or below can pass (see `_rise_cutoff`)."""
    k, m = OUTLIER_NEIGHBOURS, len(vals)
    # Every increment of the block and every neighbour it is judged against, sorted. Each
    # point's neighbours are among them, so the median of its c neighbours (at least their
    # ((c - 1) // 2)-th smallest) is at least the same-rank smallest of these.
    around = sorted(vals[max(0, s - k) : e + k])
    c = 2 * k if k <= s and e + k <= m else OUTLIER_MIN_NEIGHBOURS  # the fewest neighbours judged
    cutoff = _rise_cutoff(around[(c - 1) // 2]) if around[0] >= 0 and c >= 1 else None
    return range(s, e) if cutoff is None else compress(range(s, e), map(gt, vals[s:e], repeat(cutoff)))


def _outlier(vals: list[int], j: int) -> tuple[float, int, float] | None:
    """Whether increment j is an outlier by the rule of `_outliers`: the median of its
    neighbours, how many they are and its robust z; None when it is not."""
    k = OUTLIER_NEIGHBOURS
    neighbours = vals[max(0, j - k) : j] + vals[j + 1 : j + 1 + k]
    if len(neighbours) < OUTLIER_MIN_NEIGHBOURS:
        return None
    neighbours.sort()
    h = len(neighbours) // 2  # the median, as _median_sorted takes it
    med = float(neighbours[h]) if len(neighbours) % 2 else (neighbours[h - 1] + neighbours[h]) / 2
    dev = abs(vals[j] - med)
    if dev < OUTLIER_MIN_ABS_DEVIATION or dev <= OUTLIER_MIN_RELATIVE * abs(med):
        return None
    least_scale = max((OUTLIER_DISPERSION * abs(med)) ** 0.5, OUTLIER_MIN_SCALE)
    if dev / least_scale <= OUTLIER_Z:  # the MAD can only raise the scale, lowering z
        return None
    mad = _median_sorted(sorted(abs(v - med) for v in neighbours))
    z = dev / max(MAD_TO_SIGMA * mad, least_scale)
    if z <= OUTLIER_Z:
        return None
    wide = vals[max(0, j - OUTLIER_SPARSE_WINDOW) : j + 1 + OUTLIER_SPARSE_WINDOW]
    if wide.count(0) > OUTLIER_MAX_ZERO_SHARE * (len(wide) - 1):
        return None
    return med, len(neighbours), z


def _usual_unit(values: list[int]) -> tuple[int, list[int] | None]:
    """The coarsest unit (1 or one of COARSE_UNITS) that nearly all totals are multiples of,
    and the totals' remainders by the next unit (the finest one judged coarse), if computed."""
    usual = 1
    zeros = values.count(0)
    nonzero = len(values) - zeros
    if not nonzero:
        return usual, None
    for unit in COARSE_UNITS:
        remainders = list(map(mod, values, repeat(unit)))
        share = (remainders.count(0) - zeros) / nonzero  # zeros are multiples
        if share >= USUAL_PRECISION_SHARE:
            usual = unit
        else:
            return usual, remainders
    return usual, None


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


def _stretch_share(whole: int, side: Sequence[int], unit: int) -> float | None:
    """Share of `side` (distinct totals, `whole` of them multiples of `unit`) rounded to `unit`
    if the side is a rounded stretch, else None."""
    if len(side) < COARSE_MIN_DISTINCT:
        return None
    share = whole / len(side)
    if share >= COARSE_MIN_SHARE and whole >= COARSE_MIN_HALF_SHARE * sum(1 for x in side if x % (unit // 2) == 0):
        return share
    return None


def _rounded_stretch(side: list[int], unit: int) -> float | None:
    """Share of `side` rounded to `unit` if the side is a rounded stretch, else None."""
    return _stretch_share(sum(1 for x in side if x % unit == 0), side, unit)


def _clusters(at: list[int], need: int) -> tuple[frozenset[int], frozenset[int]]:
    """Of the ascending run indices `at`, those that close and those that open a cluster of
    `need` of them within COARSE_WINDOW runs (the size of a side)."""
    if need <= 1:
        return frozenset(at), frozenset(at)
    g = need - 1
    dense = list(compress(range(len(at) - g), map(lt, map(sub, at[g:], at[:-g]), repeat(COARSE_WINDOW))))
    return frozenset(at[c + g] for c in dense), frozenset(at[c] for c in dense)


class _Runs:
    """The totals of a series as runs of equal consecutive totals, to judge the sides of a
    coarse candidate without walking them.

    Where the totals do not fall within COARSE_MAX_REACH reports of a point, the distinct totals
    on either side of it are consecutive runs, rising: the side is a range of runs found by
    bisection, and its whole-unit totals are counted by bisection in `multiples`. Elsewhere
    (a fall nearby) the side is walked as the rule states it (`_distinct_side`).
    """

    def __init__(self, values: list[int], diffs: list[int], finest: int, remainders: list[int] | None) -> None:
        n = len(values)
        self.values = values
        self.last = n - 1
        # The reports below the one before them, ascending.
        self.falls = list(compress(range(1, n), map(lt, diffs, repeat(0)))) if diffs and min(diffs) < 0 else None
        self.starts: list[int] | None = None  # the first report of each run
        self.totals = values  # the total of each run
        if self.falls or 0 in diffs:
            changed = list(map(ne, diffs, repeat(0)))
            self.starts = [0, *compress(range(1, n), changed)]
            self.totals = [values[0], *compress(values[1:], changed)]
            if remainders is not None:
                remainders = [remainders[0], *compress(remainders[1:], changed)]
        # The totals' remainders by the finest unit, if the caller has them: its multiples.
        self.remainders = remainders
        self.finest = finest
        self.multiples: dict[int, list[int]] = {}
        self.unit_clusters: dict[int, tuple[frozenset[int], frozenset[int]]] = {}
        # Screening (see `reason`) needs every coarser unit to be a multiple of the finest, so
        # that a side's whole-unit totals are among its finest-unit ones.
        self.screened = all(u % finest == 0 for u in COARSE_UNITS if u > finest)
        self.closing = self.opening = self.closing_full = self.opening_full = frozenset[int]()

    def candidates(self, floor: int) -> list[tuple[int, int]]:
        """(report, run) of the reports that may be roundups: totals that are multiples of the
        finest unit, at least `floor`, in runs that screening (see `reason`) leaves."""
        fine = self.of_unit(self.finest)
        if not fine:
            return []
        falls, starts, totals = self.falls, self.starts, self.totals
        bounds = range(len(totals) + 1) if starts is None else [*starts, self.last + 1]  # run k: bounds[k]..
        if self.screened:
            self.closing, self.opening = _clusters(fine, _COARSE_MIN_WHOLE)
            self.closing_full, self.opening_full = _clusters(fine, _COARSE_FULL_WHOLE)
            clustered = self.closing | self.opening
            if falls is None and starts is None:
                # Every report a new, higher total, so a run per report: a side is full
                # (COARSE_WINDOW runs, see `reason`) unless it is cut short by the start of the
                # series or a unit's floor (before it) or by the end (after it).
                window = COARSE_WINDOW - 1
                short_before = set(range(window))
                for unit in COARSE_UNITS:
                    if unit >= self.finest:
                        at = bisect_left(totals, COARSE_MIN_MULTIPLE * unit)
                        short_before.update(range(at, at + window))
                short_after = range(self.last - window + 1, self.last + 1)
                fine = sorted(
                    self.closing_full
                    | self.opening_full
                    | self.closing.intersection(short_before)
                    | self.opening.intersection(short_after)
                )
            elif falls is None:  # every side rises: only runs that close or open a cluster
                fine = sorted(clustered)
            else:  # ... or runs with a report that has a fall within reach (f - reach <= i < f + reach)
                reach = COARSE_MAX_REACH
                fine = [
                    k
                    for k in fine
                    if k in clustered
                    or bisect_left(falls, bounds[k] - reach + 1) < bisect_right(falls, bounds[k + 1] - 1 + reach)
                ]
        if starts is None:
            return [(k, k) for k in fine if totals[k] >= floor]
        return [(i, k) for k in fine if totals[k] >= floor for i in range(bounds[k], bounds[k + 1])]

    def of_unit(self, unit: int) -> list[int]:
        """Indices of the runs whose total is a multiple of `unit`, ascending."""
        found = self.multiples.get(unit)
        if found is None:
            totals = self.totals
            if unit == self.finest and self.remainders is not None:
                found = list(compress(range(len(totals)), map(not_, self.remainders)))
            elif unit != self.finest and unit % self.finest == 0:
                found = [k for k in self.of_unit(self.finest) if totals[k] % unit == 0]
            else:
                found = list(compress(range(len(totals)), map(not_, map(mod, totals, repeat(unit)))))
            self.multiples[unit] = found
        return found

    def clusters_of(self, unit: int) -> tuple[frozenset[int], frozenset[int]]:
        """The runs that close and that open a cluster of _COARSE_MIN_WHOLE multiples of `unit`
        within COARSE_WINDOW runs: on rising totals, the only ones with a side that can be rounded
        to `unit`."""
        found = self.unit_clusters.get(unit)
        if found is None:
            found = self.unit_clusters[unit] = _clusters(self.of_unit(unit), _COARSE_MIN_WHOLE)
        return found

    def rises(self, a: int, b: int) -> bool:
        """No report in (a, b] is below the one before it."""
        falls = self.falls
        return falls is None or bisect_right(falls, a) == bisect_right(falls, b)

    def run(self, i: int) -> int:
        """The run of report i."""
        return i if self.starts is None else bisect_right(self.starts, i) - 1

    def reason(self, i: int, b: int, units: list[int]) -> str | None:
        """Why the total at report i (in run b) is a roundup, or None (the rule of `_coarse`).

        Screening first, on a side whose totals rise: the side is a range of runs, COARSE_WINDOW
        of them unless the reach of COARSE_MAX_REACH reports holds fewer or the unit's floor cuts
        it short. A full side needs _COARSE_FULL_WHOLE multiples of the unit among its runs, a
        short one _COARSE_MIN_WHOLE, and those are multiples of the finest unit (`_clusters`).
        """
        sides = self._sides(i, b, units)
        if sides is None:
            return None
        for unit in reversed(sides.units):  # the coarsest unit that makes a stretch
            for step, where in ((-1, "before"), (1, "after")):
                if not (sides.open_before if step < 0 else sides.open_after):
                    continue
                found = self._stretch(sides, unit, step)
                if found is not None:
                    share, size = found
                    return _coarse_message(self.values[i], unit, share, size, where)
        return None

    def _sides(self, i: int, b: int, units: list[int]) -> _Sides | None:
        """The sides of report i (in run b) that screening leaves open, and the units its total
        may be rounded to; None when no side or no unit is left."""
        v = self.values[i]
        start, end = max(0, i - COARSE_MAX_REACH), min(self.last, i + COARSE_MAX_REACH)
        rises_before, rises_after = self.rises(start, i), self.rises(i, end)
        screened = self.screened
        open_before = not (screened and rises_before) or b in self.closing
        open_after = not (screened and rises_after) or b in self.opening
        if not (open_before or open_after):
            return None
        candidates = [u for u in units if v >= COARSE_MIN_MULTIPLE * u and v % u == 0]
        if not candidates:
            return None
        window = COARSE_WINDOW - 1
        first = self.run(start) if rises_before else 0  # the runs within reach, if they rise
        final = self.run(end) if rises_after else 0
        if screened and rises_before and open_before and b not in self.closing_full:
            # Only a short side can be rounded: fewer runs in reach, or the highest floor above
            # the first run a full side would take.
            open_before = b - window < first or self.totals[b - window] < COARSE_MIN_MULTIPLE * candidates[-1]
        if screened and rises_after and open_after and b not in self.opening_full:
            # After it, totals are at least its own, so above the floor: only the reach is short.
            open_after = final < b + window
        if not (open_before or open_after):
            return None
        return _Sides(i, b, candidates, first, final, rises_before, rises_after, open_before, open_after)

    def _stretch(self, sides: _Sides, unit: int, step: int) -> tuple[float, int] | None:
        """The share of the distinct totals rounded to `unit` on one side (before it for a `step`
        of -1) of a report, and how many they are, when that side is a rounded stretch; else None."""
        b, window, floor = sides.run, COARSE_WINDOW - 1, COARSE_MIN_MULTIPLE * unit
        closing, opening = self.clusters_of(unit)
        if step < 0 and sides.rises_before:
            if b not in closing:  # too few multiples of the unit among the runs in reach
                return None
            # The runs up to b rise, so those below the floor come first.
            lo = max(sides.first, bisect_left(self.totals, floor, sides.first, b + 1), b - window)
            hi = b
        elif step > 0 and sides.rises_after:
            if b not in opening:
                return None
            lo, hi = b, min(sides.final, b + window)  # all >= v >= floor
        else:
            side = _distinct_side(self.values, sides.report, step, floor)
            share = _rounded_stretch(side, unit)
            return None if share is None else (share, len(side))
        size = hi - lo + 1
        if size < COARSE_MIN_DISTINCT:
            return None
        whole_at = self.of_unit(unit)
        whole = bisect_right(whole_at, hi) - bisect_left(whole_at, lo)
        if whole / size < COARSE_MIN_SHARE:  # as _stretch_share decides, before the half units
            return None
        share = _stretch_share(whole, self.totals[lo : hi + 1], unit)
        return None if share is None else (share, size)


class _Sides(NamedTuple):
    """A coarse candidate as screening leaves it (see `_Runs.reason`): report and run, the units
    its total may be rounded to (finest first), the first and final runs within reach of a side
    that rises, and which sides rise and which are open."""

    report: int
    run: int
    units: list[int]
    first: int
    final: int
    rises_before: bool
    rises_after: bool
    open_before: bool
    open_after: bool


def _coarse_message(v: int, unit: int, share: float, size: int, where: str) -> str:
    return (
        (
            f"total {v:,} is rounded to {unit:,}s, as are {share:.0%} of the "
            f"{size} distinct totals up to it {where}: a roundup, not a count"
        )
        .replace("up to it before", "up to it")
        .replace("up to it after", "from it on")
    )


def _coarse(values: list[int], qualifiers: list[str | None], diffs: list[int], add: AddFinding) -> None:
    """Rounded roundups and unusual qualifiers: the total is an estimate, not a count.

    Early reports gave round figures ("about 12,000") that stayed flat for days and then
    jumped: their increments are re-estimates, not days. A total is coarse when it is rounded
    to a unit coarser than the series' usual precision inside a stretch of totals rounded the
    same way (see COARSE_*). A qualifier other than the series' usual one ("more" where the
    series says "about") also marks a roundup. The report right after a roundup is flagged
    too: its increment is measured from the rounded total, so it is not a one-day figure.
    """
    n = len(values)
    usual, remainders = _usual_unit(values)
    units = [u for u in COARSE_UNITS if u > usual]
    own: dict[int, str] = {}  # index: why that total itself is a roundup
    if units and max(values) >= COARSE_MIN_MULTIPLE * units[0]:  # else no total is judged
        runs = _Runs(values, diffs, units[0], remainders)
        for i, b in runs.candidates(COARSE_MIN_MULTIPLE * units[0]):
            rounded = runs.reason(i, b, units)
            if rounded:
                own[i] = rounded
    if qualifiers.count(qualifiers[0]) != n:
        usual_q = Counter(qualifiers).most_common(1)[0][0]
        for i in compress(range(n), map(ne, qualifiers, repeat(usual_q))):
            q = qualifiers[i]
            why = f"qualifier {q!r} differs from the series' usual {usual_q!r}"
            own[i] = f"{own[i]}; {why}" if i in own else why
    if not own:
        return
    for i in sorted({*own, *(i + 1 for i in own if i + 1 < n)}):
        mine = own.get(i)
        reasons = [mine] if mine else []
        before = own.get(i - 1)
        if before:
            reasons.append(f"the increment is measured from the previous total {values[i - 1]:,}, itself a roundup")
        add(i, COARSE, INFO, "; ".join(reasons))


def _positions(items: list[int | None], value: int) -> list[int]:
    """Where `value` is in `items`, ascending: found by list.index, for a value that is rare."""
    found: list[int] = []
    at = -1
    try:
        while True:
            at = items.index(value, at + 1)
            found.append(at)
    except ValueError:
        return found


_CATCH_UP_MIN_JUMP = CATCH_UP_MIN_FACTOR * CATCH_UP_MIN_TYPICAL if CATCH_UP_MIN_FACTOR >= 0 else 0


def _catch_ups(incs: list[int | None], nets: list[int], spans: list[int] | None, add: AddFinding) -> None:
    """A jump after flat days, where increments are usually non-zero, covers those days too.

    Only where the nearby increments (CATCH_UP_WINDOW each side, the flat run and the jump
    excluded) are nearly all non-zero and a typical day is large enough that a zero day is
    implausible by chance: zero days of aircraft or ships are normal, not flat runs. The jump
    must be at least CATCH_UP_MIN_FACTOR typical days to count.
    """
    n = len(incs)
    # Judge only a positive jump right after a zero increment, of at least CATCH_UP_MIN_FACTOR
    # typical days of at least CATCH_UP_MIN_TYPICAL (the increments after the first are `nets`).
    least = max(1, _CATCH_UP_MIN_JUMP)
    if incs.count(0) * 16 < n:  # few zeros: find them, then look at the next increment
        jumps: Iterable[int] = [z + 1 for z in _positions(incs, 0) if z + 1 < n and nets[z] >= least]
    else:
        jumps = compress(range(1, n), map(and_, map(eq, incs[:-1], repeat(0)), map(ge, nets, repeat(least))))
    for i in jumps:
        x = nets[i - 1]
        start = i - 1
        while start - 1 >= 0 and incs[start - 1] == 0:
            start -= 1
        flat = i - start
        before = incs[max(0, start - CATCH_UP_WINDOW) : start]
        after = incs[i + 1 : i + 1 + CATCH_UP_WINDOW]
        # The defined nearby increments, and how many are non-zero, counted before any is sorted.
        size = len(before) + len(after) - before.count(None) - after.count(None)
        if size < CATCH_UP_MIN_CONTEXT or size - before.count(0) - after.count(0) < CATCH_UP_MIN_NONZERO_SHARE * size:
            continue
        nonzero = sorted(v for v in before + after if v)  # None and 0 are left out
        typical = _median_sorted(nonzero)
        if typical < CATCH_UP_MIN_TYPICAL or x < CATCH_UP_MIN_FACTOR * typical:
            continue
        # The flat run and the jump, in days.
        days = i - start + 1 if spans is None else sum(max(1, s) for s in spans[start : i + 1])
        add(
            i,
            CATCH_UP,
            WARNING,
            f"jump {_fmt(x)} after {flat} flat day{'s' if flat > 1 else ''} (increment 0) where "
            f"nearby days usually rise (typical {typical:,.0f}): likely covers {days} days "
            f"(about {x / typical:.1f} typical days)",
        )
