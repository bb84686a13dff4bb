"""Presentation only: tables for people, JSON and CSV for machines.

People get thousands separators and ISO dates; machines get plain numbers (no separators,
no rounding beyond what the number is) and ISO dates. Any text from a feed may contain terminal
control characters (an escape sequence can rewrite a terminal), so every string is made safe:
control, C1 and bidirectional-override characters are shown as visible escapes (``\\x1b``),
never passed through. No pandas import here: a DataFrame is read through its ``to_dict``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from tracker.errors import is_unsafe_char, sanitize

__all__ = ["plain", "format_value", "rows_of", "render_table", "render_json", "render_csv", "render_lines"]


def _is_missing(v: Any) -> bool:
    if v is None:
        return True
    try:
        return bool(v != v)  # NaN, NaT
    except (TypeError, ValueError):
        return False


def plain(value: Any) -> Any:
    """A JSON-able plain Python value: numbers as int/float, dates as ISO text, NaN as None."""
    if _is_missing(value):
        return None
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(v) for v in value]
    if hasattr(value, "to_dict") and hasattr(value, "columns"):  # a DataFrame
        return [plain(r) for r in rows_of(value)[1]]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalar
        value = value.item()
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isinf(value):
            return None
        return int(value) if value.is_integer() and abs(value) < 2**53 else value
    if isinstance(value, dt.datetime):
        if value.tzinfo is None and value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value if isinstance(value, str) else str(value)


def format_value(value: Any, *, column: str = "", decimals: int | None = None) -> str:
    """One cell for people: 1,770 / 1,467.1 / +7.0% / 2024-11-11 / yes; blank when missing.

    `decimals` fixes the places of a number (a table column shows all its numbers alike)."""
    v = plain(value)
    if v is None:
        return ""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, (int, float)) and column.endswith("_pct"):
        return f"{v:+,.1f}%"
    if isinstance(v, (int, float)) and decimals is not None:
        return f"{v:,.{decimals}f}"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        return f"{v:,.1f}"
    if isinstance(v, (list, dict)):
        v = json.dumps(v, ensure_ascii=False)
    return sanitize(v)


def rows_of(data: Any, columns: Sequence[str] | None = None) -> tuple[list[str], list[dict[str, Any]]]:
    """(columns, rows as dicts) from a DataFrame, a list of dicts, or one dict."""
    if hasattr(data, "to_dict") and hasattr(data, "columns"):
        cols = [str(c) for c in data.columns]
        rows = data.to_dict("records")
    elif isinstance(data, Mapping):
        cols, rows = [str(k) for k in data], [dict(data)]
    else:
        rows = [dict(r) for r in (data or [])]
        cols = []
        for r in rows:
            cols.extend(str(k) for k in r if str(k) not in cols)
    if columns is not None:
        cols = list(columns)
    return cols, rows


def _numeric(values: Iterable[Any]) -> bool:
    seen = False
    for v in values:
        v = plain(v)
        if v is None:
            continue
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            return False
        seen = True
    return seen


def _places(values: Iterable[Any]) -> int | None:
    """1 if any number of a column has a fraction (then all show one place), else None."""
    for v in values:
        v = plain(v)
        if isinstance(v, float):
            return 1
    return None


def render_table(
    data: Any,
    columns: Sequence[str] | None = None,
    *,
    title: str | None = None,
    notes: Sequence[str] = (),
    headers: Mapping[str, str] | None = None,
    empty: str = "(none)",
    formats: Mapping[str, Callable[[Any], str]] | None = None,
    limits: Mapping[str, int] | None = None,
) -> str:
    """A plain-text table: numbers right-aligned with thousands separators, ISO dates.

    `formats` words a column's cells its own way (e.g. ratios to four places); `limits` cuts a
    text column's cells to that many characters, ending in "…"."""
    cols, rows = rows_of(data, columns)
    out: list[str] = []
    if title:
        out.append(sanitize(title))
    if not rows:
        out.append(f"  {empty}")
    else:
        names = [sanitize((headers or {}).get(c, c)) for c in cols]
        places = {c: _places(r.get(c) for r in rows) for c in cols}
        cells = [[_cell(r.get(c), c, places[c], formats, limits) for c in cols] for r in rows]
        right = [_numeric(r.get(c) for r in rows) for c in cols]
        widths = [max([len(n)] + [len(row[i]) for row in cells]) for i, n in enumerate(names)]

        def line(values: list[str]) -> str:
            return "  ".join(v.rjust(w) if r else v.ljust(w) for v, w, r in zip(values, widths, right)).rstrip()

        out.append(line(names))
        # the last column is not padded: a long text there needs no rule as long as itself
        rules = widths[:-1] + [min(widths[-1], max(len(names[-1]), 40))]
        out.append("  ".join("-" * w for w in rules))
        out.extend(line(row) for row in cells)
    out.extend(sanitize(n) for n in notes)
    return "\n".join(out)


