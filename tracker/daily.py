"""The morning job as one call: ingest the dataset and the claims file, then redraw the charts.

Every step runs even when an earlier one failed (charts drawn from what is stored are still
worth having when the source is unreachable), and each ends in one log line. The feeds it runs
are marked "daily": those are the feeds `tracker status` judges.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tracker.errors import ExitCode, TrackerError

if TYPE_CHECKING:
    from tracker.feeds import Feed

ENV_DATASET_FROM = "TRACKER_DATASET_FROM"
ENV_CLAIMS_FROM = "TRACKER_CLAIMS_FROM"
ENV_CHARTS_DIR = "TRACKER_CHARTS_DIR"
DAILY_ROLE = "daily"
# Codes that mean "the step did its job": 3 says it also has something to read.
SUCCESS_CODES = (ExitCode.OK, ExitCode.FINDINGS)


@dataclass(frozen=True)
class DailySettings:
    """Where each feed is read from and where the charts go; None means the default."""

    dataset_from: str | None = None  # a mirror URL or a local folder; default: the live dataset
    claims_from: str | None = None  # default: the curated claims file shipped with tracker
    charts_dir: Path | None = None  # no charts step when unset
    wait: float = 10.0
    allow_shrink: bool = False

    @classmethod
    def from_env(cls, **given: object) -> DailySettings:
        """Settings from flags, falling back to TRACKER_DATASET_FROM, TRACKER_CLAIMS_FROM and
        TRACKER_CHARTS_DIR for what a flag left unset (an empty variable counts as unset)."""
        env = {
            "dataset_from": os.environ.get(ENV_DATASET_FROM) or None,
            "claims_from": os.environ.get(ENV_CLAIMS_FROM) or None,
            "charts_dir": Path(os.environ[ENV_CHARTS_DIR]) if os.environ.get(ENV_CHARTS_DIR) else None,
        }
        values = {**env, **{k: v for k, v in given.items() if v is not None}}
        return cls(**values)  # type: ignore[arg-type]  # keys are the dataclass fields


@dataclass(frozen=True)
class StepResult:
    step: str
    exit_code: int
    line: str


def overall_exit_code(steps: list[StepResult]) -> int:
    """The first failing step's code; else 3 if any step has findings to read; else 0.

    A failure after a step with findings must not be hidden behind the findings' 3.
    """
    for step in steps:
        if step.exit_code not in SUCCESS_CODES:
            return step.exit_code
    return int(ExitCode.FINDINGS) if any(s.exit_code == ExitCode.FINDINGS for s in steps) else 0


def run_daily(
    url: str, settings: DailySettings, *, on_step: Callable[[StepResult], None] | None = None
) -> list[StepResult]:
    """Run every step of the morning job against the store at `url`; `on_step` sees each result
    as soon as it is known (the CLI prints it, so cron's log shows progress)."""
    from tracker.feeds.claims import ClaimsFeed
    from tracker.feeds.dataset import DatasetFeed

    steps: list[StepResult] = []

    def record(result: StepResult) -> None:
        steps.append(result)
        if on_step is not None:
            on_step(result)

    feeds: list[tuple[str, Feed, str | None]] = [
        ("dataset", DatasetFeed(), settings.dataset_from),
        ("claims", ClaimsFeed(), settings.claims_from),
    ]
    for name, feed, location in feeds:
        record(_ingest_step(name, url, feed, location, settings))
    if settings.charts_dir is None:
        record(StepResult("charts", 0, f"charts: skipped (no --charts-dir, ${ENV_CHARTS_DIR} unset)"))
    else:
        record(_charts_step(url, settings.charts_dir))
    return steps


def _ingest_step(name: str, url: str, feed: Feed, location: str | None, settings: DailySettings) -> StepResult:
    from tracker.ingest import run_ingest

    try:
        report = run_ingest(
            url,
            feed,
            location=location,
            lock_wait=settings.wait,
            allow_shrink=settings.allow_shrink,
            role=DAILY_ROLE,
        )
    except TrackerError as exc:
        return StepResult(name, int(exc.exit_code), f"{name}: error: {exc}")
    stamp = f"{report.observed_at:%Y-%m-%dT%H:%M:%SZ}"
    prefix = "error: " if report.status == "failed" else ""
    return StepResult(name, int(report.exit_code), f"{stamp} {prefix}{report.summary()}")


def _charts_step(url: str, out_dir: Path) -> StepResult:
    from tracker.charts.build import ChartRequest, build_set

    try:
        result = build_set(ChartRequest(), out_dir, url)
    except TrackerError as exc:
        return StepResult("charts", int(exc.exit_code), f"charts: error: {exc}")
    except OSError as exc:
        return StepResult("charts", int(ExitCode.STORE), f"charts: error: cannot write to {out_dir}: {exc.strerror}")
    skipped = "".join(f"; skipped {kind} ({reason})" for kind, reason in result.skipped)
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return StepResult("charts", 0, f"{when} charts: {len(result.written)} written to {out_dir}{skipped}")
