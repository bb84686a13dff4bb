"""`tracker changes`: what the runs of a window changed — the morning digest."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer

from tracker.commands.options import DbOption, echo, fails_in_one_line


class ChangesFormat(str, Enum):
    table = "table"
    json = "json"


ChangesSinceOption = Annotated[
    str,
    typer.Option(
        "--since",
        metavar="TIME|yesterday|last-run",
        show_default=True,
        help="The runs to read: those observed from TIME (2024-11-11T08:00, UTC unless it names an offset; "
        "a day such as 2024-11-11 starts at midnight Kyiv time), from the start of yesterday or today (Kyiv), "
        "or each feed's last successful run (last-run: after `tracker daily`, that job's digest).",
    ),
]
ChangesUntilOption = Annotated[
    str | None,
    typer.Option(
        "--until",
        metavar="TIME",
        show_default=False,
        help="The last moment of the window (inclusive; a day means its end, Kyiv time). Default: now.",
    ),
]
ChangesSourceOption = Annotated[
    str | None,
    typer.Option("--source", show_default=False, help="Only this source's feeds, and the claims it made."),
]
ChangesFormatOption = Annotated[
    ChangesFormat,
    typer.Option(
        "--format", "-f", case_sensitive=False, show_default=True, help="table for people, json for machines."
    ),
]


@fails_in_one_line
def changes(
    since: ChangesSinceOption = "last-run",
    until: ChangesUntilOption = None,
    source: ChangesSourceOption = None,
    fmt: ChangesFormatOption = ChangesFormat.table,
    db: DbOption = None,
) -> None:
    """What the runs of a window changed, per feed: new reports with their increments, revisions
    (old → new, with both revision times), removals and re-adds, new records and milestones
    passed (first, as NEW RECORD / MILESTONE lines), new findings, new or revised claims."""
    from tracker.api import Store
    from tracker.reports.change_outputs import changes_output

    with Store(db) as store:
        found = store.changes(since, until, source=source)
    echo(changes_output(found, ChangesFormat(fmt).value))


def register(app: typer.Typer) -> None:
    """Add `changes` to the app."""
    app.command("changes")(changes)
