"""Reconciling the feeds (transcriptions) of one source: where they disagree, and who is right.

Pure functions on plain values, no I/O and no pandas: the report path imports this module, and
`tracker records` must not import pandas (issue 12; see tracker.analysis.daily_rows), so the rules live
here and tracker.analysis.reconcile gives them to notebooks with the rest of the analysis. Each feed's
current cumulative totals of one source, by metric and report date, and the official page of
each report date, in; rows out.

What is compared. For each metric, each report date that two or more feeds hold: the feeds
*disagree* when their totals differ. A date some feeds hold and others lack is *one-sided*
(`within` says whether it lies inside every lacking feed's own span of that metric, i.e. a gap,
rather than before its first or after its last report).

The arbiter, for each disagreement, judges each distinct value `c` as it would sit in the series
of a feed that gave it, between that feed's own previous report (`p`, on the nearest earlier
date it holds) and next report (`n`):

1. *Stated increase* (personnel only): where the official page's address states the day's
   increase (mod.gov.ua slugs such as `...-za-dobu-1-770-okupantiv-...`: 1,770 in a day; see
   `stated_increase`), a value is confirmed when `c - p` equals that date's stated increase, or
   `n - c` equals the stated increase of the feed's next report date. When exactly one value is
   confirmed, it is backed; otherwise the neighbours decide.
2. *Neighbours*: a cumulative total only grows, by an increment like the days around it. A value
   is monotone when `p <= c <= n`. Its misfit is how far its two increments (`c - p` and `n - c`,
   per day of span) are from the median daily increment of the other reports within
   NEIGHBOURHOOD_DAYS days (pooled over the feeds that hold the date: one yardstick for all). Of the monotone values, the one with the smallest misfit is backed
   when every other value is either not monotone or has a misfit at least CLEAR_MARGIN times
   larger (and larger by more than one unit per day); else the arbiter is undecided.

The verdict names the feed(s) whose value is backed (comma-separated), or `undecided`.

The class of a disagreement says what the value that is not backed looks like (when the arbiter
is undecided, every value is tried), tried in this order, first match wins:

- `stale_copy`: it equals the same feed's previous report (yesterday's figure under today's date);
- `transposed`: the same digits as another feed's value, in another order;
- `shifted`: it equals another feed's value for a neighbouring report date (one day before or after);
- `decrease`: it is below the same feed's previous report;
- `other`: none of these.

A figure of feed F is *disputed* when F's value at that date is in a disagreement and the
arbiter does not back it (an undecided disagreement backs nobody).
"""

from __future__ import annotations

import datetime as dt
import re
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

NEIGHBOURHOOD_DAYS = 7  # the days around a date whose increments say what an increment is like
CLEAR_MARGIN = 2.0  # how many times worse the other values must fit for the best one to be backed
UNDECIDED = "undecided"
CLASSES = ("stale_copy", "transposed", "shifted", "decrease", "other")
# Metrics whose day's increase an official page's address may state.
STATED_METRICS = frozenset({"personnel"})

# `za-dobu-1-770-okupantiv` (mod.gov.ua), `za-dobu-sili-oboroni-znishhili-950-rosijskih-okupantiv`
# (mil.gov.ua, 2022): a number written in groups of three joined by hyphens, right before a word
# for people. Approximate numbers ("ponad" more than, "blizko" about, "majzhe" almost) are not
# matched: there is no qualifier word allowed between the verb and the number.
_STATED = re.compile(
    r"za-dobu-(?:sili-oboroni(?:-ukraini)?-znishhili-)?"
    r"(?P<number>\d+(?:-\d{3})*)-(?:rosijskih-|rosiyskyh-)?(?:okupant|zagarbnik|osib|osoby|rosiyan)"
)


def stated_increase(url: str | None) -> int | None:
    """The day's personnel increase an official page's address states (None when it states none):
    `https://mod.gov.ua/news/...-za-dobu-1-770-okupantiv-...` -> 1770."""
    if not url or not isinstance(url, str):
        return None
    try:
        path = urlsplit(url.strip()).path
    except ValueError:
        return None
    slug = unquote(path).rstrip("/").rsplit("/", 1)[-1].lower()
    match = _STATED.search(slug)
    if match is None:
        return None
    return int(match.group("number").replace("-", ""))


# feed -> report date -> total
FeedTotals = Mapping[str, Mapping[dt.date, int]]


@dataclass(frozen=True)
class Disagreement:
    """One (report date, metric) where the feeds' totals differ, with the arbiter's judgement."""

    report_date: dt.date
    metric: str
    values: dict[str, int]  # feed -> its total
    cls: str  # one of CLASSES
    classes: dict[str, str]  # feed -> the class of its value ("" for a backed value)
    verdict: str  # the backed feed(s), comma-separated, or UNDECIDED
    backed: tuple[str, ...]  # the feeds whose value the arbiter backs (empty: undecided)
    arbiter: str  # how it decided, in words
    stated_increase: int | None = None
    source_url: str | None = None

    def as_row(self, feeds: Sequence[str]) -> dict[str, Any]:
        """A flat row: date, metric, one column per feed (None where it has no value), class, verdict."""
        return {
            "report_date": self.report_date,
            "metric": self.metric,
            **{feed: self.values.get(feed) for feed in feeds},
            "class": self.cls,
            "verdict": self.verdict,
            "stated_increase": self.stated_increase,
            "arbiter": self.arbiter,
            "source_url": self.source_url,
        }


