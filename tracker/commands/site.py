"""`tracker site`: the static newsroom page (tracker.site.build does the work)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from tracker.commands.options import DbOption, echo, fails_in_one_line, output_path

OutDirOption = Annotated[
    str,
    typer.Option(
        "--out-dir",
        help="Folder to write the page into (index.html, style.css, the charts and a CSV per table); created "
        "if missing. Files of a previous build are replaced; nothing else there is touched.",
    ),
]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="Print only the page's path, no progress.")]


@fails_in_one_line
def site(out_dir: OutDirOption = "site", db: DbOption = None, quiet: QuietOption = False) -> None:
    """Write a self-contained static page for a newsroom: the headline, records, monthly averages,
    claims against the series, claimed against confirmed (when Oryx is loaded), the charts (SVG with
    a PNG fallback), a CSV of every table, and the sources with their licences and date conventions.
    Nothing on the page is loaded from elsewhere; open index.html in any browser."""
    from tracker.config import resolve_db_url
    from tracker.errors import LocalFileError, sanitize
    from tracker.site.build import build_site

    def progress(message: str) -> None:
        if not quiet:
            print(f"site: {message}", file=sys.stderr)

    folder = output_path(out_dir, "--out-dir", "a folder") or Path("site")
    try:
        result = build_site(resolve_db_url(db), folder, progress=progress)
    except OSError as exc:  # a folder that cannot hold files (/proc/self), a full disk: exit 6
        raise LocalFileError(f"cannot write the page into {folder}: {exc.strerror or exc}") from None
    for part, why in result.skipped:
        print(f"left out {part}: {sanitize(why)}", file=sys.stderr)
    echo(str(result.page))


def register(app: typer.Typer) -> None:
    """Add `site`."""
    app.command("site")(site)
