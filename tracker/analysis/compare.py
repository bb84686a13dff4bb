"""Claims against the daily series: the series' own figure for each claim, under both date conventions.

Pure pandas: a claims frame (tracker.claims.queries.claims_frame) and an observations frame
(tracker.store.queries.observations_frame: report_date, value) in, one row per claim out.

Conventions. A report dated D gives the cumulative total T(D) as of that morning, covering day
D-1. For a period of days s..e:
- covered (as UK Defence Intelligence counts): total = T(e+1) - T(s), i.e. the reports that
  cover days s..e; a cumulative claim "as of" day d reads T(d+1), the total at the end of d;
- report (as news coverage dates figures): total = T(e) - T(s-1), i.e. the reports dated s..e;
  a cumulative claim "as of" d reads T(d), the report of that date.
Documented corrections (the dataset's own, a correction is not a loss) of the reports in a period
are taken out of its total, as the averages, headline and charts take them out (CORRECTIONS).
Daily average = period total / days in the period. Nothing is counted before 2022-02-24, so
T(d) = 0 for d <= 2022-02-24 and periods are cut to start there. A cumulative claim with a
coarse date ("February 2024") compares with the range of totals over that period.

Verdict rule (from the claim's side: "higher" means the claim is higher than the series):
- not comparable — different subject, metric or definition (e.g. a killed-only count against a
  killed-or-wounded series), or the series lacks a report the period needs;
- a lower bound ("more than", "at least") or upper bound ("up to", "less than") that the
  series satisfies is "consistent";
- otherwise "agrees" when the series lies within the rounding the claim's own digits imply
  (trailing zeros, but at least two significant figures: 41,980 -> ±5, 950 -> ±5, 1,271 -> ±0.5,
  300,000 -> ±5,000, 1.1 million -> ±50,000) or within its low..high range so widened;
- else "close" when |claim / series - 1| <= CLOSE_TOLERANCE (5%), except for single-day and
  peak-day claims, which are read off one report and so either agree or do not;
- else "higher" or "lower".
A peak day leaves out the days the quality rules flag as doubtful (rounded early-2022 roundups,
catch-ups, outliers), as records do, and says which.

Whose convention. Each claim is judged by default under its claimant's own convention: its
source's `dates_by` ("covered" for UK Defence Intelligence, whose "2,030 on 28 Nov 2024" is the
covered day, i.e. the report of 29 Nov); "report" for a source dated by report, by documentation,
or not at all. `convention=` judges every claim under one convention instead. Both conventions'
figures and verdicts stay in every row (covered_*, report_*); the unprefixed columns (series,
ratio, verdict, ...) repeat those of the row's `convention`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from tracker.analysis.series import CORRECTIONS
from tracker.claims.claim import DEFINITIONS, LOWER_BOUNDS, UPPER_BOUNDS, rounding_unit
from tracker.domain import INVASION_START

COVERED = "covered"
REPORT = "report"
CONVENTIONS = (COVERED, REPORT)
CLOSE_TOLERANCE = 0.05
EXACT_KINDS = ("day", "peak_day")  # no tolerance: one report's figure either matches or not
VERDICTS = ("agrees", "consistent", "close", "higher", "lower", "not comparable")
SERIES_DEFINITION = "killed_or_wounded"

_DEFINITION_TEXT = {
    "killed": "a killed-only count",
    "wounded": "a wounded-only count",
    "killed_confirmed_by_name": "a count of deaths confirmed by name (killed only)",
}
_PER_CONVENTION = ("series", "series_low", "series_high", "day", "basis", "diff", "diff_pct", "ratio", "verdict")
COLUMNS = [
    "id",
    "key",
    "source",
    "subject",
    "metric",
    "definition",
    "kind",
    "period",
    "qualifier",
    "low",
    "best",
    "high",
    "figure",
    "claim_value",
    "rounding",
    "published",
    "comparable",
    "reason",
    "convention",
    "corrections",
    *_PER_CONVENTION,
] + [f"{c}_{name}" for c in CONVENTIONS for name in _PER_CONVENTION]


@dataclass
class SeriesFigure:
    """The series' figure for a claim under one convention (low == high unless the date is coarse)."""

    low: float | None = None
    high: float | None = None
    date: dt.date | None = None  # the day of a peak
    basis: str = ""
    missing: str | None = None  # why there is no figure