@dataclass(frozen=True)
class OneSided:
    """A report date some feeds hold for a metric and others lack."""

    report_date: dt.date
    metric: str
    has: tuple[str, ...]
    lacks: tuple[str, ...]
    within: bool  # inside every lacking feed's span of the metric (a gap, not an edge)


@dataclass
class Reconciliation:
    """Everything reconcile found, and a summary per metric."""

    feeds: list[str]
    disagreements: list[Disagreement] = field(default_factory=list)
    one_sided: list[OneSided] = field(default_factory=list)
    summary: list[dict[str, Any]] = field(default_factory=list)

    def disputed(self, feed: str, metric: str) -> dict[dt.date, Disagreement]:
        """The report dates of `metric` whose figure from `feed` is disputed: contradicted by the
        other feeds and not backed by the arbiter."""
        return {
            d.report_date: d
            for d in self.disagreements
            if d.metric == metric and feed in d.values and feed not in d.backed
        }


def reconcile(
    totals: Mapping[str, FeedTotals],
    *,
    pages: Mapping[dt.date, str] | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> Reconciliation:
    """Compare each metric's feeds (`totals`: metric -> feed -> report date -> total) on the dates
    in [since, until]; the arbiter reads every date (neighbours outside the window count).
    `pages` gives the official page of a report date (its address may state the increase)."""
    pages = pages or {}
    feeds = sorted({feed for by_feed in totals.values() for feed in by_feed})
    out = Reconciliation(feeds)
    for metric in sorted(totals):
        by_feed = {feed: dict(series) for feed, series in totals[metric].items() if series}
        agree = disagree = one_sided = 0
        ordered = {feed: sorted(series) for feed, series in by_feed.items()}
        spans = {feed: (dates[0], dates[-1]) for feed, dates in ordered.items()}
        for day in sorted({d for series in by_feed.values() for d in series}):
            if (since is not None and day < since) or (until is not None and day > until):
                continue
            held = {feed: series[day] for feed, series in by_feed.items() if day in series}
            lacking = tuple(feed for feed in sorted(by_feed) if feed not in held)
            if lacking:
                one_sided += 1
                within = all(spans[f][0] < day < spans[f][1] for f in lacking)
                out.one_sided.append(OneSided(day, metric, tuple(sorted(held)), lacking, within))
            if len(held) < 2:
                continue
            if len(set(held.values())) == 1:
                agree += 1
                continue
            disagree += 1
            out.disagreements.append(_judge(metric, day, held, by_feed, ordered, pages.get(day), pages))
        out.summary.append(
            {"metric": metric, "feeds": len(by_feed), "agree": agree, "disagree": disagree, "one_sided": one_sided}
        )
    return out


def _neighbours(dates: list[dt.date], series: Mapping[dt.date, int], day: dt.date) -> tuple[Any, Any]:
    """((date, total) of the feed's report before `day`, and after it), None where there is none."""
    import bisect

    i = bisect.bisect_left(dates, day)
    before = (dates[i - 1], series[dates[i - 1]]) if i > 0 else None
    j = i + 1 if i < len(dates) and dates[i] == day else i
    after = (dates[j], series[dates[j]]) if j < len(dates) else None
    return before, after


def _rates(dates: list[dt.date], series: Mapping[dt.date, int], day: dt.date) -> list[float]:
    """The daily increments of a feed's reports within NEIGHBOURHOOD_DAYS of `day`, not counting
    the two increments that touch `day` itself."""
    window = dt.timedelta(days=NEIGHBOURHOOD_DAYS)
    near = [d for d in dates if day - window <= d <= day + window and d != day]
    rates = []
    for a, b in zip(near, near[1:], strict=False):
        if a < day < b:  # this step spans `day`: it is the day being judged
            continue
        rates.append((series[b] - series[a]) / (b - a).days)
    return rates


@dataclass(frozen=True)
class _Fit:
    monotone: bool
    misfit: float | None  # None: no neighbours to judge by
    increase: int | None  # c - p
    next_increase: int | None = None  # n - c
    next_date: dt.date | None = None  # the date of n


def _fit(value: int, feed: str, day: dt.date, by_feed: Mapping[str, Mapping[dt.date, int]],
         ordered: Mapping[str, list[dt.date]], typical: float | None) -> _Fit:  # fmt: skip
    """How a value fits in `feed`'s own series at `day`, against the typical daily increment."""
    series, dates = by_feed[feed], ordered[feed]
    before, after = _neighbours(dates, series, day)
    monotone = (before is None or before[1] <= value) and (after is None or value <= after[1])
    steps = []
    if before is not None:
        steps.append((value - before[1]) / (day - before[0]).days)
    if after is not None:
        steps.append((after[1] - value) / (after[0] - day).days)
    misfit = sum(abs(s - typical) for s in steps) if typical is not None and steps else None
    return _Fit(
        monotone,
        misfit,
        value - before[1] if before is not None else None,
        after[1] - value if after is not None else None,
        after[0] if after is not None else None,
    )


def _judge(
    metric: str,
    day: dt.date,
    held: dict[str, int],
    by_feed: Mapping[str, Mapping[dt.date, int]],
    ordered: Mapping[str, list[dt.date]],
    page: str | None,
    pages: Mapping[dt.date, str] | None = None,
) -> Disagreement:
    """The arbiter's verdict and the class of one disagreement (see the module's docstring)."""
    by_value: dict[int, list[str]] = {}
    for feed in sorted(held):
        by_value.setdefault(held[feed], []).append(feed)
    # One yardstick for every value: the median of the increments around the day in every feed
    # that holds it (a feed's own other slips would otherwise move its yardstick).
    pooled = [r for feed in held for r in _rates(ordered[feed], by_feed[feed], day)]
    typical = statistics.median(pooled) if pooled else None
    fits = {v: _fit(v, feeds[0], day, by_feed, ordered, typical) for v, feeds in by_value.items()}
    stated = stated_increase(page) if metric in STATED_METRICS else None
    backed_value: int | None = None
    arbiter = ""
    if metric in STATED_METRICS and pages is not None:
        confirmed = {}
        for v, f in fits.items():
            following = stated_increase(pages.get(f.next_date)) if f.next_date is not None else None
            if stated is not None and f.increase == stated:
                confirmed[v] = f"the official page states an increase of {stated:,}; only this value gives it"
            elif following is not None and f.next_increase == following:
                confirmed[v] = (
                    f"the next report's official page ({f.next_date}) states an increase of {following:,}; "
                    "only this value gives it"
                )
        if len(confirmed) == 1:
            backed_value, arbiter = next(iter(confirmed.items()))
    if backed_value is None:
        prefix = f"the official page's increase {stated:,} matches no value alone; " if stated is not None else ""
        backed_value, arbiter = _by_neighbours(fits, arbiter_prefix=prefix)
    backed = tuple(by_value[backed_value]) if backed_value is not None else ()
    classes = {
        feed: "" if feed in backed else _classify(feed, value, day, held, by_feed, ordered)
        for feed, value in sorted(held.items())
    }
    tried = [c for feed, c in classes.items() if c]
    cls = min(tried, key=CLASSES.index) if tried else "other"
    return Disagreement(
        day,
        metric,
        dict(sorted(held.items())),
        cls,
        classes,
        ", ".join(backed) if backed else UNDECIDED,
        backed,
        arbiter,
        stated,
        page,
    )


def _by_neighbours(fits: Mapping[int, _Fit], *, arbiter_prefix: str) -> tuple[int | None, str]:
    """The value the neighbouring totals back (None: undecided), and why, in words."""
    monotone = {v: f for v, f in fits.items() if f.monotone}
    if not monotone:
        return None, arbiter_prefix + "no value lies between the feeds' neighbouring totals"
    if len(monotone) == 1:
        value = next(iter(monotone))
        return value, arbiter_prefix + "only this value lies between its feed's neighbouring totals"
    judged = {v: f.misfit for v, f in monotone.items() if f.misfit is not None}
    if len(judged) < len(monotone):
        return None, arbiter_prefix + "too few neighbouring reports to judge by"
    ranked = sorted(judged.items(), key=lambda item: item[1])
    (best, low), (_, runner_up) = ranked[0], ranked[1]
    if runner_up >= CLEAR_MARGIN * low and runner_up - low > 1:
        return best, arbiter_prefix + "its increments are like the days around it; the other value's are not"
    return None, arbiter_prefix + "every value's increments are about as like the days around it"


def _classify(
    feed: str,
    value: int,
    day: dt.date,
    held: Mapping[str, int],
    by_feed: Mapping[str, Mapping[dt.date, int]],
    ordered: Mapping[str, list[dt.date]],
) -> str:
    """The class of one feed's value at `day` (CLASSES, in order)."""
    before, _ = _neighbours(ordered[feed], by_feed[feed], day)
    others = {f: v for f, v in held.items() if f != feed and v != value}
    if before is not None and value == before[1]:
        return "stale_copy"
    digits = sorted(str(abs(value)))
    if any(sorted(str(abs(v))) == digits for v in others.values()):
        return "transposed"
    one = dt.timedelta(days=1)
    for other in others:
        series = by_feed[other]
        if series.get(day - one) == value or series.get(day + one) == value:
            return "shifted"
    if before is not None and value < before[1]:
        return "decrease"
    return "other"
