"""The shared matplotlib settings: matplotlib's bundled DejaVu fonts, type sizes, colours of text and
axes, and fixed SVG ids; `styled` applies them for one drawing or save, `charted` for a drawing
function. Headless: only the Agg canvas is used, never pyplot.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from tracker.charts.palette import MUTED, TEXT

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# Sizes in points.
TITLE_PT = 11.0
SUBTITLE_PT = 8.5
BODY_PT = 7.5
SMALL_PT = 6.5

RC: dict[str, Any] = {
    # Fonts bundled with matplotlib, so every machine draws the same glyphs.
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "font.size": BODY_PT,
    "mathtext.fontset": "dejavusans",
    "text.parse_math": False,  # a "$" in a source's note is text, not mathematics
    "text.color": TEXT,
    "axes.edgecolor": MUTED,
    "axes.labelcolor": TEXT,
    "axes.linewidth": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.spines.left": False,
    "axes.titlesize": BODY_PT + 0.5,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.unicode_minus": True,
    "xtick.color": MUTED,
    "ytick.color": MUTED,
    "xtick.labelcolor": TEXT,
    "ytick.labelcolor": TEXT,
    "xtick.labelsize": SMALL_PT + 0.5,
    "ytick.labelsize": SMALL_PT + 0.5,
    "xtick.major.size": 3.0,
    "xtick.major.width": 0.6,
    "ytick.major.size": 0.0,
    "ytick.major.pad": 3.0,
    "legend.frameon": False,
    "legend.fontsize": SMALL_PT + 0.5,
    "legend.handlelength": 1.6,
    "legend.columnspacing": 1.4,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "savefig.bbox": None,  # never "tight": the file has exactly the requested size
    "path.simplify": True,
    "svg.hashsalt": "tracker-charts",  # fixed ids in SVG output
    "svg.fonttype": "path",
}


@contextmanager
def styled() -> Iterator[None]:
    """Matplotlib defaults plus this module's settings, whatever the user's matplotlibrc says."""
    import matplotlib

    with matplotlib.rc_context():
        matplotlib.rcdefaults()
        matplotlib.rcParams.update(RC)  # type: ignore[arg-type]  # the stubs type rcParams keys as a Literal of every name
        yield


def charted(draw: Callable[..., Figure]) -> Callable[..., Figure]:
    """Run a drawing function under the shared style (so rcParams never leak in or out)."""

    @functools.wraps(draw)
    def wrapper(*args: Any, **kwargs: Any) -> Figure:
        with styled():
            return draw(*args, **kwargs)

    return wrapper
