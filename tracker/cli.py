"""The `tracker` command line: a thin typer layer over the library.

Each command parses options and calls a documented function; heavy imports (pandas,
matplotlib) happen inside the commands that need them so that `tracker --help` starts fast.
A run names its command first, so `main` registers only the command modules that command
needs (a report imports neither the ingest commands nor the feeds); `app` is the whole
command line, built when first asked for (help, tests, `tracker` with no command).
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable
from typing import Any

import typer

try:  # typer 0.28 vendors click; earlier versions use click itself
    from typer._click import exceptions as click_errors
except ImportError:  # pragma: no cover
    from click import exceptions as click_errors  # type: ignore[no-redef]  # the same module, where older typer keeps it

from tracker.errors import ExitCode, TrackerError, internal_error_line, local_file_error

# Ctrl-C (128 + SIGINT, as a shell reports it). typer 0.28 turns a KeyboardInterrupt into
# Exit(130), which click hands back as a code; earlier versions raise Abort: both end in one line.
INTERRUPTED = 130

HELP = (
    "A durable, revision-aware store of casualty claims, and the reports built on it.\n\n"
    "Every figure is a claim: it keeps its source, feed, raw payload and every revision."
)
# The command modules in the order their commands appear in `tracker --help`, with the groups
# each one's `register` takes ("app" is the top level).
MODULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("ingest", ("ingest",)),
    ("oryx", ("ingest",)),
    ("store", ("app", "db", "feeds")),
    ("reports", ("app",)),
    ("notes", ("app",)),
    ("reconcile", ("app",)),
    ("claims", ("app", "ingest", "claims")),
    ("charts", ("app",)),
    ("changes", ("app",)),
    ("site", ("app",)),
    ("source_commands", ("app",)),
)
# Which module registers each top-level command or group (a group's commands may come from
# several modules). tests/test_first_query.py checks this against the full command line.
PROVIDERS: dict[str, tuple[str, ...]] = {
    "ingest": ("ingest", "oryx", "claims"),
    "db": ("store",),
    "feeds": ("store",),
    "claims": ("claims",),
    "status": ("store",),
    "latest": ("store",),
    "findings": ("store",),
    "daily": ("store",),
    "records": ("reports",),
    "averages": ("reports",),
    "headline": ("reports",),
    "series": ("reports",),
    "notes": ("notes",),
    "reconcile": ("reconcile",),
    "compare": ("claims",),
    "chart": ("charts",),
    "charts": ("charts",),
    "changes": ("changes",),
    "site": ("site",),
    "sources": ("source_commands",),
}


def build_app(modules: tuple[str, ...] | None = None) -> typer.Typer:
    """The command line with the commands of `modules` (all of them when None)."""
    app = typer.Typer(
        name="tracker",
        help=HELP,
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        rich_markup_mode="markdown",
        add_completion=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    groups = {
        "app": app,
        "ingest": typer.Typer(
            help="Fetch a feed, archive its raw payload, and store what changed as revisions.", no_args_is_help=True
        ),
        "db": typer.Typer(help="Create, upgrade and inspect the store's schema.", no_args_is_help=True),
        "feeds": typer.Typer(
            help="The feeds in the store and which of them `tracker status` judges.", no_args_is_help=True
        ),
        "claims": typer.Typer(
            help="Claims of other sources: curated in data/claims/claims.csv or added here.", no_args_is_help=True
        ),
    }
    wanted = [(name, takes) for name, takes in MODULES if modules is None or name in modules]
    used = {group for _, takes in wanted for group in takes if group != "app"}
    for group in ("ingest", "db", "feeds", "claims"):
        if group in used:
            app.add_typer(groups[group], name=group)
    for name, takes in wanted:
        register: Callable[..., None] = importlib.import_module(f"tracker.commands.{name}").register
        register(*(groups[group] for group in takes))
    return app


def _app_for(argv: list[str]) -> typer.Typer:
    """Only the modules the named command needs; the whole command line for anything else
    (help, no command, an unknown one: its error lists what there is)."""
    modules = PROVIDERS.get(argv[0]) if argv else None
    # typer runs an app with a single command as that command: keep a group of several.
    if modules is not None and modules != ("reports",):
        modules = (*modules, "reports")
    return build_app(modules)


def __getattr__(name: str) -> Any:
    """`tracker.cli.app`: the whole command line, built on first use."""
    if name == "app":
        app = build_app()
        globals()["app"] = app
        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    """Console entry point: expected failures end with one line and a documented exit code.

    Usage errors are one `error:` line naming the help to read (exit 2); typer.Exit carries a
    command's exit code; standard output that cannot be written is exit 6; anything else is one
    line, never a traceback (TRACKER_DEBUG=1 shows it).
    """
    from tracker.ingest import interrupts

    try:
        with interrupts.installed():
            try:
                code = _run()
            except KeyboardInterrupt:  # landed between the command's end and here
                code = INTERRUPTED
            # An interrupt swallowed where it landed (a finalizer) still ends the command as one.
            interrupted = code == INTERRUPTED or interrupts.pending()
            if interrupted:
                interrupts.ignore_more()
    except KeyboardInterrupt:  # landed while the handlers were put back
        interrupted = True
    if interrupted:
        print("interrupted: an unfinished run changes nothing", file=sys.stderr)
        code = INTERRUPTED
    sys.exit(code)


def _run() -> int:
    """Run the command line; its exit code (a failure's one line printed)."""
    from tracker.errors import sanitize
    from tracker.reports.safe_write import guard_stdout

    guard_stdout()  # output that cannot be written is one line and exit 6, not a traceback
    try:
        code = _app_for(sys.argv[1:])(standalone_mode=False)
        sys.stdout.flush()  # here, where its failure is one line, not at exit
    except click_errors.NoArgsIsHelpError as exc:
        print(exc.format_message())  # the help text: a command group called with nothing to do
        return int(ExitCode.USAGE)
    except click_errors.UsageError as exc:
        # One line that a cron mail can carry, and the help to read, instead of click's box.
        where = exc.ctx.command_path if exc.ctx is not None else "tracker"
        message = " ".join(exc.format_message().split())  # click words some messages over lines
        print(f"error: {sanitize(message)} (see `{where} --help`)", file=sys.stderr)
        return int(ExitCode.USAGE)
    except click_errors.ClickException as exc:
        print(f"error: {sanitize(exc.format_message())}", file=sys.stderr)
        return exc.exit_code
    except (typer.Abort, KeyboardInterrupt):
        return INTERRUPTED
    except TrackerError as exc:
        if _after_an_interrupt():
            return INTERRUPTED
        print(f"error: {sanitize(exc)}", file=sys.stderr)
        return int(exc.exit_code)
    except Exception as exc:  # an internal bug: one line, never a traceback (unless asked for)
        if _after_an_interrupt():
            return INTERRUPTED
        failure: TrackerError | None = local_file_error(exc) if isinstance(exc, OSError) else None
        if failure is None and "sqlalchemy.exc" in sys.modules:  # a database error no command caught: exit 6 or 7
            from tracker.store.db import uncaught_store_error

            failure = uncaught_store_error(exc)
        if failure is not None:
            print(f"error: {sanitize(failure)}", file=sys.stderr)
            sys.exit(int(failure.exit_code))
        if os.environ.get("TRACKER_DEBUG"):
            raise
        print(f"{internal_error_line(exc)} (set TRACKER_DEBUG=1 for a traceback)", file=sys.stderr)
        return int(ExitCode.INTERNAL)
    # Without standalone mode click returns a typer.Exit's code (or the command's return value).
    return code if isinstance(code, int) else 0


def _after_an_interrupt() -> bool:
    """Whether a failure came after a Ctrl-C: one that landed inside a library (a pool's finalizer,
    a half-closed connection) can leave it to fail later in a way of its own (an AssertionError in
    a loaded CI run). That failure is the interrupt's: the command ends as interrupted, with its one
    line (the unfinished run is rolled back). TRACKER_DEBUG=1 still shows it."""
    from tracker.ingest import interrupts

    return interrupts.pending() and not os.environ.get("TRACKER_DEBUG")
