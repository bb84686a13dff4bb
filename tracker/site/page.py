"""The newsroom page as HTML: sections of sentences, tables and charts, with nothing loaded from
elsewhere (no fonts, scripts or styles but the page's own files).

Every text that comes from a store (a claim's note, a source's name, a feed's "greatest losses
direction") is escaped, and control characters are made visible, so a hostile string in a claim
cannot inject markup into a page a newsroom opens.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tracker.render import format_value, sanitize

STYLE_FILE = "style.css"


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    numeric: bool = False
    decimals: int | None = None  # fixed places for a column of fractions (ratios: 2)
    link: str | None = None  # the row's key holding a page this cell links to (a report's official page)


@dataclass
class Table:
    """A table shown on the page and offered as a CSV download of the same rows."""

    name: str  # file stem of its CSV download
    caption: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    csv_rows: list[dict[str, Any]] | None = None  # the download's rows when they are more than shown
    csv_name: str | None = None  # set when the CSV is written


@dataclass(frozen=True)
class Chart:
    png: str
    svg: str | None
    alt: str
    caption: str


@dataclass
class Section:
    id: str
    title: str
    paragraphs: list[str] = field(default_factory=list)
    items: list[str] = field(default_factory=list)  # a bulleted list
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)  # (href, text)


@dataclass
class Page:
    title: str
    subtitle: str
    generated: str
    sections: list[Section]


def text(value: object) -> str:
    """Store text as safe HTML text."""
    return html.escape(sanitize(value), quote=True)


def external(href: object) -> bool:
    """Whether `href` is a web address a page may link to (http or https: never javascript: or data:)."""
    return isinstance(href, str) and href.lower().startswith(("http://", "https://"))


def _anchor(href: str, label: str) -> str:
    """A link to another site, opened without handing it this page (rel="noopener")."""
    return f'<a href="{text(href)}" rel="noopener">{label}</a>'


def _cell(row: dict[str, Any], column: Column) -> str:
    value = row.get(column.key)
    if value is None:
        return ""
    shown = text(format_value(value, column=column.key, decimals=column.decimals))
    href = row.get(column.link) if column.link else None
    return _anchor(href, shown) if isinstance(href, str) and external(href) else shown


def _table(table: Table) -> str:
    head = "".join(f'<th scope="col"{" class=num" if c.numeric else ""}>{text(c.header)}</th>' for c in table.columns)
    body = "\n".join(
        "<tr>"
        + "".join(f"<td{' class=num' if c.numeric else ''}>{_cell(row, c)}</td>" for c in table.columns)
        + "</tr>"
        for row in table.rows
    )
    download = (
        f' <a class="download" href="{text(table.csv_name)}" download>CSV</a>' if table.csv_name is not None else ""
    )
    return (
        f'<div class="table-wrap"><table>\n<caption>{text(table.caption)}{download}</caption>\n'
        f"<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody></table></div>"
    )


def _chart(chart: Chart) -> str:
    source = f'<source srcset="{text(chart.svg)}" type="image/svg+xml">' if chart.svg else ""
    return (
        f"<figure><picture>{source}"
        f'<img src="{text(chart.png)}" alt="{text(chart.alt)}" width="1600" height="900">'
        f"</picture><figcaption>{text(chart.caption)}</figcaption></figure>"
    )


def _section(section: Section) -> str:
    parts = [f'<section id="{text(section.id)}">', f"<h2>{text(section.title)}</h2>"]
    parts += [f"<p>{text(p)}</p>" for p in section.paragraphs]
    if section.items:
        parts.append("<ul>" + "".join(f"<li>{text(i)}</li>" for i in section.items) + "</ul>")
    parts += [_table(t) for t in section.tables]
    parts += [_chart(c) for c in section.charts]
    if section.links:
        parts.append(
            '<ul class="links">'
            + "".join(
                f"<li>{_anchor(href, text(label))}</li>"
                if external(href)
                else f'<li><a href="{text(href)}">{text(label)}</a></li>'
                for href, label in section.links
            )
            + "</ul>"
        )
    parts.append("</section>")
    return "\n".join(parts)


def render_page(page: Page) -> str:
    """The whole page: a header, a table of contents and the sections, in order."""
    nav = "".join(f'<li><a href="#{text(s.id)}">{text(s.title)}</a></li>' for s in page.sections)
    body = "\n".join(_section(s) for s in page.sections)
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{text(page.title)}</title>
<link rel="stylesheet" href="{STYLE_FILE}">
<link rel="icon" href="data:,">
</head>
<body>
<header>
<h1>{text(page.title)}</h1>
<p class="subtitle">{text(page.subtitle)}</p>
<p class="generated">Generated {text(page.generated)} with tracker.</p>
<nav aria-label="Contents"><ul>{nav}</ul></nav>
</header>
<main>
{body}
</main>
</body>
</html>
"""


STYLE = """/* The page's only style: system fonts, readable on a phone, tables scroll sideways. */
:root { color-scheme: light; --ink: #1a1a1a; --muted: #5c5c5c; --rule: #d9d9d9; --accent: #9b2226; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       color: var(--ink); background: #fff; }
header, main { max-width: 64rem; margin: 0 auto; padding: 0 1rem; }
header { padding-top: 1.5rem; border-bottom: 1px solid var(--rule); }
h1 { font-size: 1.6rem; line-height: 1.25; margin: 0 0 .5rem; }
h2 { font-size: 1.25rem; margin: 2rem 0 .75rem; border-top: 3px solid var(--ink); padding-top: .5rem; }
.subtitle { font-size: 1.05rem; margin: 0 0 .25rem; }
.generated { color: var(--muted); font-size: .9rem; margin: 0 0 .75rem; }
nav ul { list-style: none; padding: 0; margin: 0 0 1rem; display: flex; flex-wrap: wrap; gap: .25rem 1rem; }
a { color: var(--accent); }
.table-wrap { overflow-x: auto; margin: 0 0 1.25rem; -webkit-overflow-scrolling: touch; }
table { border-collapse: collapse; font-size: .92rem; min-width: 100%; }
caption { text-align: left; font-weight: 600; padding: 0 0 .35rem; }
caption .download { font-weight: 400; margin-left: .5rem; font-size: .85rem; }
th, td { padding: .3rem .6rem; border-bottom: 1px solid var(--rule); text-align: left; vertical-align: top; }
th { border-bottom: 2px solid var(--ink); white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
figure { margin: 0 0 1.5rem; }
img { max-width: 100%; height: auto; display: block; }
figcaption { color: var(--muted); font-size: .88rem; margin-top: .35rem; }
@media (max-width: 40rem) { body { font-size: 15px; } h1 { font-size: 1.3rem; } table { font-size: .85rem; } }
"""


def columns(
    *spec: tuple[str, str]
    | tuple[str, str, bool]
    | tuple[str, str, bool, int | None]
    | tuple[str, str, bool, None, str],
) -> list[Column]:
    """Columns from (key, header[, numeric[, decimals[, link]]]) tuples."""
    return [Column(*s) for s in spec]


def rows_from(records: Sequence[dict[str, Any]], keys: Sequence[str]) -> list[dict[str, Any]]:
    """Rows keeping only the keys a table shows (and its CSV carries)."""
    return [{k: r.get(k) for k in keys} for r in records]