class Totals:
    """T(report date) from an observations frame, 0 before the invasion; and which reports'
    increments the quality rules call doubtful (report date -> flags), when known."""

    def __init__(self, series: pd.DataFrame, doubtful: dict[dt.date, str] | None = None) -> None:
        dates = pd.to_datetime(series["report_date"]).dt.date
        self.values = dict(zip(dates, series["value"].astype("int64").tolist()))
        # Documented corrections (report date -> delta), taken out of period totals as the
        # averages and the charts take them out of increments (CORRECTIONS).
        adjusted = series["adjustment"].fillna(0).astype("int64").tolist() if "adjustment" in series else []
        self.adjustments = {d: v for d, v in zip(dates, adjusted) if v}
        self.first = min(self.values) if self.values else None
        self.last = max(self.values) if self.values else None
        self.doubtful = doubtful or {}

    def get(self, report: dt.date) -> int | None:
        if report <= INVASION_START:
            return 0
        return self.values.get(report)

    def corrections(self, after: dt.date, through: dt.date) -> int:
        """The documented corrections of the reports dated after `after` through `through`."""
        return sum(v for d, v in self.adjustments.items() if after < d <= through)

    def need(self, report: dt.date) -> int:
        value = self.get(report)
        if value is None:
            if self.last is not None and report > self.last:
                raise _Missing(f"the series ends with the report of {self.last}; this needs the report of {report}")
            raise _Missing(f"the series has no report dated {report}")
        return value


class _Missing(Exception):
    pass


def _fmt(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.2f}"


def _span(start: dt.date, end: dt.date, covered: bool) -> str:
    if start == end:
        return f"covered day {start}" if covered else f"the report dated {start}"
    return f"covered days {start}..{end}" if covered else f"reports dated {start}..{end}"


