"""A plain CSV a person can write: report_date,metric,value[,qualifier][,source].

Additive: rows missing from a later file are not removals (a person may send one day at a time).
A bad row (wrong number of fields, a date or value that cannot be read) is a finding and the
other rows are stored; only a file that cannot be read as CSV, or is mostly bad, is refused.

A `source` column lets one file carry several sources: `tracker ingest csv` then makes one run
per source, each reading only its own rows (a blank cell is the run's --source). What the rows
count (`definition`) and whose losses they are (`side`) come from the run's `CsvReading`.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from tracker.domain import DEFINITIONS, METRICS, resolve
from tracker.errors import BadPayload, InvalidInput
from tracker.ingest.feeds.json_payload import (
    check_url,
    csv_error_reason,
    csv_reader,
    read_local,
    read_row,
    unreadable_rows,
)
from tracker.ingest.parsed import Fetched, ParsedPayload, ParseIssue, TotalRow, TotalsTable, keep_later
from tracker.ingest.values import (
    MAX_BAD_SHARE,
    MAX_QUALIFIER,
    check_fits_reason,
    parse_count,
    parse_iso_date,
    show,
    too_broken,
)
from tracker.store.source_registry import GENERAL_STAFF, SOURCE_KEY

if TYPE_CHECKING:
    import httpx

COLUMNS = ("report_date", "metric", "value", "qualifier")
OPTIONAL_COLUMNS = ("qualifier", "source")
# The archived record of how a run read the file (see CsvReading.as_fetched).
READING_ROLE = "csv-reading"


@dataclass(frozen=True)
class CsvReading:
    """How one run reads the file: whose rows it takes, and what they count.

    `source` owns the rows whose `source` cell names it; with `blank` it also owns the rows
    with a blank cell (it is the run's --source) and reports the rows no source can own (a bad
    source key, a wrong number of fields). `side` is whose losses the rows count; `definition`
    what they count, for rows of metrics of its kind (None: the source's default).
    """

    source: str = GENERAL_STAFF
    blank: bool = True
    side: str = "russia"
    definition: str | None = None

    @property
    def plain(self) -> bool:
        """Whether the bytes alone say how to read the file (as before sources were data)."""
        return self.blank and self.side == "russia" and self.definition is None

    def applies_to(self, metric: str) -> str | None:
        """The definition to store with a row of `metric`: ours when it is of the metric's kind."""
        own = DEFINITIONS.get(self.definition or "")
        return own.key if own is not None and own.kind == METRICS[metric].kind else None

    def as_fetched(self) -> Fetched:
        """The reading as a small archived item: the raw archive then says how its bytes were read,
        and a run that reads the same bytes differently is not taken for an unchanged repeat."""
        content = json.dumps(asdict(self), sort_keys=True).encode()
        return Fetched(
            "tracker ingest csv options", content, dt.datetime.now(dt.UTC), "application/json", None, READING_ROLE
        )


@dataclass
class CsvFeed:
    """report_date,metric,value[,qualifier][,source] rows from a local file or a URL.

    `prefetched` (what `tracker ingest csv` read once for all of a file's sources) is returned
    by fetch instead of reading again; an exception there is raised by fetch, so the run that
    meets it records it as a failed run.
    """

    reading: CsvReading = field(default_factory=CsvReading)
    prefetched: list[Fetched] | Exception | None = None
    source: str = field(init=False)  # whose rows: the reading's source
    name = "csv"
    default_location = ""  # a person's own data: there is no live default, --from is required

    def __post_init__(self) -> None:
        self.source = self.reading.source

    def fetch(self, location: str | None = None, **options: object) -> list[Fetched]:
        if isinstance(self.prefetched, Exception):
            raise self.prefetched
        fetched = self.prefetched if self.prefetched is not None else self._read(location, options)
        return fetched if self.reading.plain else [*fetched, self.reading.as_fetched()]

    @staticmethod
    def _read(location: str | None, options: dict[str, object]) -> list[Fetched]:
        if location is not None and not location.strip():
            raise InvalidInput("an empty --from: give a path or URL")
        if not location:
            raise InvalidInput("the csv feed needs --from PATH or URL")
        if "://" in location:
            check_url(location)
        if location.startswith(("http://", "https://")):
            from tracker.ingest import http

            client = cast("httpx.Client | None", options.get("client"))  # the Feed protocol passes options untyped
            return [http.fetch(location, client=client, role="csv")]
        try:
            return [read_local(Path(location), content_type="text/csv", role="csv")]
        except BadPayload as exc:
            if "limit for one payload" not in str(exc):
                raise
            # One payload is held in memory while it is read: a bigger backfill is several files.
            raise BadPayload(f"{exc}: split it into files under the limit (each source's rows in one file)") from None

    def parse(self, fetched: list[Fetched]) -> ParsedPayload:
        key = self.reading.source
        survey = survey_sources(fetched, key)
        # Read to the end: the verdict on a file too broken to trust comes after the payload.
        return dict(parse_sources(fetched, {key: self.reading}, survey, budget=survey.open_peak))[key]


@dataclass
class SourceSurvey:
    """What one cheap pass over a file found: whose rows it holds and where each source's rows
    end, so that the next pass can hand each source's payload on as soon as its last row is read
    instead of holding the whole file's rows."""

    by_column: bool  # whether the file has a `source` column (else every row is `default`'s)
    order: list[str]  # every source, `default` first when it owns rows, then by key
    rows: dict[str, int]  # data rows per source
    last_row: dict[str, int]  # the index of each source's last data row
    open_peak: int  # the most rows of sources begun but not finished at any point


def survey_sources(fetched: list[Fetched], default: str) -> SourceSurvey:
    """Whose rows a file holds, and where each source's rows begin and end; BadPayload for a file
    that cannot be read as this CSV at all.

    Rows are counted as the csv module reads them, blank ones included, as parse_sources counts
    them. A file's sources come in runs of rows, so a row is looked at only for its source cell.
    """
    rows: dict[str, int] = {}
    last: dict[str, int] = {}
    first: dict[str, int] = {}
    # A source cell that is not blank, as the source it names (a row no source can own is
    # reported in --source's run); blank cells and rows of the wrong width are looked at apart.
    owners: dict[str, str] = {}
    index = 0
    by_column = False
    run_key, run_rows, run_end = "", 0, 0

    def close_run() -> None:
        if run_rows:
            rows[run_key] = rows.get(run_key, 0) + run_rows
            last[run_key] = run_end

    for item in _data(fetched):
        reader = csv_reader(item.content, item.location)
        columns = _columns(reader, item.location)
        at = columns.get("source")
        by_column = at is not None
        width, need = len(columns), _needed(columns)
        end = reader.line_num
        try:
            for row in reader:
                index += 1
                key = owners.get(row[at]) if at is not None and len(row) == width else None
                if key is None:
                    if not _filled(row):
                        end = reader.line_num
                        continue
                    cell = row[at] if at is not None and at < len(row) else ""
                    owner = _owner(cell)
                    key = owner or default
                    if owner != "":  # a blank cell's row may be blank: looked at each time
                        owners[cell] = key
                    if len(row) < need or len(row) > width:
                        key = default
                if key != run_key:
                    close_run()
                    run_key, run_rows = key, 0
                    first.setdefault(key, index)
                run_rows += 1
                run_end = index
                end = reader.line_num
        except csv.Error as exc:
            raise BadPayload(f"{item.location} line {end + 1}: unreadable CSV: {csv_error_reason(exc)}") from None
        except UnicodeDecodeError:
            raise BadPayload(f"{item.location}: not UTF-8 text") from None
    close_run()
    order = sorted(rows, key=lambda k: (k != default, k))
    return SourceSurvey(by_column, order or [default], rows, last, _open_peak(rows, first, last))


def _open_peak(rows: dict[str, int], first: dict[str, int], last: dict[str, int]) -> int:
    """The most rows held at once by a pass that keeps each source's rows from its first row
    to its last (a bound: a source's rows count in full from its first row)."""
    events = sorted([(float(first[k]), rows[k]) for k in rows] + [(last[k] + 0.5, -rows[k]) for k in rows])
    held = peak = 0
    for _at, change in events:
        held += change
        peak = max(peak, held)
    return peak


def parse_sources(
    fetched: list[Fetched],
    readings: dict[str, CsvReading],
    survey: SourceSurvey,
    budget: int,
    plausible: dict[str, tuple[dt.date, dt.date]] | None = None,
    compact: bool = False,
) -> Iterator[tuple[str, ParsedPayload]]:
    """Each source's payload, handed on as soon as its last row is read; sources whose rows are
    interleaved so that more than `budget` rows would be held at once are taken in groups of at
    most `budget` rows, one pass over the file per group.

    Whether the file is too broken to trust is judged on all of its rows, whoever owns them, at
    the end of a pass: BadPayload then comes after payloads were handed on, so a caller stores
    them in a transaction it can roll back (as `tracker.ingest.csvload` does). A source's rows dated
    outside its `plausible` dates are set aside as ParsedPayload.implausible. `compact` gives each
    payload's totals as a TotalsTable (what a bulk load stores), not records.
    """
    groups: list[list[str]] = [[]]
    size = 0
    for key in readings:
        rows = survey.rows.get(key, 0)
        if survey.open_peak > budget and groups[-1] and size + rows > budget:
            groups.append([])
            size = 0
        groups[-1].append(key)
        size += rows
    for group in groups:
        yield from _parse_group(fetched, {key: readings[key] for key in group}, survey, plausible or {}, compact)


def _data(fetched: list[Fetched]) -> list[Fetched]:
    return [item for item in fetched if item.role != READING_ROLE]


def _filled(row: list[str]) -> bool:
    """Whether a row has anything in it (a blank row is skipped, not a bad row)."""
    return bool(row) and (bool(row[0].strip()) or any(cell.strip() for cell in row))


def _owner(cell: str) -> str | None:
    """Whose row it is by its source cell: "" when blank (the run's --source), None for a cell
    that is not a source key."""
    cell = cell.strip()
    return cell if not cell or SOURCE_KEY.fullmatch(cell) else None


def _parse_group(
    fetched: list[Fetched],
    readings: dict[str, CsvReading],
    survey: SourceSurvey,
    plausible: dict[str, tuple[dt.date, dt.date]],
    compact: bool,
) -> Iterator[tuple[str, ParsedPayload]]:
    states = {key: _SourceState(reading, plausible.get(key)) for key, reading in readings.items()}
    ends: dict[int, list[str]] = {}
    for key in readings:
        ends.setdefault(survey.last_row.get(key, 0), []).append(key)
    for key in ends.pop(0, []):  # a source that owns no row
        yield key, states.pop(key).payload(compact)
    reader = _Reader()
    # Blank cells, and rows no source can own, are the run of --source's (the blank reading).
    blank = next((key for key, reading in readings.items() if reading.blank), "")
    start = 0
    for item in _data(fetched):
        for state in states.values():
            state.where = item.location
        verdict = _Verdict(item.location)
        for _index, finished in reader.read(item, start, verdict, states, blank, ends):
            for key in finished:
                yield key, states.pop(key).payload(compact)
        start += verdict.rows
        verdict.check()
    for key in list(states):
        yield key, states.pop(key).payload(compact)


@dataclass
class _Verdict:
    """Counts a file's unreadable rows: more than MAX_BAD_SHARE of them refuses the file whole."""

    where: str
    rows: int = 0  # every row the csv module read, blank ones included
    line: int = 0  # the last line of the last row read (an unreadable CSV is reported at the next)
    blank: int = 0
    bad: int = 0
    row_example: str = ""
    value_example: str = ""

    @property
    def total(self) -> int:
        """The rows that are not blank."""
        return self.rows - self.blank

    def check(self) -> None:
        if too_broken(self.bad, self.total):
            example = self.row_example or self.value_example
            raise BadPayload(
                f"{self.where}: {self.bad:,} of {self.total:,} rows unreadable (more than {MAX_BAD_SHARE:.0%}): "
                f"not the CSV expected, nothing stored" + (f" (first: {example})" if example else "")
            )


@dataclass(frozen=True, slots=True)
class _Bad:
    """A row that could not be read: `issue` (a bad value) is its own finding, a `message` joins
    the file's unreadable-rows finding, an unknown metric is counted by name."""

    message: str = ""
    issue: ParseIssue | None = None
    unknown_metric: str | None = None


# A readable row: metric, report date, value, qualifier.
_Row = tuple[str, dt.date, int, str | None]
_Outcome = _Row | _Bad
_CACHE_LIMIT = 50_000  # distinct date, metric or source spellings remembered while reading a file


@dataclass
class _FilePass:
    """One pass over one file: its csv reader and columns, the verdict on its rows, and the
    states of the sources read (`blank`'s takes blank source cells and rows no source can own)."""

    reader: Any
    columns: dict[str, int]
    verdict: _Verdict
    states: dict[str, _SourceState]
    blank: str
    # The row width and the positions of source, qualifier, report_date, metric and value.
    positions: tuple[int, int | None, int | None, int, int, int] = field(init=False)

    def __post_init__(self) -> None:
        columns = self.columns
        self.positions = (
            len(columns),
            columns.get("source"),
            columns.get("qualifier"),
            columns["report_date"],
            columns["metric"],
            columns["value"],
        )


def _opened(
    state: _SourceState | None,
) -> tuple[_SourceState | None, dict[tuple[str, dt.date], TotalRow], dt.date, dt.date]:
    """A source's state with what the common row reads of it (its rows so far, its plausible
    dates); for no state, empty ones."""
    if state is None:
        return None, {}, dt.date.min, dt.date.min
    return state, state.seen, state.first, state.last


class _Reader:
    """Reads a file's rows, remembering how each date, metric and source cell parsed: a file of
    many series repeats the same few thousand dates, ten metric names and its source keys, so a
    row of known spellings costs a few dictionary lookups."""

    def __init__(self) -> None:
        self.dates: dict[str, dt.date | str] = {}
        self.metrics: dict[str, str | None] = {}
        self.owners: dict[str, str | None] = {}

    def read(
        self,
        item: Fetched,
        index: int,
        verdict: _Verdict,
        states: dict[str, _SourceState],
        blank: str,
        ends: dict[int, list[str]],
    ) -> Iterator[tuple[int, list[str]]]:
        """Give each row that is not blank to its source's state (`blank`'s for a blank source cell
        or a row no source can own); yields (row index, sources finished) at each index in `ends`.

        The rows are read in stretches that end at those indices, so that a row costs no look-up
        in `ends`; `index` is the index of the row before the file's first.
        """
        reader = csv_reader(item.content, item.location)
        file = _FilePass(reader, _columns(reader, item.location), verdict, states, blank)
        if len(self.dates) > _CACHE_LIMIT or len(self.metrics) > _CACHE_LIMIT or len(self.owners) > _CACHE_LIMIT:
            for cache in (self.dates, self.metrics, self.owners):
                cache.clear()
        verdict.line = reader.line_num
        try:
            for stop in sorted(at for at in ends if at > index):
                wanted = stop - index - verdict.rows
                if self._take(file, wanted) < wanted:
                    return  # the file ends before that row
                yield stop, ends.pop(stop)
            self._take(file, None)
        except csv.Error as exc:
            raise BadPayload(
                f"{item.location} line {verdict.line + 1}: unreadable CSV: {csv_error_reason(exc)}"
            ) from None
        except UnicodeDecodeError:
            raise BadPayload(f"{item.location}: not UTF-8 text") from None

    def _take(self, file: _FilePass, count: int | None) -> int:
        """Read the file's next `count` rows (None: all that are left) into their sources' states;
        how many rows were read. The common row (known spellings, digits for a value) is taken
        inline: at millions of rows a function call per row is a good part of the cost."""
        width, at_source, at_qualifier, at_date, at_metric, at_value = file.positions
        reader, verdict, states, blank = file.reader, file.verdict, file.states, file.blank
        dates, metrics, owners, date_type = self.dates, self.metrics, self.owners, dt.date
        run_owner: str | None = None  # whose rows the last readable row was, and their state
        state, seen, first, last = _opened(None)
        end, taken = verdict.line, 0
        try:
            for taken, row in enumerate(reader if count is None else islice(reader, count), 1):  # noqa: B007 (read after it)
                if len(row) == width:  # the common case first: a row of spellings seen before
                    report_date, metric, raw_value = dates.get(row[at_date]), metrics.get(row[at_metric]), row[at_value]
                    owner = owners.get(row[at_source]) if at_source is not None else ""
                    if (
                        type(report_date) is date_type
                        and metric is not None
                        and owner is not None
                        and raw_value.isdigit()
                        and raw_value.isascii()
                        and len(raw_value) <= 8  # within parse_count's limit
                        and (at_qualifier is None or len(row[at_qualifier]) <= MAX_QUALIFIER)
                    ):
                        if owner is not run_owner:
                            run_owner, (state, seen, first, last) = owner, _opened(states.get(owner or blank))
                        if state is not None and first <= report_date <= last:
                            value = (int(raw_value), row[at_qualifier].strip() or None if at_qualifier else None)
                            previous = seen.setdefault((metric, report_date), value)
                            if previous is not value:
                                state.again(metric, report_date, previous, value)
                        elif state is not None:
                            state.implausible(metric, report_date)
                        end = reader.line_num
                        continue
                self._take_other(file, row, end + 1)
                end = reader.line_num
        finally:
            verdict.rows, verdict.line = verdict.rows + taken, end
        return taken

    def _take_other(self, file: _FilePass, row: list[str], line: int) -> None:
        """A row the common case did not take (on file line `line`): blank, or read field by field."""
        if not _filled(row):
            file.verdict.blank += 1
            return
        owner, outcome = self._read(row, line, file.columns, file.verdict.where, file.verdict)
        target = file.states.get(owner or file.blank)
        if target is not None:
            target.take(outcome)

    def _read(
        self, row: list[str], line: int, columns: dict[str, int], where: str, verdict: _Verdict
    ) -> tuple[str | None, _Outcome]:
        """A row the common case did not take: read field by field, each problem worded."""
        width = len(columns)
        if len(row) < _needed(columns) or len(row) > width:
            return None, self._bad(verdict, _Bad(f"line {line} has {len(row)} fields, not {width}"))
        at_source = columns.get("source")
        cell = row[at_source] if at_source is not None and at_source < len(row) else ""
        owner = self._remember(self.owners, cell, _owner)
        if owner is None:
            message = f"line {line} source {show(cell.strip())}: not a source key (a-z, 0-9, '.', '_', '-')"
            return None, self._bad(verdict, _Bad(message))
        raw_date, raw_metric = row[columns["report_date"]], row[columns["metric"]]
        raw_value = row[columns["value"]].strip()
        report_date = self._remember(self.dates, raw_date, _date)
        if isinstance(report_date, str):
            return owner, self._bad(verdict, _Bad(f"line {line} date {show(raw_date.strip())}: {report_date}"))
        metric = self._remember(self.metrics, raw_metric, _metric)
        if metric is None:
            return owner, _Bad(unknown_metric=raw_metric.strip())
        try:
            value = parse_count(raw_value)
        except ValueError as exc:
            message = f"{where} line {line} {report_date} {raw_metric.strip()!r}: bad value {show(raw_value)} ({exc})"
            issue = ParseIssue("bad_value", message + "; not stored", metric, report_date)
            return owner, self._bad(verdict, _Bad(issue=issue))
        at_qualifier = columns.get("qualifier")
        qualifier = row[at_qualifier].strip() or None if at_qualifier is not None and at_qualifier < len(row) else None
        if qualifier is not None and len(qualifier) > MAX_QUALIFIER:
            message = (
                f"{where} line {line} {report_date} {raw_metric.strip()!r}: qualifier {show(qualifier)} "
                f"{check_fits_reason(qualifier, MAX_QUALIFIER)}"
            )
            issue = ParseIssue("bad_value", message + "; not stored", metric, report_date)
            return owner, self._bad(verdict, _Bad(issue=issue))
        return owner, (metric, report_date, value, qualifier)

    @staticmethod
    def _remember(cache: dict[str, Any], raw: str, read: Callable[[str], Any]) -> Any:
        if raw not in cache:
            cache[raw] = read(raw)
        return cache[raw]

    @staticmethod
    def _bad(verdict: _Verdict, bad: _Bad) -> _Bad:
        verdict.bad += 1
        if bad.issue is not None:
            verdict.value_example = verdict.value_example or bad.issue.message.removeprefix(verdict.where + " ")
        else:
            verdict.row_example = verdict.row_example or bad.message
        return bad


def _date(raw: str) -> dt.date | str:
    """A report date, or why it is not one."""
    try:
        return parse_iso_date(raw.strip())
    except ValueError as exc:
        return str(exc)


def _metric(raw: str) -> str | None:
    try:
        return resolve(raw).name
    except KeyError:
        return None


class _SourceState:
    """One source's rows and findings while its file is read."""

    def __init__(self, reading: CsvReading, plausible: tuple[dt.date, dt.date] | None = None) -> None:
        self.reading = reading
        self.first, self.last = plausible or (dt.date.min, dt.date.max)
        self.out = ParsedPayload()
        self.seen: dict[tuple[str, dt.date], TotalRow] = {}
        self.unknown: dict[str, int] = {}
        self.bad_rows: list[str] = []
        self.bad: list[ParseIssue] = []
        self.where = ""

    def add(self, metric: str, report_date: dt.date, value: int, qualifier: str | None) -> None:
        """A readable row: kept (the later of two for one metric and date, flagged if they differ),
        or set aside when its date is implausible. (_Reader.read does the same inline.)"""
        if not self.first <= report_date <= self.last:
            self.implausible(metric, report_date)
            return
        row = (value, qualifier)
        previous = self.seen.setdefault((metric, report_date), row)
        if previous is not row:
            self.again(metric, report_date, previous, row)

    def again(self, metric: str, report_date: dt.date, previous: TotalRow, row: TotalRow) -> None:
        """A second row for one metric and date: the later is kept, flagged if they differ."""
        keep_later(self.seen, metric, report_date, previous, row, self.out.issues)

    def implausible(self, metric: str, report_date: dt.date) -> None:
        """A row dated where the source cannot have reported: set aside, named in a finding."""
        self.out.implausible.setdefault(report_date, []).append(metric)

    def take(self, outcome: _Outcome) -> None:
        if type(outcome) is tuple:
            self.add(*outcome)
        elif isinstance(outcome, _Bad):
            if outcome.issue is not None:
                self.bad.append(outcome.issue)
            elif outcome.unknown_metric is not None:
                self.unknown[outcome.unknown_metric] = self.unknown.get(outcome.unknown_metric, 0) + 1
            else:
                self.bad_rows.append(outcome.message)

    def payload(self, compact: bool = False) -> ParsedPayload:
        """The source's totals (as records, or `compact` as a TotalsTable), then the findings of
        what could not be read."""
        out, reading = self.out, self.reading
        table = TotalsTable(reading.side, {metric: reading.applies_to(metric) for metric in METRICS}, self.seen)
        if compact:
            out.table = table
        else:
            out.observations = table.records()
        self.seen = {}
        out.issues.extend(self.bad)
        if self.bad_rows:
            out.issues.append(unreadable_rows(self.where, self.bad_rows, "not stored"))
        for key, count in self.unknown.items():
            out.issues.append(
                ParseIssue(
                    "unknown_metric",
                    f"unknown metric {key[:80]!r} in {count} row(s) of {self.where}: not stored",
                    key[:200],
                )
            )
        return out


def _columns(reader: object, where: str) -> dict[str, int]:
    """Column positions by name from the header row, in any order; BadPayload naming the header
    it got and what is wrong with it (a required column missing, an unknown or repeated one)."""
    first = read_row(reader, where)
    header = [h.strip().lower() for h in first[1]] if first else []
    known = (*COLUMNS[:3], *OPTIONAL_COLUMNS)
    missing = [name for name in COLUMNS[:3] if name not in header]
    unknown = [name for name in header if name not in known]
    repeated = sorted({name for name in header if header.count(name) > 1})
    if missing or unknown or repeated:
        detail = "; ".join(
            part
            for part in (
                f"missing {', '.join(missing)}" if missing else "",
                f"unknown column{'s' if len(unknown) > 1 else ''} {', '.join(show(u) for u in unknown[:5])}"
                if unknown
                else "",
                f"repeated {', '.join(repeated)}" if repeated else "",
            )
            if part
        )
        raise BadPayload(
            f"{where}: header must name {', '.join(COLUMNS[:3])} (and may name {' and '.join(OPTIONAL_COLUMNS)}), "
            f"in any order; got {','.join(header)[:200]!r}: {detail}"
        )
    return {name: i for i, name in enumerate(header)}


def _needed(columns: dict[str, int]) -> int:
    """The fewest fields a row must have to hold every required column (optional ones at the end
    of a row may be left off)."""
    return max(columns[name] for name in COLUMNS[:3]) + 1
