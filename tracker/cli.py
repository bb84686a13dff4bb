"""The `tracker` command line: a thin typer layer over the library.

Each command parses options and calls a documented function; heavy imports (pandas,
matplotlib) happen inside the commands that need them so that `tracker --help` starts fast.
"""
from __future__ import annotations

import os
import sys

import typer

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
app.add_typer(ingest_app, name="ingest")
app.add_typer(db_app, name="db")


def _register() -> None:
    from tracker.commands import store as store_commands

    store_commands.register(app, ingest_app, db_app)
    for module_name in ("reports", "claims", "charts"):
        try:
            module = __import__(f"tracker.commands.{module_name}", fromlist=["register"])
        except ModuleNotFoundError as exc:
            if exc.name != f"tracker.commands.{module_name}":
                raise
            continue
        if module_name == "claims":
            module.register(app, ingest_app)
        else:
            module.register(app)


_register()


def main() -> None:
    """Console entry point: expected failures end with one line and a documented exit code."""
    try:
        code = app(standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except TrackerError as exc:
        from tracker.render import sanitize as printable

        print(f"error: {printable(exc)}", file=sys.stderr)
        sys.exit(int(exc.exit_code))
    except typer.Abort:
        print("aborted", file=sys.stderr)
        sys.exit(130)
    except KeyboardInterrupt:
        print("interrupted: nothing was changed by the unfinished run", file=sys.stderr)
        sys.exit(130)
    except Exception as exc:  # click usage errors, then anything unexpected
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        if isinstance(exc, click.exceptions.Exit):
            sys.exit(exc.exit_code)
        if os.environ.get("TRACKER_DEBUG"):
            raise
        print(f"internal error: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''} "
              "(set TRACKER_DEBUG=1 for a traceback)", file=sys.stderr)
        sys.exit(1)