def _cell(
    value: Any,
    column: str,
    decimals: int | None,
    formats: Mapping[str, Callable[[Any], str]] | None,
    limits: Mapping[str, int] | None,
) -> str:
    own = (formats or {}).get(column)
    text = sanitize(own(value)) if own is not None else format_value(value, column=column, decimals=decimals)
    limit = (limits or {}).get(column)
    return text if limit is None or len(text) <= limit else text[: limit - 1] + "…"


def render_lines(lines: Iterable[str]) -> str:
    """Sentences for people, one per line, made safe."""
    return "\n".join(sanitize(line) for line in lines)


def _escape_json_text(text: str) -> str:
    # json.dumps escapes C0 controls inside strings (the newlines left are its indentation);
    # escape what it leaves: DEL, C1, bidi controls, U+2028/9. They can only be inside strings.
    return "".join(f"\\u{ord(c):04x}" if ord(c) >= 0x7F and is_unsafe_char(c) else c for c in text)


def render_json(payload: Any, *, indent: int | None = 2) -> str:
    """JSON with plain numbers and ISO dates; no control character left unescaped."""
    text = json.dumps(plain(payload), ensure_ascii=False, indent=indent, allow_nan=False)
    return _escape_json_text(text)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


# Every CSV's numbers (`tracker ... --format csv`, the page's downloads): a fraction to one decimal
# (averages, differences, percentages), a ratio (a column named *ratio) to four places, where
# ratios near 1 are the interesting ones; whole numbers as they are.
CSV_DECIMALS = 1
CSV_RATIO_DECIMALS = 4
# A CSV holding any character beyond ASCII (an en dash in "70,000–80,000", a name in Cyrillic)
# starts with a UTF-8 byte order mark, without which Excel reads UTF-8 as a legacy code page and
# garbles it; pandas reads it as it is, Python's csv module with encoding="utf-8-sig". An
# ASCII-only CSV has none, so tools that do not expect one (cut, awk, sqlite3 .import) see none.
BOM = "\ufeff"


def _csv_cell(value: Any, column: str = "") -> Any:
    v = plain(value)
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return round(v, CSV_RATIO_DECIMALS if column.endswith("ratio") else CSV_DECIMALS)
    if isinstance(v, int):
        return v
    if isinstance(v, (list, dict)):
        v = json.dumps(v, ensure_ascii=False)
    text = sanitize(v)
    # A spreadsheet would run a text cell starting like a formula: quote it (OWASP advice).
    return "'" + text if text.startswith(_FORMULA_START) else text


def render_csv(data: Any, columns: Sequence[str] | None = None) -> str:
    """CSV with a header row, plain numbers (fractions rounded: CSV_DECIMALS, ratios
    CSV_RATIO_DECIMALS) and ISO dates; text cells made safe; a BOM first when any character is
    not ASCII."""
    cols, rows = rows_of(data, columns)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([sanitize(c) for c in cols])
    for r in rows:
        writer.writerow([_csv_cell(r.get(c), c) for c in cols])
    text = buf.getvalue()
    return text if text.isascii() else BOM + text
