"""`tracker reconcile`: where the feeds (transcriptions) of one source disagree, and who is right."""

from __future__ import annotations

from typing import Annotated

import typer

from tracker.commands.options import (
    AsOfOption,
    DbOption,
    FormatOption,
    SourceOption,
    echo,
    fails_in_one_line,
)
from tracker.reports.options import DEFAULT_SOURCE, OutputFormat

ReconcileMetricOption = Annotated[
    str | None,
    typer.Option("--metric", "-m", show_default=False, help="Only this metric (default: every metric the feeds hold)."),
]
ReportSinceOption = Annotated[
    str | None,
    typer.Option("--since", show_default=False, metavar="YYYY-MM-DD", help="First report date to compare (inclusive)."),
]
ReportUntilOption = Annotated[
    str | None,
    typer.Option("--until", show_default=False, metavar="YYYY-MM-DD", help="Last report date to compare (inclusive)."),
]
AllOption = Annotated[
    bool,
    typer.Option(
        "--all", show_default=False, help="Also list the dates one feed has and another lacks (counted otherwise)."
    ),
]


@fails_in_one_line
def reconcile(
    source: SourceOption = DEFAULT_SOURCE,
    metric: ReconcileMetricOption = None,
    since: ReportSinceOption = None,
    until: ReportUntilOption = None,
    as_of: AsOfOption = None,
    all_dates: AllOption = False,
    format: FormatOption = OutputFormat.table,
    db: DbOption = None,
) -> None:
    """Every (report date, metric) where the source's feeds disagree, with each feed's value, a
    class (stale_copy, transposed, shifted, decrease, other) and a verdict (the feed whose value
    fits its neighbouring totals and the increase the official page states, or undecided); a
    summary per metric; --all lists the dates one feed lacks."""
    from tracker.reports.reconcile_outputs import reconcile_options, reconcile_report

    opts = reconcile_options(
        source=source,
        metric=metric,
        since=since,
        until=until,
        as_of=as_of,
        all_dates=all_dates,
        format=OutputFormat(format).value,
        db=db,
    )
    echo(reconcile_report(opts))


def register(app: typer.Typer) -> None:
    """Add `reconcile` to the app."""
    app.command("reconcile")(reconcile)
