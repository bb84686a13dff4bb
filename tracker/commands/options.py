"""The typer side of the options every report command shares: declared once, as annotated
parameters and a decorator that adds them to a command (see `report_command`).

Kept light: typer and the standard library only at import time, so `tracker --help` is fast;
pandas and the store are imported when a command runs.
"""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

try:  # typer 0.28 vendors click; earlier versions use click itself
    from typer._click import types as click_types
except ImportError:  # pragma: no cover
    from click import types as click_types  # type: ignore[no-redef]  # the same module, where older typer keeps it

from tracker.config import number_in_range
from tracker.errors import ExitCode, InvalidInput, TrackerError, local_file_error
from tracker.reports.options import (
    DEFAULT_METRIC,
    DEFAULT_SOURCE,
    FILTERS,
    By,
    Filters,
    OutputFormat,
    Side,
    report_options,
)


class Number(click_types.ParamType):
    """A numeric option checked by the one rule of every number the tool reads
    (tracker.config.number_in_range): finite, in range, ASCII digits. A bad value is one usage
    line naming the option and the range (exit 2)."""

    def __init__(
        self, low: float, high: float, *, above_low: bool = False, whole: bool = False, unit: str = ""
    ) -> None:
        self.name = "integer" if whole else "number"
        self.low, self.high, self.above_low, self.whole, self.unit = low, high, above_low, whole, unit

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        what = "the value"
        try:
            number = number_in_range(
                value, what, low=self.low, high=self.high, above_low=self.above_low, whole=self.whole, unit=self.unit
            )
        except InvalidInput as exc:
            self.fail(str(exc).removeprefix(f"{what} "), param, ctx)
        return int(number) if self.whole else number


MetricOption = Annotated[
    str,
    typer.Option(
        "--metric",
        "-m",
        show_default=True,
        help="Which series: personnel, tanks, afv, artillery, mlrs, air_defense, aircraft, "
        "helicopters, uav, ships, submarines, vehicles_fuel_tanks, cruise_missiles, "
        "special_equipment, ground_robotic_systems (dataset and API names are accepted too).",
    ),
]
SourceOption = Annotated[
    str, typer.Option("--source", show_default=True, help="Whose claims (a source key in the store).")
]
SideOption = Annotated[
    Side,
    typer.Option(
        "--side",
        case_sensitive=False,
        show_default=True,
        help="Whose losses: russia (every source's default) or ukraine (e.g. Oryx's count of "
        "Ukraine's equipment losses).",
    ),
]
LastOption = Annotated[
    tuple[str, str] | None,
    typer.Option(
        "--last",
        show_default=False,
        metavar="N UNIT",
        help="Only the latest N days, weeks or months of the series in view, written as two words: "
        "`--last 30 days` (the 30 days ending on the latest date), `--last 4 weeks` (the latest ISO "
        "week, Monday to Sunday, and the 3 before it), `--last 3 months` (the latest calendar month "
        "and the 2 before it); the latest week or month may be partial. Counted back from the latest "
        "report (up to --as-of). Instead of --since/--until, not with them.",
    ),
]
SinceOption = Annotated[
    str | None,
    typer.Option(
        "--since", show_default=False, metavar="YYYY-MM-DD", help="First day to include, dated by --by (inclusive)."
    ),
]
UntilOption = Annotated[
    str | None,
    typer.Option(
        "--until", show_default=False, metavar="YYYY-MM-DD", help="Last day to include, dated by --by (inclusive)."
    ),
]
AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        show_default=False,
        metavar="YYYY-MM-DD",
        help="Answer as a reader would have on that day: only reports dated up to it, with the "
        "values known by its end (later corrections ignored), and flags computed from them.",
    ),
]
ByOption = Annotated[
    By,
    typer.Option(
        "--by",
        case_sensitive=False,
        show_default=True,
        help="Date each figure by its report date (as news coverage does: the report of D covers "
        "roughly day D-1) or by the covered day (as UK Defence Intelligence averages do).",
    ),
]
FormatOption = Annotated[
    OutputFormat,
    typer.Option(
        "--format",
        "-f",
        case_sensitive=False,
        show_default=True,
        help="table for people (thousands separators, ISO dates); json for machines (plain numbers, full "
        "precision); csv for spreadsheets (one table, ISO dates, plain numbers, fractions to one decimal and "
        "ratios to four; UTF-8, with a byte order mark when a cell is not ASCII).",
    ),
]
IncludeFlaggedOption = Annotated[
    bool,
    typer.Option(
        "--include-flagged",
        show_default=False,
        help="Count doubtful days in records too (the first report, which counts every day since the "
        "invasion began; rounded early-2022 roundups, catch-ups after flat days, outliers, changes "
        "of category, increments spanning missing reports). "
        "By default they are left out, and listed with the reason.",
    ),
]
FeedOption = Annotated[
    str | None,
    typer.Option(
        "--feed",
        show_default=False,
        metavar="NAME",
        help="Which feed (transcription) of the source to read. Default: $TRACKER_FEED where the source "
        "has a feed of that name, else the open dataset's ua-dataset, else the source's fullest feed. "
        "JSON says which was read (`feed`) and whether the others agree (`feeds_agree`).",
    ),
]
DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        show_default=False,
        help="Store: a SQLAlchemy URL or a SQLite file path. Default: $TRACKER_DB_URL, else "
        "~/.local/share/tracker/tracker.db.",
    ),
]


