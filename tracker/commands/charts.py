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

from tracker.commands.options import Number, echo, output_path, report_command
from tracker.errors import InvalidInput
from tracker.reports.options import ReportOptions

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
    claimed_vs_confirmed = "claimed-vs-confirmed"
    ukraine_claims = "ukraine-claims"


class ImageFormat(str, Enum):
    png = "png"
    svg = "svg"


KIND_HELP = (
    "daily: each day's figure, 7- and 30-day averages, records and flagged days; "
    "cumulative: the running total, milestones and other sources' totals; "
    "monthly: the daily average per month with other sources' monthly averages; "
    "compare: each claim as a ratio to the series' own figure for its period, by its source's date "
    "convention (ignores --by); "
    "equipment: weekly losses of the main equipment categories (ignores --metric); "
    "claimed-vs-confirmed: the General Staff's claimed totals over Oryx's visually confirmed ones, per "
    "category over time (ignores --metric; needs `tracker ingest oryx`); "
    "ukraine-claims: every source's cumulative claims of Ukraine's killed, wounded, and killed or wounded "
    "over time (ignores --metric and --by; needs `tracker ingest claims`)."
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
        "--dpi",
        click_type=Number(30, 1200, unit="dots per inch"),
        show_default=True,
        help="Dots per inch: at a fixed --size, a higher value draws text and lines larger.",
    ),
]


def parse_size(text: str) -> tuple[int, int]:
    """'1600x900' (or 1600X900, 1600×900) as (width, height)."""
    match = re.fullmatch(r"\s*(\d{2,5})\s*[xX×]\s*(\d{2,5})\s*", text, re.ASCII)
    if not match:
        raise InvalidInput(f"--size: expected WIDTHxHEIGHT in pixels, e.g. 1600x900, not {text[:40]!r}")
    return int(match[1]), int(match[2])


def _request(opts: ReportOptions, size: str, dpi: float) -> tuple[ChartRequest, str]:
    """The chart request for the validated options, and the store URL."""
    from tracker.charts.build import ChartRequest
    from tracker.config import resolve_db_url

    request = ChartRequest.of(opts, parse_size(size), dpi)
    return request, resolve_db_url(opts.db)


KindArgument = Annotated[ChartKind, typer.Argument(case_sensitive=False, help=KIND_HELP, show_default=False)]
OutOption = Annotated[
    str | None,
    typer.Option(
        "--out",
        "-o",
        show_default=False,
        metavar="PATH",
        help="Where to write the chart: .png or .svg. Default: charts/KIND-METRIC.png.",
    ),
]
OutDirOption = Annotated[
    str,
    typer.Option(
        "--out-dir",
        "-d",
        show_default=True,
        metavar="DIR",
        help="Folder to write the charts into (created if missing).",
    ),
]
ImageFormatOption = Annotated[
    ImageFormat, typer.Option("--image-format", case_sensitive=False, show_default=True, help="png or svg.")
]


@report_command(with_format=False)
def chart(
    opts: ReportOptions,
    kind: KindArgument,
    out: OutOption = None,
    size: SizeOption = DEFAULT_SIZE,
    dpi: DpiOption = DEFAULT_DPI,
) -> None:
    """Draw one chart and print the path written. Every chart carries its source line, date
    convention and the date it was generated ($SOURCE_DATE_EPOCH when set, else today)."""
    from tracker.charts.build import build_chart, file_name

    out_path = output_path(out, "--out", "a .png or .svg file")
    request, url = _request(opts, size, dpi)
    kind_name = ChartKind(kind).value
    echo(str(build_chart(kind_name, request, out_path or DEFAULT_DIR / file_name(kind_name, request.metric), url)))


@report_command(with_format=False)
def charts(
    opts: ReportOptions,
    out_dir: OutDirOption = str(DEFAULT_DIR),
    image_format: ImageFormatOption = ImageFormat.png,
    size: SizeOption = DEFAULT_SIZE,
    dpi: DpiOption = DEFAULT_DPI,
) -> None:
    """The standard set (daily, cumulative, monthly, compare, equipment, claimed-vs-confirmed,
    ukraine-claims) in one run, for the daily job after ingest: prints each path written. A chart the store cannot
    answer yet (no claims ingested, no equipment categories, no Oryx data) is skipped with its
    reason on stderr."""
    import sys

    from tracker.charts.build import build_set
    from tracker.errors import sanitize

    folder = output_path(out_dir, "--out-dir", "a folder")
    request, url = _request(opts, size, dpi)
    result = build_set(request, folder or DEFAULT_DIR, url, fmt=ImageFormat(image_format).value)
    for path in result.written:
        echo(str(path))
    for kind, reason in result.skipped:
        print(f"skipped {kind}: {sanitize(reason)}", file=sys.stderr)


def register(app: typer.Typer) -> None:
    """Add `chart` and `charts` to the app."""
    app.command("chart")(chart)
    app.command("charts")(charts)
