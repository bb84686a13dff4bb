"""Report commands: records, averages, headline, series.

Each is a few lines: the shared options arrive validated (tracker.commands.options), the
library (tracker.reports) computes and renders, the command prints.
"""

from __future__ import annotations

from typing import Annotated

import typer

from tracker.commands.options import Number, echo, report_command
from tracker.ingest.values import MOST_FIGURE
from tracker.reports.options import Period, ReportOptions

TopOption = Annotated[
    int,
    typer.Option(
        "--top",
        click_type=Number(1, 100_000, whole=True),
        show_default=True,
        help="How many of the highest days to list.",
    ),
]
StreakOption = Annotated[
    float | None,
    typer.Option(
        "--streak-threshold",
        click_type=Number(0, MOST_FIGURE),
        show_default=False,
        help="Streaks are runs of consecutive days at or above this figure. Default: the "
        "90th percentile of the days counted, rounded down to two significant digits.",
    ),
]
MilestoneOption = Annotated[
    int | None,
    typer.Option(
        "--milestone-step",
        click_type=Number(1, MOST_FIGURE, whole=True),
        show_default=False,
        help="List the report on which each multiple of this step was first passed. "
        "Default per metric (100,000 for personnel).",
    ),
]
PeriodOption = Annotated[
    Period,
    typer.Option(
        "--period",
        case_sensitive=False,
        show_default=True,
        help="Totals and daily averages per day, ISO week, calendar month, calendar year, "
        "or over all the days in view.",
    ),
]
ExplainOption = Annotated[
    bool,
    typer.Option(
        "--explain",
        show_default=False,
        help="List every day left out of the records with its reasons, and the months and years "
        "left out with why (by default the days are counted by reason).",
    ),
]
TableOption = Annotated[
    str | None,
    typer.Option(
        "--table",
        show_default=False,
        metavar="NAME",
        help="Only this table, in any format: deadliest_day, record_progression, top_days, "
        "deadliest_7_days, deadliest_month, deadliest_year, streaks, milestones, excluded, "
        "excluded_summary, excluded_months, excluded_years. --format csv prints one table per "
        "file: top_days unless this names another.",
    ),
]
AboveOption = Annotated[
    float | None,
    typer.Option(
        "--above",
        click_type=Number(-MOST_FIGURE, MOST_FIGURE),
        show_default=False,
        metavar="N",
        help="Only the days whose increment is above N (strictly), with a line counting them: "
        "`series --above 1500 --since 2025-01-01 --until 2025-12-31`.",
    ),
]
BelowOption = Annotated[
    float | None,
    typer.Option(
        "--below",
        click_type=Number(-MOST_FIGURE, MOST_FIGURE),
        show_default=False,
        metavar="N",
        help="Only the days whose increment is below N (strictly); with --above, the days between.",
    ),
]
RollingOption = Annotated[
    int | None,
    typer.Option(
        "--rolling",
        click_type=Number(1, 10_000, whole=True, unit="days"),
        show_default=False,
        metavar="N",
        help="Instead of periods: the N-day rolling average for each day.",
    ),
]


@report_command()
def records(
    opts: ReportOptions,
    top: TopOption = 10,
    streak_threshold: StreakOption = None,
    milestone_step: MilestoneOption = None,
    explain: ExplainOption = False,
    table: TableOption = None,
) -> None:
    """Deadliest day (for equipment: most tanks, drones, ... in one day) and its record
    progression, top days, 7 days, month and year, streaks and milestones. Doubtful days are
    left out, counted by reason (--explain lists them). Refused for a series dated by when
    losses were documented (Oryx)."""
    from tracker.reports.outputs import records_report

    echo(
        records_report(
            opts,
            top=top,
            streak_threshold=streak_threshold,
            milestone_step=milestone_step,
            explain=explain,
            table=table,
        )
    )


@report_command()
def averages(opts: ReportOptions, period: PeriodOption = Period.month, rolling: RollingOption = None) -> None:
    """Daily averages and totals per period, with day counts, flagged days, and changes vs
    the previous period and the same period a year earlier. Flagged days are counted. For a
    series dated by documentation (Oryx): weekly, monthly or yearly totals documented."""
    from tracker.reports.outputs import averages_report

    echo(averages_report(opts, period=Period(period).value, rolling=rolling))


@report_command()
def headline(opts: ReportOptions) -> None:
    """A news-ready summary of the latest report (or the last one up to --as-of / --until):
    the day's figure, whether it is a record and what it beat, the total, milestones, the
    7-day average and the month so far."""
    from tracker.reports.outputs import headline_report

    echo(headline_report(opts))


@report_command()
def series(opts: ReportOptions, above: AboveOption = None, below: BelowOption = None) -> None:
    """The daily series: each report's total, increment, span and quality flags (with
    reasons in json and csv); --above / --below keep the days past a figure and count them.
    --include-flagged changes nothing here: every day is shown. A series dated by when losses
    were documented (Oryx) lists its totals per snapshot."""
    from tracker.reports.outputs import series_report

    echo(series_report(opts, above=above, below=below))


def register(app: typer.Typer) -> None:
    """Add `records`, `averages`, `headline` and `series` to the app."""
    for command in (records, averages, headline, series):
        app.command(command.__name__)(command)