def series_figure(totals: Totals, kind: str, start: dt.date, end: dt.date, convention: str) -> SeriesFigure:
    """What the series says for a claim's kind and period under a convention."""
    cut = "; the period cut to begin with the invasion" if start < INVASION_START else ""
    start = max(start, INVASION_START)
    covered = convention == COVERED
    one = dt.timedelta(days=1)
    try:
        if kind in ("period_total", "daily_average", "day"):
            a, b = (start, end + one) if covered else (start - one, end)
            raw = totals.need(b) - totals.need(a)
            corrected = totals.corrections(a, b)
            total = raw - corrected
            days = (end - start).days + 1
            span = _span(start, end, covered) + cut
            before = "0 (nothing before 2022-02-24)" if a <= INVASION_START else f"report {a}"
            basis = f"report {b} minus {before} ({span}) = {_fmt(raw)}"
            if corrected:
                word = "less" if corrected > 0 else "plus"
                basis += f", {word} {_fmt(abs(corrected))} of documented corrections = {_fmt(total)}"
            if kind == "daily_average":
                return SeriesFigure(total / days, total / days, None, f"{basis} / {days} days")
            if kind == "day" and b in totals.doubtful:
                basis += f" (a day the quality rules flag: {totals.doubtful[b]})"
            return SeriesFigure(total, total, None, basis)
        if kind == "cumulative":
            shift = one if covered else dt.timedelta(0)
            reports = [start + dt.timedelta(days=i) + shift for i in range((end - start).days + 1)]
            looked_up = [(r, totals.get(r)) for r in reports]
            found = [(r, v) for r, v in looked_up if v is not None]
            if not found:
                totals.need(reports[-1])
            r0, r1 = found[0][0], found[-1][0]
            lo, hi = min(v for _, v in found), max(v for _, v in found)
            if len(reports) == 1:
                what = f"report {r0}" + (
                    f" (total at the end of {start})" if covered else f" (as of the morning of {start})"
                )
            else:
                what = f"reports {r0}..{r1}: {_fmt(lo)}..{_fmt(hi)}"
            return SeriesFigure(lo, hi, None, what)
        if kind == "peak_day":
            best: tuple[int, dt.date, dt.date] | None = None
            left_out: list[str] = []
            day = start
            while day <= end:
                a, b = (day, day + one) if covered else (day - one, day)
                ta, tb = totals.get(a), totals.get(b)
                if b in totals.doubtful:  # records leave doubtful days out, and so does a peak
                    left_out.append(f"{b} ({totals.doubtful[b]})")
                elif ta is not None and tb is not None and (best is None or tb - ta > best[0]):
                    best = (tb - ta, day, b)
                day += one
            if best is None:
                totals.need(end + one if covered else end)
                # Every report of the period is there but flagged: there is no trustworthy peak.
                raise _Missing(f"every day of the period is flagged as doubtful: {', '.join(left_out[:3])}")
            value, day, report = best
            where = f"on covered day {day} (report {report})" if covered else f"in the report of {report}"
            skipped = (
                (
                    f"; left out {len(left_out)} doubtful report(s): {', '.join(left_out[:5])}"
                    + (" …" if len(left_out) > 5 else "")
                )
                if left_out
                else ""
            )
            return SeriesFigure(
                value, value, day, f"highest day over {_span(start, end, covered)}{cut}: {_fmt(value)} {where}{skipped}"
            )
    except _Missing as exc:
        return SeriesFigure(missing=str(exc))
    return SeriesFigure(missing=f"unknown kind {kind!r}")


def verdict(
    kind: str,
    qualifier: str | None,
    low: float | None,
    best: float | None,
    high: float | None,
    s_low: float,
    s_high: float,
    tolerance: float = CLOSE_TOLERANCE,
) -> tuple[str, float, float]:
    """(verdict, the series figure it was judged against, the claim's figure) by the module's rule."""
    lo = low if low is not None else best
    hi = high if high is not None else best
    assert lo is not None and hi is not None
    value = best if best is not None else (lo + hi) / 2
    # The series figure judged against: the point of the series' range nearest the claim.
    series = min(max(value, s_low), s_high)

    def near_or(word: str) -> str:
        # |claim - series| <= tolerance * series, not |ratio - 1|: 1050 / 1000 - 1 is a hair over
        # 0.05 in floating point, and a claim exactly 5% off must count as close.
        if kind not in EXACT_KINDS and abs(value - series) <= tolerance * abs(series):
            return "close"
        return word

    if qualifier in LOWER_BOUNDS:
        ok = s_high > lo if qualifier == "more than" else s_high >= lo
        return ("consistent" if ok else near_or("higher")), series, value
    if qualifier in UPPER_BOUNDS:
        ok = s_low < hi if qualifier == "less than" else s_low <= hi
        return ("consistent" if ok else near_or("lower")), series, value
    eps = 1e-9
    lo_r, hi_r = lo - rounding_unit(lo) / 2 - eps, hi + rounding_unit(hi) / 2 + eps
    if lo_r <= s_high and s_low <= hi_r:
        return "agrees", series, value
    return near_or("higher" if value > series else "lower"), series, value


def not_comparable_reason(
    subject: str, metric: str, definition: str, *, series_subject: str = "russia", series_metric: str = "personnel"
) -> str | None:
    """Why a claim cannot be set against the series, or None if it can."""
    if subject != series_subject:
        return f"the series counts {series_subject}'s losses; this claim is about {subject}'s"
    if metric != series_metric:
        return f"the series is {series_metric}; this claim counts {metric}"
    if definition != SERIES_DEFINITION:
        text = _DEFINITION_TEXT.get(definition, f"a {DEFINITIONS.get(definition, definition)} count")
        return f"{text} against a killed-or-wounded series"
    return None


