"""Words and numbers on charts: dates, thousands, plurals, and what a series counts, in English
whatever the locale."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.ticker import FuncFormatter

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def day_text(day: Any) -> str:
    """'8 Aug 2026' (English month names, whatever the locale)."""
    import pandas as pd

    d = pd.Timestamp(day)
    return f"{d.day} {MONTHS[d.month - 1]} {d.year}"


def month_text(day: Any) -> str:
    """'Aug 2026'."""
    import pandas as pd

    d = pd.Timestamp(day)
    return f"{MONTHS[d.month - 1]} {d.year}"


def number_text(x: float, digits: int = 0) -> str:
    """'12,345' or '−1.5': thousands separators and a true minus sign."""
    text = f"{x:,.{digits}f}"
    return text.replace("-", "\u2212")


def plural(n: int, word: str, words: str | None = None) -> str:
    """'1 claim', '3 claims' ('2 men' with `words`)."""
    return f"{n:,} {word if n == 1 else (words or word + 's')}"


def thousands_formatter() -> FuncFormatter:
    """A tick formatter: whole numbers with thousands separators, others to one decimal."""
    from matplotlib.ticker import FuncFormatter

    def fmt(value: float, _pos: int | None = None) -> str:
        if abs(value - round(value)) < 1e-9:
            return number_text(value)
        return number_text(value, 1)

    return FuncFormatter(fmt)


def series_words(metric: str) -> tuple[str, str]:
    """(noun phrase for a count, unit) e.g. ('Russian personnel killed or wounded', 'people')."""
    from tracker.domain import METRICS

    spec = METRICS.get(metric)
    if spec is None:
        return metric, ""
    if metric == "personnel":
        return "Russian personnel killed or wounded", spec.unit
    label = spec.label.split(" (")[0].lower()
    return f"Russian {label} lost", spec.unit


def short_label(metric: str) -> str:
    """'Drones' for 'Drones (operational-tactical UAVs)'."""
    from tracker.domain import METRICS

    spec = METRICS.get(metric)
    return spec.label.split(" (")[0] if spec else metric


def when(day: object, by: str) -> str:
    """'in the report of 8 Aug 2026' (by report) or 'on 7 Aug 2026' (by covered day)."""
    return f"in the report of {day_text(day)}" if by == "report" else f"on {day_text(day)}"


def convention_words(by: str) -> str:
    """'dated by report' or 'dated by the day covered', for subtitles."""
    return "dated by report" if by == "report" else "dated by the day covered"
