"""How wide a line of text draws, and word wrap to a width: the layout and the label placer
measure with the same font and hinting as Agg draws."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.backends.backend_agg import RendererAgg
    from matplotlib.figure import Figure, SubFigure


def text_width_pt(fig: Figure | SubFigure, text: str, size: float, weight: str = "normal") -> float:
    """The drawn width of a line of text, in points."""
    return _text_width_pt(text, float(size), weight, float(fig.dpi))


@functools.lru_cache(maxsize=4096)
def _text_width_pt(text: str, size: float, weight: str, dpi: float) -> float:
    # Measured with the same font and hinting as Agg draws it; text metrics scale with dpi only.
    from matplotlib.font_manager import FontProperties

    prop = FontProperties(family=["DejaVu Sans"], size=size, weight=weight)
    w, _h, _d = _measurer(dpi).get_text_width_height_descent(text, prop, ismath=False)
    return float(w) * 72.0 / dpi


@functools.lru_cache(maxsize=8)
def _measurer(dpi: float) -> RendererAgg:
    from matplotlib.backends.backend_agg import RendererAgg

    return RendererAgg(1, 1, dpi)


def wrap(fig: Figure | SubFigure, text: str, size: float, width_pt: float, weight: str = "normal") -> list[str]:
    """Greedy word wrap to a width in points: words measured once, a line as their sum."""
    space = text_width_pt(fig, "a b", size, weight) - text_width_pt(fig, "ab", size, weight)
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line, used = "", 0.0
        for word in paragraph.split(" "):
            w = text_width_pt(fig, word, size, weight)
            if line and used + space + w > width_pt * 0.99:  # 1% for kerning across words
                lines.append(line)
                line, used = word, w
            else:
                line, used = (f"{line} {word}", used + space + w) if line else (word, w)
        lines.append(line)
    return lines
