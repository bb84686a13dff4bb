"""The reliability drills (drills/) at CI size; `python -m drills.<name> --full` runs the full count.

Each drill runs the real CLI in subprocesses and reports every failed check by case name.
"""

from __future__ import annotations

import pytest

from drills import bad_input, concurrency, crash, replay
from drills.common import Checks, backends

pytestmark = pytest.mark.usefixtures("shared_data")  # every drill reads ../shared (skips without it)


def assert_passed(checks: Checks) -> None:
    assert not checks.failures, f"{len(checks.failures)} failed check(s):\n" + "\n".join(checks.failures)


def test_replay_of_real_snapshots_keeps_every_revision_and_what_was_known_between_them():
    checks, figures = replay.run()

    assert len(figures["snapshots"]) == 13  # seven history snapshots, latest/ and five edited versions
    assert_passed(checks)


def test_kill_9_at_random_moments_leaves_the_store_as_before_or_after_and_the_next_run_completes_it():
    checks, figures = crash.run(None)

    stores = [f for f in figures if f["backend"] != "files"]
    assert [f["backend"] for f in stores] == backends()
    for fig in stores:
        assert sum(fig["phases"].values()) == crash.ci_kills(fig["backend"]), fig
    (files,) = [f for f in figures if f["backend"] == "files"]  # page and chart writes killed, a full disk
    assert sum(files["landed"].values()) == crash.CI_OUTPUT_KILLS
    assert files["full_disk_exit"] == {"page": 6, "chart": 6}
    assert files["tmpfs"] == "exit 6" or files["tmpfs"].startswith("not tried: "), files
    assert_passed(checks)


def test_two_writers_and_four_readers_end_cleanly_and_every_reader_sees_one_whole_state():
    checks, figures = concurrency.run(concurrency.CI_SECONDS)

    for fig in figures:
        assert set(fig["runs"]) == {"writer-1", "writer-2", *concurrency.READERS}, fig
    assert_passed(checks)


def test_bad_input_drill_has_at_least_40_distinct_cases_at_every_entry_point():
    names = [(c.entry, c.name) for c in bad_input.CASES]

    assert len(names) == len(set(names)) >= 40
    assert {c.entry for c in bad_input.CASES} == {
        "dataset",
        "api",
        "csv",
        "claims file",
        "claims add",
        "cli",
        "store",
        "output",
    }


@pytest.fixture(scope="module")
def bad_outcomes(shared_data) -> dict[str, bad_input.Outcome]:
    """Every bad-input case, run once for this module."""
    _, outcomes = bad_input.run()
    return {f"{o.case.entry}: {o.case.name}": o for o in outcomes}


@pytest.mark.parametrize("case", [f"{c.entry}: {c.name}" for c in bad_input.CASES])
def test_bad_input_ends_with_its_documented_exit_code_one_error_line_and_the_store_as_specified(bad_outcomes, case):
    outcome = bad_outcomes[case]
    if outcome.skipped:
        pytest.skip(outcome.skipped)

    assert not outcome.problems, f"{case}: exit {outcome.code} {outcome.message!r}: " + "; ".join(outcome.problems)


def test_docs_reliability_md_is_what_the_generator_writes_from_the_current_results(bad_outcomes):
    skipped = sorted({o.skipped for o in bad_outcomes.values() if o.skipped})
    if skipped:
        pytest.skip(f"some cases could not run here, so the doc cannot be compared: {skipped[0]}")
    expected = bad_input.render_doc(list(bad_outcomes.values()))

    assert bad_input.DOC.read_text() == expected, (
        "docs/reliability.md is out of date: run `.venv/bin/python -m drills.bad_input --write-doc`"
    )
