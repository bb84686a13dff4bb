"""The morning job as one call: ingest the dataset and the claims file (and, when asked, Oryx's
visually confirmed losses and the Orc Losses transcription), then redraw the charts and the newsroom page, and end with what the
job's runs changed (`tracker changes`).

Every step runs even when an earlier one failed (charts drawn from what is stored are still
worth having when the source is unreachable), and each ends in one log line. The feeds it runs
are marked "daily": those are the feeds `tracker status` judges. A new record or a milestone
passed is the job's FIRST line (cron mails the output, and the first line is the story), so the
lines are handed on once the job is done: the alerts, one line per step, then the digest.
When a step stored something, its last step computes the morning's reports into the report
cache (`records`, `headline`, `averages --period month`), so the newsroom's first questions are
answered at once. `run_daily_job` also returns the job's story (`News`: records, milestones,
failures, withdrawals held, new disagreements), which `--quiet-unless-news` prints alone and
`--notify` posts (tracker.api.notify).
"""

from __future__ import annotations

import datetime as dt
import os
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tracker.errors import ExitCode, TrackerError, internal_error_line

if TYPE_CHECKING:
    from tracker.ingest.feeds import Feed

ENV_DATASET_FROM = "TRACKER_DATASET_FROM"
ENV_CLAIMS_FROM = "TRACKER_CLAIMS_FROM"
ENV_ORYX_FROM = "TRACKER_ORYX_FROM"
ENV_ORC_LOSSES_FROM = "TRACKER_ORC_LOSSES_FROM"
ENV_CHARTS_DIR = "TRACKER_CHARTS_DIR"
ENV_SITE_DIR = "TRACKER_SITE_DIR"
DAILY_ROLE = "daily"
# Codes that mean "the step did its job": 3 says it also has something to read.
SUCCESS_CODES = (ExitCode.OK, ExitCode.FINDINGS)


@dataclass(frozen=True)
class DailySettings:
    """Where each feed is read from and where the charts go; None means the default."""

    dataset_from: str | None = None  # a mirror URL or a local folder; default: the live dataset
    claims_from: str | None = None  # default: the curated claims file shipped with tracker
    # Oryx is opt-in: its file is a volunteer project's scrape, not a feed every newsroom wants
    # judged as daily. A location of its own turns the step on.
    oryx: bool = False
    oryx_from: str | None = None  # default (with oryx): the live totals_by_type.csv
    # Orc Losses, a second transcription of the General Staff's reports: opt-in the same way.
    orc_losses: bool = False
    orc_losses_from: str | None = None  # default (with orc_losses): the live russian-losses.json
    charts_dir: Path | None = None  # no charts step when unset
    site_dir: Path | None = None  # no page step when unset
    wait: float = 10.0
    allow_shrink: bool = False

    @classmethod
    def from_env(cls, **given: object) -> DailySettings:
        """Settings from flags, falling back to TRACKER_DATASET_FROM, TRACKER_CLAIMS_FROM,
        TRACKER_ORYX_FROM, TRACKER_ORC_LOSSES_FROM, TRACKER_CHARTS_DIR and TRACKER_SITE_DIR for what
        a flag left unset (an empty variable counts as unset)."""
        env = {
            "dataset_from": os.environ.get(ENV_DATASET_FROM) or None,
            "claims_from": os.environ.get(ENV_CLAIMS_FROM) or None,
            "oryx_from": os.environ.get(ENV_ORYX_FROM) or None,
            "orc_losses_from": os.environ.get(ENV_ORC_LOSSES_FROM) or None,
            "charts_dir": Path(os.environ[ENV_CHARTS_DIR]) if os.environ.get(ENV_CHARTS_DIR) else None,
            "site_dir": Path(os.environ[ENV_SITE_DIR]) if os.environ.get(ENV_SITE_DIR) else None,
        }
        values = {**env, **{k: v for k, v in given.items() if v is not None}}
        return cls(**values)  # type: ignore[arg-type]  # keys are the dataclass fields

    @property
    def runs_oryx(self) -> bool:
        """Whether the job ingests Oryx: asked for, or given a location."""
        return self.oryx or self.oryx_from is not None

    @property
    def runs_orc_losses(self) -> bool:
        """Whether the job ingests Orc Losses: asked for, or given a location."""
        return self.orc_losses or self.orc_losses_from is not None


@dataclass(frozen=True)
class StepResult:
    """One line of the job's output: a step's log line, an alert, or a line of the digest."""

    step: str
    exit_code: int
    line: str
    run_id: int | None = None  # the ingest run a successful ingest step recorded


