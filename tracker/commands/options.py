"""The options every report command shares (records, averages, headline, series, and later
charts), their validation, and loading the daily series they ask for.

Kept light: typer and the standard library only at import time, so `tracker --help` is fast;
pandas and the store are imported when a command runs.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import os
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tracker.errors import ExitCode, InvalidInput, TrackerError

if TYPE_CHECKING:
    import pandas as pd


class By(str, Enum):
    """Which day a figure is dated by."""

    report = "report"
    covered = "covered"


class OutputFormat(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


DEFAULT_SOURCE = "ua-general-staff"
DEFAULT_METRIC = "personnel"

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
        help="table for people (thousands separators, ISO dates); json or csv for machines (plain numbers).",
    ),
]
IncludeFlaggedOption = Annotated[
    bool,
    typer.Option(
        "--include-flagged",
        show_default=False,
        help="Count doubtful days in records too (rounded early-2022 roundups, catch-ups after "
        "flat days, outliers, changes of category, increments spanning missing reports). "
        "By default they are left out, and listed with the reason.",
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


@dataclass(frozen=True)
class ReportOptions:
    """The shared options, validated."""

    metric: str
    source: str
    since: dt.date | None
    until: dt.date | None
    as_of: dt.date | None
    by: str
    format: str
    include_flagged: bool
    db: str | None

    @property
    def label(self) -> str:
        from tracker.metrics import METRICS

        return METRICS[self.metric].label

    def describe(self) -> dict[str, Any]:
        """What was asked, for the header of every output."""
        from tracker.analysis.series import CONVENTION_TEXT

        return {
            "metric": self.metric,
            "label": self.label,
            "source": self.source,
            "by": self.by,
            "convention": CONVENTION_TEXT[self.by],
            "since": self.since,
            "until": self.until,
            "as_of": self.as_of,
            "include_flagged": self.include_flagged,
        }


def parse_date(text: str | None, option: str) -> dt.date | None:
    """An ISO date, or InvalidInput naming the option."""
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"{option}: not a date, expected YYYY-MM-DD: {text[:40]!r}") from None


def report_options(
    *,
    metric: str,
    source: str,
    since: str | None,
    until: str | None,
    as_of: str | None,
    by: By | str,
    format: OutputFormat | str,
    include_flagged: bool,
    db: str | None,
) -> ReportOptions:
    """Validate the shared options: a known metric, real dates, since not after until."""
    from tracker.metrics import resolve

    try:
        canonical = resolve(metric).name
    except KeyError as exc:
        raise InvalidInput(str(exc.args[0])) from None
    start, end = parse_date(since, "--since"), parse_date(until, "--until")
    when = parse_date(as_of, "--as-of")
    if when and when > dt.date.today():
        raise InvalidInput(f"--as-of {when} is in the future: nothing was known on that day yet")
    if start and end and start > end:
        raise InvalidInput(f"--since {start} is after --until {end}")
    return ReportOptions(
        canonical, source, start, end, when, By(by).value, OutputFormat(format).value, include_flagged, db
    )


def load_daily(opts: ReportOptions) -> pd.DataFrame:
    """The daily series the options ask for: read from the store, flagged, cut to the dates."""
    return load_series(opts)[1]


def load_series(opts: ReportOptions) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the whole daily series as known then, its cut to --since/--until)."""
    from tracker.analysis.series import between, daily_series
    from tracker.config import resolve_db_url
    from tracker.store.db import open_store
    from tracker.store.queries import observations_frame

    engine = open_store(resolve_db_url(opts.db), write=False)
    try:
        obs = observations_frame(engine, source=opts.source, metric=opts.metric, as_of=opts.as_of)
    finally:
        engine.dispose()
    if obs.empty:
        raise InvalidInput(
            f"no reports of {opts.metric} from {opts.source} in the store"
            + (f" up to {opts.as_of}" if opts.as_of else "")
        )
    daily = daily_series(obs, by=opts.by, metric=opts.metric, today=opts.as_of or dt.date.today())
    cut = between(daily, opts.since, opts.until)
    if cut.empty:
        raise InvalidInput(
            f"no {opts.metric} figures dated between {opts.since or 'the start'} "
            f"and {opts.until or 'the end'} (by {opts.by}); the series runs "
            f"{daily['date'].min().date()} to {daily['date'].max().date()}"
        )
    return daily, cut


