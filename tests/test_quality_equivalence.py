"""The fast `check_series` finds exactly what the straightforward per-point rules find (the copy
kept in tests/quality_reference.py): same rules, dates, severities, messages and order, on every
series of the shared dataset, on series shaped like the scale benchmark's, and on thousands of
seeded random series built to exercise every rule and every shortcut's edge."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter

import pytest
import quality_reference as reference
from quality_series import dataset_series, random_series, rising_series

from tracker.ingest.rules import FIRST_REPORT_DATE, RULES, Point, check_columns, check_series

RANDOM_SEED = 20261126
RANDOM_SERIES = 4000


def assert_same_findings(label: str, points: list[Point], today: dt.date) -> list[str]:
    expected = reference.check_series(label, points, today=today)
    assert check_series(label, points, today=today) == expected, f"{label}, today {today}"
    return [f.rule for f in expected]


def test_check_series_matches_the_reference_on_every_series_of_the_shared_dataset(latest_dir, history_dirs):
    # Each snapshot judged as of a day after its last report, and as of a day in the middle of
    # each series (the later half then dated in the future).
    rules: Counter[str] = Counter()
    series = 0
    for folder in [latest_dir, *history_dirs]:
        for label, points in dataset_series(folder):
            series += 1
            rules.update(assert_same_findings(label, points, points[-1].report_date + dt.timedelta(days=1)))
            rules.update(assert_same_findings(label, points, points[len(points) // 2].report_date))
    assert series == 138
    # The comparison is not vacuous: the real data trips every rule it can (it has no reported
    # increases and no missing dates, so neither increase_mismatch nor gap).
    assert {rule for rule in RULES if rules[rule] > 0} == {"decrease", "future_date", "outlier", "coarse", "catch_up"}


def test_check_series_matches_the_reference_on_steadily_rising_generated_series():
    # bench/bench_scale.py's shape (a per-series step from 1 to 97): every step's pattern of
    # round totals, so every screening shortcut of the coarse rule, with none flagged.
    for label, points in rising_series(10, 400):
        assert assert_same_findings(label, points, dt.date(2026, 1, 1)) == []


def test_check_series_matches_the_reference_on_seeded_random_series():
    rng = random.Random(RANDOM_SEED)
    rules: Counter[str] = Counter()
    for k in range(RANDOM_SERIES):
        points = random_series(rng)
        # today: after every report, or on one of them (the rest are then in the future)
        today = points[rng.randrange(len(points))].report_date if points and rng.random() < 0.3 else dt.date(2031, 1, 1)
        rules.update(assert_same_findings(f"random series {k} (seed {RANDOM_SEED})", points, today))
    # Every rule fires many times, so each has been compared where it finds something.
    assert min(rules[rule] for rule in RULES) >= 50, rules


@pytest.mark.parametrize("total", [2**49, 2**51, 2**62, -(2**62)])
def test_check_series_matches_the_reference_on_huge_totals_and_increments(total):
    # Beyond 2**50 the fast paths that rely on exact floats step aside.
    rng = random.Random(total)
    for _ in range(20):
        values = [total]
        for _ in range(60):
            values.append(values[-1] + rng.choice((0, 1, 3, 2**40, 2**52, -(2**45), rng.randrange(0, 2**53))))
        points = [Point(FIRST_REPORT_DATE + dt.timedelta(days=d), v) for d, v in enumerate(values)]
        assert_same_findings("huge", points, dt.date(2030, 1, 1))


@pytest.mark.parametrize(
    "dates",
    [
        [dt.date(2024, 1, 2), dt.date(2024, 1, 1)],
        [dt.date(2024, 1, 1), dt.date(2024, 1, 3), dt.date(2024, 1, 3)],
    ],
    ids=["out of order", "repeated date"],
)
def test_unsorted_or_repeated_dates_raise_the_same_error_as_the_reference(dates):
    points = [Point(d, 100 + i) for i, d in enumerate(dates)]
    with pytest.raises(ValueError) as expected:
        reference.check_series("tanks", points, today=dt.date(2026, 1, 1))
    with pytest.raises(ValueError, match="^tanks: points must be sorted by report_date with unique dates") as got:
        check_series("tanks", points, today=dt.date(2026, 1, 1))
    assert str(got.value) == str(expected.value)


def _fine_totals(start: int, n: int, seed: int) -> list[int]:
    """Totals rising by small odd steps: precise counts, rarely round."""
    rng, total, out = random.Random(seed), start, []
    for _ in range(n):
        total += rng.choice((11, 13, 17, 19, 23))
        out.append(total)
    return out


@pytest.mark.parametrize(
    ("values", "day", "message"),
    [
        # cut short by the start of the series: 5 totals up to it
        (
            [1000, 1100, 1200, 1307, 1400, *_fine_totals(1400, 40, 1)],
            4,
            "total 1,400 is rounded to 100s, as are 80% of the 5 distinct totals up to it: a roundup, not a count",
        ),
        # cut short by the end of the series: 6 totals from it on, 4 of them round (a full
        # side of 8 would need 5)
        (
            [*_fine_totals(3000, 40, 2), 5300, 5400, 5517, 5600, 5713, 5800],
            40,
            "total 5,300 is rounded to 100s, as are 67% of the 6 distinct totals from it on: a roundup, not a count",
        ),
        # cut short by the floor of the unit (10 hundreds): 6 totals up to it, 4 of them round
        (
            [
                711,
                733,
                751,
                773,
                791,
                813,
                831,
                853,
                871,
                893,
                911,
                933,
                1000,
                1100,
                1213,
                1300,
                1417,
                1500,
                *_fine_totals(1500, 30, 4),
            ],
            17,
            "total 1,500 is rounded to 100s, as are 67% of the 6 distinct totals up to it: a roundup, not a count",
        ),
    ],
    ids=["start", "end", "floor"],
)
def test_a_rounded_stretch_cut_short_in_a_strictly_rising_series_is_found_as_the_reference_finds_it(
    values, day, message
):
    # Every report a new total: the coarse rule's screening of such series must still let
    # through a side shorter than COARSE_WINDOW, where fewer round totals make a stretch.
    points = [Point(FIRST_REPORT_DATE + dt.timedelta(days=d), v) for d, v in enumerate(values)]
    found = check_series("tanks", points, today=dt.date(2030, 1, 1))
    assert found == reference.check_series("tanks", points, today=dt.date(2030, 1, 1))
    coarse = [f for f in found if f.rule == "coarse" and f.report_date == points[day].report_date]
    assert [f.message for f in coarse] == [message]


def test_check_columns_finds_what_check_series_finds_with_columns_left_out_when_empty():
    # The columnar entry point, with every column given, and with a column left out (None)
    # where every qualifier or reported increase is None or every adjustment 0.
    rng = random.Random(RANDOM_SEED + 1)
    left_out = Counter()
    for k in range(1000):
        points = random_series(rng)
        today = dt.date(2031, 1, 1)
        expected = reference.check_series("x", points, today=today)
        dates, values = [p.report_date for p in points], [p.value for p in points]
        qualifiers = [p.qualifier for p in points]
        reported = [p.reported_increase for p in points]
        adjustments = [p.adjustment for p in points]
        given = dict(qualifiers=qualifiers, reported=reported, adjustments=adjustments)
        assert check_columns("x", dates, values, today=today, **given) == expected, f"random series {k}"
        sparse = dict(
            qualifiers=None if all(q is None for q in qualifiers) else qualifiers,
            reported=None if all(r is None for r in reported) else reported,
            adjustments=None if not any(adjustments) else adjustments,
        )
        left_out.update(name for name, column in sparse.items() if column is None)
        assert check_columns("x", dates, values, today=today, **sparse) == expected, f"random series {k}"
    assert min(left_out[name] for name in ("qualifiers", "reported", "adjustments")) >= 50, left_out


def test_check_columns_refuses_columns_of_different_lengths():
    dates = [dt.date(2024, 1, 1), dt.date(2024, 1, 2)]
    with pytest.raises(ValueError, match="^tanks: columns of different lengths$"):
        check_columns("tanks", dates, [1, 2], today=dt.date(2026, 1, 1), adjustments=[0])