# The story's kinds, most important first: the order `--quiet-unless-news` prints and posts them in.
NEWS_KINDS = ("record", "milestone", "failure", "withdrawal", "disagreement")


@dataclass(frozen=True)
class News:
    """One item of the morning's story: a new record, a milestone passed, a failed step, a
    withdrawal held, a new disagreement between feeds. `line` is what is printed (and posted as
    text); `fields` the same as plain data for a webhook."""

    kind: str
    line: str
    fields: Mapping[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class DailyOutcome:
    """What the job printed (`lines`: alerts, steps, digest) and its story (`news`, most
    important first; empty on a day when nothing new happened)."""

    lines: list[StepResult]
    news: list[News]

    @property
    def exit_code(self) -> int:
        return overall_exit_code(self.lines)


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
    """Run every step of the morning job against the store at `url`, then the digest of what its
    runs changed. Returns the lines in the order they are printed (alerts, steps, digest);
    `on_step` sees each in that order once the job is done."""
    lines = run_daily_job(url, settings).lines
    if on_step is not None:
        for line in lines:
            on_step(line)
    return lines


def run_daily_job(url: str, settings: DailySettings) -> DailyOutcome:
    """The morning job (see `run_daily`), with its story: what `--quiet-unless-news` prints and
    `--notify` posts."""
    from tracker.ingest.feeds.claims import ClaimsFeed
    from tracker.ingest.feeds.dataset import DatasetFeed
    from tracker.store.sources import sources_for_run

    feeds: list[tuple[str, Feed, str | None]] = [
        ("dataset", DatasetFeed(), settings.dataset_from),
        ("claims", ClaimsFeed(sources=lambda: set(sources_for_run(url))), settings.claims_from),
    ]
    if settings.runs_oryx:
        from tracker.ingest.feeds.oryx import OryxFeed

        feeds.append(("oryx", OryxFeed(), settings.oryx_from))
    if settings.runs_orc_losses:
        from tracker.ingest.feeds.orc_losses import OrcLossesFeed

        feeds.append(("orc-losses", OrcLossesFeed(), settings.orc_losses_from))
    before = _disagreements(url)
    steps = [_isolated(name, _ingest_step, name, url, feed, location, settings) for name, feed, location in feeds]
    run_ids = [s.run_id for s in steps if s.run_id is not None]
    try:
        alerts, digest, news = _digest_steps(url, run_ids)
        disagreements, disagreement_news = _new_disagreements(url, before)
        digest += disagreements
        news += disagreement_news
    except Exception as exc:  # a bug in the digest must not cost the charts and the page
        alerts, digest, news = [], [_failed_step("changes", exc)], []
    if settings.charts_dir is None:
        steps.append(StepResult("charts", 0, f"charts: skipped (no --charts-dir, ${ENV_CHARTS_DIR} unset)"))
    else:
        steps.append(_isolated("charts", _charts_step, url, settings.charts_dir))
    if settings.site_dir is not None:
        steps.append(_isolated("site", _site_step, url, settings.site_dir))
    if any(s.run_id is not None for s in steps):  # new data: the morning's reports change
        steps.append(_isolated("cache", _cache_step, url))
    lines = [*alerts, *steps, *digest]
    news += [
        News("failure", s.line, {"step": s.step, "exit_code": s.exit_code})
        for s in lines
        if s.exit_code not in SUCCESS_CODES
    ]
    news.sort(key=lambda item: NEWS_KINDS.index(item.kind))  # stable: each kind keeps its order
    return DailyOutcome(lines, news)


def _isolated(name: str, step: Callable[..., StepResult], *args: object) -> StepResult:
    """Run one step so that an unexpected exception (a bug) ends only that step: its line says
    so, its exit code is 1 (the job's code reports it), and the later steps still run. An ingest
    run it ended is already recorded as failed by the run itself."""
    try:
        return step(*args)
    except Exception as exc:
        if os.environ.get("TRACKER_DEBUG"):
            traceback.print_exc()
        return _failed_step(name, exc)


def _failed_step(name: str, exc: Exception) -> StepResult:
    return StepResult(name, int(ExitCode.INTERNAL), f"{name}: error: {internal_error_line(exc)}")


def _digest_steps(url: str, run_ids: list[int]) -> tuple[list[StepResult], list[StepResult], list[News]]:
    """(the alert lines, the digest's lines, the news) of what the job's successful runs changed. A
    digest that cannot be read is one error line with the store's exit code; the runs stand."""
    from tracker.reports.change_outputs import alert_lines, changes_table, news_items
    from tracker.reports.changes import collect_changes
    from tracker.store.db import open_store
    from tracker.store.run_changes import Window

    if not run_ids:
        return [], [StepResult("changes", 0, "changes: none (no step stored anything)")], []
    try:
        engine = open_store(url, write=False)
        try:
            found = collect_changes(engine, Window(asked="this job", run_ids=tuple(run_ids)))
        finally:
            engine.dispose()
    except TrackerError as exc:
        return [], [StepResult("changes", int(exc.exit_code), f"changes: error: {exc}")], []
    alerts = [StepResult("alert", 0, line) for line in alert_lines(found)]
    body = [StepResult("changes", 0, line) for line in changes_table(found, alerts=False).splitlines()]
    return alerts, body, [News(kind, line, fields) for kind, line, fields in news_items(found)]


def _disagreements(url: str) -> dict[tuple[object, ...], object] | None:
    """The store's current disagreements between feeds of one source (None when it cannot be
    read yet: a first run, whose every disagreement is then new)."""
    from tracker.reports.reconcile_outputs import store_disagreements

    try:
        return store_disagreements(url)
    except Exception:  # a bug here must not stop the day's ingest; the digest step reports it
        return None


def _new_disagreements(
    url: str, before: dict[tuple[object, ...], object] | None
) -> tuple[list[StepResult], list[News]]:
    """The digest's lines naming each disagreement between feeds the job's steps brought, and the
    same as news."""
    from tracker.reports.reconcile_outputs import new_disagreements, store_disagreements

    try:
        after = store_disagreements(url)
    except TrackerError as exc:
        return [StepResult("reconcile", int(exc.exit_code), f"reconcile: error: {exc}")], []
    found = new_disagreements(before or {}, after)
    return [StepResult("reconcile", 0, line) for line, _ in found], [
        News("disagreement", line, fields) for line, fields in found
    ]


def _ingest_step(name: str, url: str, feed: Feed, location: str | None, settings: DailySettings) -> StepResult:
    from tracker.ingest.run import run_ingest
    from tracker.store.run_report import RunOptions

    try:
        report = run_ingest(
            url,
            feed,
            location=location,
            options=RunOptions(lock_wait=settings.wait, allow_shrink=settings.allow_shrink, role=DAILY_ROLE),
        )
    except TrackerError as exc:
        return StepResult(name, int(exc.exit_code), f"{name}: error: {exc}")
    stamp = f"{report.observed_at:%Y-%m-%dT%H:%M:%SZ}"
    failed = report.status == "failed"
    line = f"{stamp} {'error: ' if failed else ''}{report.summary()}"
    return StepResult(name, int(report.exit_code), line, None if failed else report.run_id)


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


def _site_step(url: str, out_dir: Path) -> StepResult:
    from tracker.site.build import build_site

    try:
        result = build_site(url, out_dir)
    except TrackerError as exc:
        return StepResult("site", int(exc.exit_code), f"site: error: {exc}")
    except OSError as exc:
        return StepResult("site", int(ExitCode.STORE), f"site: error: cannot write to {out_dir}: {exc.strerror}")
    left_out = "".join(f"; left out {part} ({why})" for part, why in result.skipped)
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return StepResult("site", 0, f"{when} site: {result.page} ({len(result.files)} files){left_out}")


def _cache_step(url: str) -> StepResult:
    """Compute the morning reports into the report cache, after every step that writes or reads
    the store. The cache only saves time: a report it cannot warm is one line and exit 0 (the
    report is computed when asked, and says then what is wrong)."""
    from tracker.reports.cache import why_not_kept
    from tracker.reports.outputs import morning_reports
    from tracker.store.reading import sqlite_reader

    reason = why_not_kept(url)
    if reason is not None:
        return StepResult("cache", 0, f"cache: not warmed ({reason})")
    # Opening and closing the store first lets SQLite fold a log left by the steps into the
    # file now, not while the reports are computed (that would change the state they are keyed on).
    settle = sqlite_reader(url)
    if settle is not None:
        settle.close()
    started = time.perf_counter()
    failed = []
    reports = morning_reports(url)
    for name, produce in reports.items():
        try:
            produce()
        except Exception as exc:  # any failure only costs the morning's first reader time
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            failed.append(f"{name}: {first}")
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    seconds = time.perf_counter() - started
    line = f"{when} cache: warmed {len(reports) - len(failed)} of {len(reports)} reports in {seconds:.1f} s"
    return StepResult("cache", 0, line + "".join(f"; not warmed: {why}" for why in failed))
