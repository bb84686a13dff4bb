"""What makes a chart file reproducible: its "generated" date from SOURCE_DATE_EPOCH, the source line,
and saving at the exact pixel size with fixed metadata, so equal data give equal bytes."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from tracker.charts.theme import styled
from tracker.domain import kyiv_today
from tracker.errors import InvalidInput

if TYPE_CHECKING:
    from matplotlib.figure import Figure

FORMATS = ("png", "svg")


def generated_date() -> dt.date:
    """The chart's "generated" date: SOURCE_DATE_EPOCH (UTC) when set, so builds reproduce;
    else today in Kyiv, the day reports are dated by."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        from tracker.config import whole_number

        # Up to the last second of 9999-12-31: every date a chart can print.
        seconds = whole_number(epoch, "$SOURCE_DATE_EPOCH", low=0, high=253_402_300_799, unit="seconds since 1970")
        return dt.datetime.fromtimestamp(seconds, dt.UTC).date()
    return kyiv_today()


def source_line(source_keys: Sequence[str], convention: str | None, generated: dt.date) -> str:
    """'Source: <who>; <who>. <Convention>. Generated <date> with tracker.'"""
    from tracker.store.source_registry import source_info

    names: list[str] = []
    for key in source_keys:
        name = source_info(key).name.split(" (")[0]
        if name not in names:
            names.append(name)
    parts = [f"Source: {'; '.join(names)}."]
    if convention:
        parts.append(f"Date convention: {convention}.")
    parts.append(f"Generated {generated.isoformat()} with tracker.")
    return " ".join(parts)


def image_format(path: Path) -> str:
    """png or svg from the file name; InvalidInput for anything else."""
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise InvalidInput(f"{path.name}: charts are written as .png or .svg, not {suffix or 'no suffix'!r}")
    return suffix


def save(fig: Figure, path: Path | str) -> Path:
    """Write the figure at its exact pixel size with fixed metadata, so equal data give equal bytes;
    whole or not at all, never through a link (tracker.reports.safe_write). The folder is created if missing."""
    from tracker.reports.safe_write import ensure_folder, write_file

    path = Path(path)
    fmt = image_format(path)
    metadata: dict[str, Any] = {"Software": None} if fmt == "png" else {"Creator": None, "Date": None}
    ensure_folder(path.parent)

    def draw(handle: BinaryIO) -> None:
        with styled():
            fig.savefig(handle, format=fmt, dpi=fig.dpi, metadata=metadata)

    return write_file(path, draw)
