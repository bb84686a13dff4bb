"""`tracker notes`: the "greatest losses direction" notes the General Staff's reports carried."""

from __future__ import annotations

import typer

from tracker.commands.options import (
    DbOption,
    FormatOption,
    LastOption,
    SinceOption,
    SourceOption,
    UntilOption,
    echo,
    fails_in_one_line,
)
from tracker.reports.options import DEFAULT_SOURCE, OutputFormat


@fails_in_one_line
def notes(
    source: SourceOption = DEFAULT_SOURCE,
    since: SinceOption = None,
    until: UntilOption = None,
    last: LastOption = None,
    format: FormatOption = OutputFormat.table,
    db: DbOption = None,
) -> None:
    """The "greatest losses direction" each report named (stored by `tracker ingest dataset`),
    oldest first; --since/--until or --last (counted back from the latest note) choose the days."""
    from tracker.config import resolve_db_url
    from tracker.errors import InvalidInput
    from tracker.reports.options import parse_date, parse_last
    from tracker.reports.outputs import notes_output
    from tracker.store.db import open_store
    from tracker.store.notes import direction_notes, latest_note_date
    from tracker.store.sources import require_source

    start, end = parse_date(since, "--since"), parse_date(until, "--until")
    window = parse_last(last)
    if start and end and start > end:
        raise InvalidInput(f"--since {start} is after --until {end}")
    if window and (start or end):
        given = " and ".join(f"{o} {v}" for o, v in (("--since", start), ("--until", end)) if v)
        raise InvalidInput(f"--last {window} and {given} both choose the days: give one or the other")
    engine = open_store(resolve_db_url(db), write=False)
    try:
        with engine.connect() as conn:
            require_source(conn, source)  # an unknown source is exit 2, as for `changes --source`
        latest = latest_note_date(engine, source=source)
        if window and latest:
            start, end = window.window(latest)
        rows = direction_notes(engine, source=source, since=start, until=end)
    finally:
        engine.dispose()
    echo(notes_output(rows, OutputFormat(format).value, source=source, since=start, until=end, latest=latest))


def register(app: typer.Typer) -> None:
    """Add `notes` to the app."""
    app.command("notes")(notes)
