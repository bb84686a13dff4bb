"""Chart commands: `tracker chart KIND` draws one chart, `tracker charts` the standard set.

Thin: parse the shared options (tracker.commands.options), call tracker.charts.build, print the
paths written. matplotlib and pandas are imported only when a command runs.
"""

from __future__ import annotations

import re
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tracker.commands.options import (
    DEFAULT_METRIC,
    DEFAULT_SOURCE,
    AsOfOption,
    By,
    ByOption,
    DbOption,
    IncludeFlaggedOption,
    MetricOption,
    OutputFormat,
    SinceOption,
    SourceOption,
    UntilOption,
    echo,
    fails_in_one_line,
    report_options,
)
from tracker.errors import InvalidInput

if TYPE_CHECKING:
    from tracker.charts.build import ChartRequest

DEFAULT_SIZE = "1600x900"
DEFAULT_DPI = 200.0
DEFAULT_DIR = Path("charts")


class ChartKind(str, Enum):
    daily = "daily"
    cumulative = "cumulative"
    monthly = "monthly"
    compare = "compare"
    equipment = "equipment"


class ImageFormat(str, Enum):
    png = "png"
    svg = "svg"


KIND_HELP = (
    "daily: each day's figure, 7- and 30-day averages, records and flagged days; "
    "cumulative: the running total, milestones and other sources' totals; "
    "monthly: the daily average per month with other sources' monthly averages; "
    "compare: each claim as a ratio to the series' own figure for its period; "
    "equipment: weekly losses of the main equipment categories (ignores --metric)."
)
SizeOption = Annotated[
    str,
    typer.Option(
        "--size",
        metavar="WIDTHxHEIGHT",
        show_default=True,
        help="Image size in pixels (for SVG, the same size at --dpi).",
    ),
]
DpiOption = Annotated[
    float,
    typer.Option(
        "--dpi", show_default=True, help="Dots per inch: at a fixed --size, a higher value draws text and lines larger."
    ),
]


def parse_size(text: str) -> tuple[int, int]:
    """'1600x900' (or 1600X900, 1600×900) as (width, height)."""
    match = re.fullmatch(r"\s*(\d{2,5})\s*[xX×]\s*(\d{2,5})\s*", text)
    if not match:
        raise InvalidInput(f"--size: expected WIDTHxHEIGHT in pixels, e.g. 1600x900, not {text[:40]!r}")
    return int(match[1]), int(match[2])


def _request(
    *,
    metric: str,
    source: str,
    since: str | None,
    until: str | None,
    as_of: str | None,
    by: By | str,
    include_flagged: bool,
    db: str | None,
    size: str,
    dpi: float,
) -> tuple[ChartRequest, str]:
    """The validated request and the store URL."""
    from tracker.charts.build import ChartRequest
    from tracker.config import resolve_db_url

    opts = report_options(
        metric=metric,
        source=source,
        since=since,
        until=until,
        as_of=as_of,
        by=by,
        format=OutputFormat.table,
        include_flagged=include_flagged,
        db=db,
    )
    request = ChartRequest(
        metric=opts.metric,
        source=opts.source,
        since=opts.since,
        until=opts.until,
        as_of=opts.as_of,
        by=opts.by,
        include_flagged=opts.include_flagged,
        size=parse_size(size),
        dpi=dpi,
    )
    return request, resolve_db_url(opts.db)


def register(app: typer.Typer) -> None:
    """Add `chart` and `charts` to the app."""

    @app.command("chart")
    @fails_in_one_line
    def chart_command(
        kind: Annotated[ChartKind, typer.Argument(case_sensitive=False, help=KIND_HELP, show_default=False)],
        metric: MetricOption = DEFAULT_METRIC,
        source: SourceOption = DEFAULT_SOURCE,
        since: SinceOption = None,
        until: UntilOption = None,
        as_of: AsOfOption = None,
        by: ByOption = By.report,
        include_flagged: IncludeFlaggedOption = False,
        out: Annotated[
            Path | None,
            typer.Option(
                "--out",
                "-o",
                show_default=False,
                metavar="PATH",
                help="Where to write the chart: .png or .svg. Default: charts/KIND-METRIC.png.",
            ),
        ] = None,
        size: SizeOption = DEFAULT_SIZE,
        dpi: DpiOption = DEFAULT_DPI,
        db: DbOption = None,
    ) -> None:
        """Draw one chart and print the path written. Every chart carries its source line, date
        convention and the date it was generated ($SOURCE_DATE_EPOCH when set, else today)."""
        from tracker.charts.build import build_chart, file_name

        request, url = _request(
            metric=metric,
            source=source,
            since=since,
            until=until,
            as_of=as_of,
            by=by,
            include_flagged=include_flagged,
            db=db,
            size=size,
            dpi=dpi,
        )
        kind_name = ChartKind(kind).value
        path = build_chart(kind_name, request, out or DEFAULT_DIR / file_name(kind_name, request.metric), url)
        echo(str(path))

    @app.command("charts")
    @fails_in_one_line
    def charts_command(
        out_dir: Annotated[
            Path,
            typer.Option(
                "--out-dir",
                "-d",
                show_default=True,
                metavar="DIR",
                help="Folder to write the charts into (created if missing).",
            ),
        ] = DEFAULT_DIR,
        metric: MetricOption = DEFAULT_METRIC,
        source: SourceOption = DEFAULT_SOURCE,
        since: SinceOption = None,
        until: UntilOption = None,
        as_of: AsOfOption = None,
        by: ByOption = By.report,
        include_flagged: IncludeFlaggedOption = False,
        image_format: Annotated[
            ImageFormat, typer.Option("--image-format", case_sensitive=False, show_default=True, help="png or svg.")
        ] = ImageFormat.png,
        size: SizeOption = DEFAULT_SIZE,
        dpi: DpiOption = DEFAULT_DPI,
        db: DbOption = None,
    ) -> None:
        """The standard set (daily, cumulative, monthly, compare, equipment) in one run, for the
        daily job after ingest: prints each path written. A chart the store cannot answer yet
        (no claims ingested, no equipment categories) is skipped with its reason on stderr."""
        import sys

        from tracker.charts.build import build_set
        from tracker.render import sanitize

        request, url = _request(
            metric=metric,
            source=source,
            since=since,
            until=until,
            as_of=as_of,
            by=by,
            include_flagged=include_flagged,
            db=db,
            size=size,
            dpi=dpi,
        )
        result = build_set(request, out_dir, url, fmt=ImageFormat(image_format).value)
        for path in result.written:
            echo(str(path))
        for kind, reason in result.skipped:
            print(f"skipped {kind}: {sanitize(reason)}", file=sys.stderr)