def _none(x: float | None) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def doubtful_reports(series: pd.DataFrame, metric: str) -> dict[dt.date, str]:
    """Report dates whose increment the quality rules flag as doubtful (coarse, catch-up, ...),
    with their flags; empty for a bare frame of report_date and value."""
    from tracker.analysis.series import OBS_COLUMNS, daily_series

    if series.empty or any(c not in series.columns for c in OBS_COLUMNS):
        return {}
    daily = daily_series(series, by="report", metric=metric)
    flagged = daily[daily["doubtful"]]
    return {d.date(): (f or "gap") for d, f in zip(flagged["report_date"], flagged["flags"])}


def claimant_convention(dates_by: str | None) -> str:
    """The convention a source's claims are judged under by default: "covered" for a source that
    dates its figures by the day covered, else "report" (by report, documented or unknown)."""
    return COVERED if dates_by == COVERED else REPORT


def compare_claims(
    claims: pd.DataFrame,
    series: pd.DataFrame,
    *,
    series_subject: str = "russia",
    series_metric: str = "personnel",
    tolerance: float = CLOSE_TOLERANCE,
    dates_by: Mapping[str, str | None] | None = None,
    convention: str | None = None,
) -> pd.DataFrame:
    """One row per claim: the series' figure, difference, ratio and verdict under each convention,
    and under the claimant's (`convention`, `verdict`, ...).

    `claims` needs id, key, source, subject, metric, definition, kind, period, period_start,
    period_end, qualifier, low, best, high (and optionally figure, published); `series` needs
    report_date and value of the cumulative series (killed or wounded, by report date).
    `dates_by` maps a source key to its date convention (default: the registry file's; a store
    knows more: tracker.store.sources.known_sources); `convention` judges every claim under one.
    """
    if convention is not None and convention not in CONVENTIONS:
        raise ValueError(f"convention {convention!r}: use one of {', '.join(CONVENTIONS)}")
    if dates_by is None:
        from tracker.store.source_registry import SOURCES

        dates_by = {key: info.dates_by for key, info in SOURCES.items()}
    totals = Totals(series, doubtful_reports(series, series_metric))
    rows = []
    for c in claims.to_dict("records"):
        low, best, high = _none(c.get("low")), _none(c.get("best")), _none(c.get("high"))
        start, end = pd.Timestamp(c["period_start"]).date(), pd.Timestamp(c["period_end"]).date()
        value = best if best is not None else ((low or 0) + (high or 0)) / 2
        row = {
            k: c.get(k)
            for k in (
                "id",
                "key",
                "source",
                "subject",
                "metric",
                "definition",
                "kind",
                "period",
                "qualifier",
                "figure",
                "published",
            )
        }
        row.update(low=low, best=best, high=high, claim_value=value, rounding=rounding_unit(value))
        reason = not_comparable_reason(
            c["subject"], c["metric"], c["definition"], series_subject=series_subject, series_metric=series_metric
        )
        if reason is None and end < INVASION_START:
            reason = "the period ends before the series begins (2022-02-24)"
        row.update(comparable=reason is None, reason=reason, corrections=CORRECTIONS)
        for conv in CONVENTIONS:
            out = dict.fromkeys(_PER_CONVENTION)
            if reason is not None:
                out.update(verdict="not comparable", basis=reason)
            else:
                fig = series_figure(totals, c["kind"], start, end, conv)
                if fig.missing:
                    out.update(verdict="not comparable", basis=fig.missing)
                else:
                    qualifier = c.get("qualifier") if isinstance(c.get("qualifier"), str) else None
                    assert fig.low is not None and fig.high is not None, "a figure not missing has both ends"
                    word, judged, claimed = verdict(
                        c["kind"], qualifier or None, low, best, high, fig.low, fig.high, tolerance
                    )
                    out.update(
                        series=judged,
                        series_low=fig.low,
                        series_high=fig.high,
                        day=fig.date,
                        basis=fig.basis,
                        diff=claimed - judged,
                        diff_pct=(claimed - judged) / judged * 100 if judged else math.nan,
                        ratio=claimed / judged if judged else math.nan,
                        verdict=word,
                    )
            row.update({f"{conv}_{k}": v for k, v in out.items()})
        own = convention or claimant_convention(dates_by.get(c["source"]))
        row.update({"convention": own, **{k: row[f"{own}_{k}"] for k in _PER_CONVENTION}})
        rows.append(row)
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame.attrs["tolerance"] = tolerance
    frame.attrs["conventions"] = CONVENTIONS
    frame.attrs["convention"] = convention  # None: each claim under its claimant's
    return frame


