"""The `tracker` command line: a thin typer layer over the library.

Each command parses options and calls a documented function; heavy imports (pandas,
matplotlib) happen inside the commands that need them so that `tracker --help` starts fast.
"""

from __future__ import annotations

import os
import sys

import typer

try:  # typer 0.28 vendors click; earlier versions use click itself
    from typer._click import exceptions as click_errors
except ImportError:  # pragma: no cover
    from click import exceptions as click_errors  # type: ignore[no-redef]  # the same module, where older typer keeps it

from tracker.commands import changes as change_commands
from tracker.commands import charts as chart_commands
from tracker.commands import claims as claims_commands
from tracker.commands import ingest as ingest_commands
from tracker.commands import notes as notes_commands
from tracker.commands import oryx as oryx_commands
from tracker.commands import reports as report_commands
from tracker.commands import site as site_commands
from tracker.commands import source_commands
from tracker.commands import store as store_commands
from tracker.errors import ExitCode, TrackerError

app = typer.Typer(
    name="tracker",
    help="A durable, revision-aware store of casualty claims, and the reports built on it.\n\n"
    "Every figure is a claim: it keeps its source, feed, raw payload and every revision.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
ingest_app = typer.Typer(
    help="Fetch a feed, archive its raw payload, and store what changed as revisions.",
    no_args_is_help=True,
)
db_app = typer.Typer(help="Create, upgrade and inspect the store's schema.", no_args_is_help=True)
feeds_app = typer.Typer(help="The feeds in the store and which of them `tracker status` judges.", no_args_is_help=True)
claims_app = typer.Typer(
    help="Claims of other sources: curated in data/claims/claims.csv or added here.", no_args_is_help=True
)
app.add_typer(ingest_app, name="ingest")
app.add_typer(db_app, name="db")
app.add_typer(feeds_app, name="feeds")
app.add_typer(claims_app, name="claims")

ingest_commands.register(ingest_app)
oryx_commands.register(ingest_app)
store_commands.register(app, db_app, feeds_app)
report_commands.register(app)
notes_commands.register(app)
claims_commands.register(app, ingest_app, claims_app)
chart_commands.register(app)
change_commands.register(app)
site_commands.register(app)
source_commands.register(app)


def main() -> None:
    """Console entry point: expected failures end with one line and a documented exit code.

    Usage errors are one `error:` line naming the help to read (exit 2); typer.Exit carries a
    command's exit code; anything else is one line, never a traceback (TRACKER_DEBUG=1 shows it).
    """
    from tracker.render import sanitize

    try:
        code = app(standalone_mode=False)
    except click_errors.NoArgsIsHelpError as exc:
        print(exc.format_message())  # the help text: a command group called with nothing to do
        sys.exit(int(ExitCode.USAGE))
    except click_errors.UsageError as exc:
        # One line that a cron mail can carry, and the help to read, instead of click's box.
        where = exc.ctx.command_path if exc.ctx is not None else "tracker"
        message = " ".join(exc.format_message().split())  # click words some messages over lines
        print(f"error: {sanitize(message)} (see `{where} --help`)", file=sys.stderr)
        sys.exit(int(ExitCode.USAGE))
    except click_errors.ClickException as exc:
        print(f"error: {sanitize(exc.format_message())}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        print("interrupted: an unfinished run changes nothing", file=sys.stderr)
        sys.exit(130)
    except TrackerError as exc:
        print(f"error: {sanitize(exc)}", file=sys.stderr)
        sys.exit(int(exc.exit_code))
    except Exception as exc:  # an internal bug: one line, never a traceback (unless asked for)
        if os.environ.get("TRACKER_DEBUG"):
            raise
        first = str(exc).splitlines()[0] if str(exc) else ""
        print(
            f"internal error: {type(exc).__name__}: {sanitize(first)} (set TRACKER_DEBUG=1 for a traceback)",
            file=sys.stderr,
        )
        sys.exit(1)
    # Without standalone mode click returns a typer.Exit's code (or the command's return value).
    sys.exit(code if isinstance(code, int) else 0)