# --- the report cache -------------------------------------------------------------------------
# A report depends only on the store's contents, the options, the day (flags look for future
# dates) and the code. For a SQLite store the file's size and modification time say whether
# its contents changed, so an answer already computed for the same inputs is served as it was
# printed, without importing pandas or opening the store. Other stores are always computed.
CACHE_ENV = "TRACKER_REPORT_CACHE"  # "0" turns the cache off
CACHE_MAX_ENTRIES = 256
_code_key: str | None = None


def cache_dir() -> Path:
    """$XDG_CACHE_HOME/tracker/reports (~/.cache/tracker/reports by default)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "tracker" / "reports"


def _sqlite_file(url: str) -> Path | None:
    if not url.startswith("sqlite:///"):
        return None
    path = url[len("sqlite:///") :].split("?", 1)[0]
    return Path(path) if path and path != ":memory:" else None


def _file_state(path: Path) -> list | None:
    """Size, modification time and header of the SQLite file and its write-ahead log.

    The headers hold SQLite's change counter and the log's salt, which change on every commit
    and every reset of the log, so a change within the clock's granularity is seen too.
    """
    out: list = []
    for p, header in ((path, 100), (Path(f"{path}-wal"), 32)):
        try:
            st = p.stat()
            with open(p, "rb") as handle:
                head = handle.read(header).hex()
        except OSError:
            out.append(None)
            continue
        out.append([st.st_size, st.st_mtime_ns, head])
    return out if out[0] is not None else None


def _code_fingerprint() -> str:
    """Sizes and modification times of the tracker package's source: new code, new answers."""
    global _code_key
    if _code_key is None:
        root = Path(__file__).resolve().parent.parent
        parts = []
        for dirpath, _, files in sorted(os.walk(root)):
            for name in sorted(files):
                if name.endswith(".py"):
                    st = os.stat(os.path.join(dirpath, name))
                    parts.append(f"{dirpath}/{name}:{st.st_size}:{st.st_mtime_ns}")
        _code_key = hashlib.sha256("\n".join(parts).encode()).hexdigest()
    return _code_key


def _cache_key(command: str, opts: ReportOptions, extra: dict) -> Path | None:
    if os.environ.get(CACHE_ENV, "1") == "0":
        return None
    from tracker.config import resolve_db_url

    db_file = _sqlite_file(resolve_db_url(opts.db))
    state = _file_state(db_file) if db_file else None
    if state is None:
        return None
    key = {
        "command": command,
        "options": asdict(opts),
        "extra": extra,
        "db": str(db_file.resolve()),
        "state": state,
        "today": dt.date.today(),
        "code": _code_fingerprint(),
    }
    digest = hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()
    return cache_dir() / f"{digest}.txt"


def served(command: str, opts: ReportOptions, extra: dict, produce: Callable[[], str]) -> str:
    """The report's text: from the cache when the same inputs were answered before."""
    path = _cache_key(command, opts, extra)
    if path is not None:
        try:
            return path.read_text(encoding="utf-8")
        except OSError:
            pass
    text = produce()
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, path)
            _prune(path.parent)
        except OSError:
            pass  # a read-only cache only costs time
    return text


def _prune(folder: Path) -> None:
    entries = sorted(folder.glob("*.txt"), key=lambda p: p.stat().st_mtime_ns)
    for old in entries[: max(len(entries) - CACHE_MAX_ENTRIES, 0)]:
        old.unlink(missing_ok=True)


def echo(text: str) -> None:
    """Print one output (already made safe by tracker.render)."""
    typer.echo(text.rstrip("\n"))


def fails_in_one_line(command: Callable) -> Callable:
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
        from tracker.render import sanitize

        first = message.strip().splitlines()[0] if message.strip() else "invalid input"
        print(f"error: {sanitize(first)}", file=sys.stderr)
        raise typer.Exit(code)

    return wrapper