def sort_comparison(frame: pd.DataFrame, order: str) -> pd.DataFrame:
    """A compare_claims frame in `order`: "distance" (furthest from the series first, in either
    direction: by |diff_pct| descending), "ratio" (highest first), "source" (then publication) or
    "date" (as given: oldest publication first). Rows without a figure (not comparable) go last."""
    if order == "date" or frame.empty:
        return frame.reset_index(drop=True)
    if order == "source":
        return frame.sort_values(["source"], kind="stable").reset_index(drop=True)
    if order not in ("distance", "ratio"):
        raise ValueError(f"order {order!r}: use distance, ratio, date or source")
    key = pd.to_numeric(frame["diff_pct"], errors="coerce").abs() if order == "distance" else frame["ratio"]
    key = pd.to_numeric(key, errors="coerce")
    return (
        frame.assign(_key=key)
        .sort_values("_key", ascending=False, na_position="last", kind="stable")
        .drop(columns="_key")
        .reset_index(drop=True)
    )


def compare_series(
    series: pd.DataFrame,
    staff: pd.DataFrame,
    *,
    source: str,
    side: str = "russia",
    metric: str = "personnel",
    definition: str = SERIES_DEFINITION,
    dates_by: str | None = None,
    staff_metric: str | None = None,
) -> pd.DataFrame:
    """Another source's cumulative series against the General Staff's: each of its totals judged
    as a cumulative claim "as of" its date (under the source's own date convention, `dates_by`),
    with compare_claims' figures, differences, ratios and verdicts; one row per date, oldest first.

    `series` and `staff` need report_date and value (staff may carry adjustment); a series about
    another side, metric or definition than the staff's is "not comparable" on every row, with why.
    """
    rows = []
    for i, r in enumerate(series.sort_values("report_date").to_dict("records"), start=1):
        day = pd.Timestamp(r["report_date"]).date()
        qualifier = r.get("qualifier")
        rows.append(
            {
                "id": i,
                "key": f"{source}-{day.isoformat()}",
                "source": source,
                "subject": side,
                "metric": metric,
                "definition": definition,
                "kind": "cumulative",
                "period": day.isoformat(),
                "period_start": day,
                "period_end": day,
                "qualifier": qualifier
                if isinstance(qualifier, str) and qualifier in LOWER_BOUNDS + UPPER_BOUNDS
                else None,
                "low": None,
                "best": float(r["value"]),
                "high": None,
                "figure": f"{int(r['value']):,}",
                "published": day,
            }
        )
    claims = pd.DataFrame(rows, columns=[*CLAIM_INPUT])
    frame = compare_claims(
        claims, staff, series_metric=staff_metric or metric, tolerance=CLOSE_TOLERANCE, dates_by={source: dates_by}
    )
    frame = frame.rename(columns={"published": "date"})
    frame.attrs["source"] = source
    return frame


CLAIM_INPUT = (
    "id", "key", "source", "subject", "metric", "definition", "kind", "period", "period_start", "period_end",
    "qualifier", "low", "best", "high", "figure", "published",
)  # fmt: skip