JsonAliasOption = Annotated[bool, typer.Option("--json", hidden=True, help="The same as --format json.")]


def chosen_format(fmt: OutputFormat | str, as_json: bool) -> str:
    """The output format, with the older `--json` flag kept as an alias of `--format json`."""
    return OutputFormat.json.value if as_json else OutputFormat(fmt).value


def output_path(value: str | None, option: str, what: str) -> Path | None:
    """An output path option as given: None when left out, refused when empty (an empty path would
    mean the current folder), as an empty --from is."""
    from tracker.errors import InvalidInput

    if value is None:
        return None
    if not value.strip():
        raise InvalidInput(f"an empty {option}: give {what}")
    return Path(value)


def echo(text: str) -> None:
    """Print one output (already made safe by tracker.reports.render)."""
    typer.echo(text.rstrip("\n"))


def fails_in_one_line(command: Callable[..., Any]) -> Callable[..., Any]:
    """Expected failures end the command with `error: ...` on stderr and their exit code.

    The same under the console script and typer's test runner; never a traceback.
    """

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except TrackerError as exc:
            code = int(exc.exit_code)
            message = str(exc)
        except ValueError as exc:  # an analysis function refusing its input
            code = int(ExitCode.USAGE)
            message = str(exc)
        except OSError as exc:  # a local file error no step caught: one line, exit 6
            failure: TrackerError | None = local_file_error(exc)
            code, message = int(ExitCode.STORE), str(failure)
        except Exception as exc:  # a database error no step caught (a lock or statement timeout)
            from tracker.store.db import uncaught_store_error

            failure = uncaught_store_error(exc)
            if failure is None:
                raise
            code, message = int(failure.exit_code), str(failure)
        from tracker.errors import sanitize

        first = message.strip().splitlines()[0] if message.strip() else "invalid input"
        print(f"error: {sanitize(first)}", file=sys.stderr)
        raise typer.Exit(code)

    return wrapper


# The shared report options as parameters: declared once, added to a command by report_command.
_REPORT_PARAMETERS = [
    inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)
    for name, annotation, default in (
        ("metric", MetricOption, DEFAULT_METRIC),
        ("source", SourceOption, DEFAULT_SOURCE),
        ("side", SideOption, Side.russia),
        ("since", SinceOption, None),
        ("until", UntilOption, None),
        ("last", LastOption, None),
        ("as_of", AsOfOption, None),
        ("by", ByOption, By.report),
        ("format", FormatOption, OutputFormat.table),
        ("include_flagged", IncludeFlaggedOption, False),
        ("feed", FeedOption, None),
        ("db", DbOption, None),
    )
]


# Options the report commands honour and the charts do not (yet): not offered to the charts.
_REPORT_ONLY = frozenset({"format", "side", "last", "feed"})


def report_command(*, with_format: bool = True) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Give a command the shared report options and hand it one validated `ReportOptions`.

    The command is written `def records(opts: ReportOptions, *, top: TopOption = 10) -> None`:
    its own options follow `opts`; the decorator builds the signature typer reads (the shared
    options, then the command's own) and ends expected failures in one line. Without a format
    (charts), `--format`, `--side` and `--last` are not offered and the options say table,
    russia and no --last.
    """
    shared = [p for p in _REPORT_PARAMETERS if with_format or p.name not in _REPORT_ONLY]
    names = [p.name for p in shared]

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        own = [
            p.replace(kind=inspect.Parameter.KEYWORD_ONLY)
            for p in inspect.signature(command, eval_str=True).parameters.values()
            if p.name != "opts"
        ]

        @functools.wraps(command)
        def wrapper(**kwargs: Any) -> Any:
            given = {name: kwargs.pop(name) for name in names}
            filters = Filters(**{name: given.pop(name) for name in FILTERS if name in given})
            given.setdefault("format", OutputFormat.table)  # side, last, feed: Filters' defaults
            return command(report_options(**given, filters=filters), **kwargs)

        wrapper.__signature__ = inspect.Signature([*shared, *own])  # type: ignore[attr-defined]  # read by typer
        wrapper.__annotations__ = {}  # typer reads the evaluated signature above, not the strings
        return fails_in_one_line(wrapper)

    return decorate
