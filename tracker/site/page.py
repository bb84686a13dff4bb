"""The newsroom page as HTML: sections of sentences, tables and charts, with nothing loaded from
elsewhere (no fonts, scripts or styles but the page's own files).

Every text that comes from a store (a claim's note, a source's name, a feed's "greatest losses
direction") is escaped, and control characters are made visible, so a hostile string in a claim
cannot inject markup into a page a newsroom opens.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tracker.errors import sanitize
from tracker.reports.render import format_value

STYLE_FILE = "style.css"
SCRIPT_FILE = "sort.js"
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?: UTC)?)?")


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
    sortable: bool = False  # headers sort the rows when clicked (sort.js; the page is whole without it)


@dataclass(frozen=True)
class Chart:
    png: str
    svg: str | None
    alt: str
    caption: str  # a sentence: what the chart shows and how its dates are counted
    data: str | None = None  # the CSV of the figures it draws


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
    banner: str | None = None  # a warning readers must see first (the figures are out of date)


def text(value: object) -> str:
    """Store text as safe HTML text."""
    return html.escape(sanitize(value), quote=True)


def prose(value: object) -> str:
    """Store text as safe HTML in which a date never breaks at its hyphens (2024-/12-20 on a phone)."""
    return _ISO_DATE.sub(lambda m: f'<span class="nw">{m.group(0)}</span>', text(value))


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
    shown = prose(format_value(value, column=column.key, decimals=column.decimals))
    href = row.get(column.link) if column.link else None
    return _anchor(href, shown) if isinstance(href, str) and external(href) else shown


def _td(row: dict[str, Any], column: Column) -> str:
    """A cell: numbers right-aligned with their value for sorting, dates kept on one line."""
    value = row.get(column.key)
    attrs = ""
    if column.numeric:
        attrs = " class=num"
        if isinstance(value, int | float) and not isinstance(value, bool) and value == value:
            attrs += f' data-sort="{value!r}"'
    elif value is not None and _ISO_DATE.fullmatch(str(value)[:10]):
        attrs = " class=date"
    elif isinstance(value, str) and len(value) > 40:  # a sentence: wide enough to read, not a tall column
        attrs = " class=long"
    return f"<td{attrs}>{_cell(row, column)}</td>"


def _table(table: Table) -> str:
    head = "".join(f'<th scope="col"{" class=num" if c.numeric else ""}>{text(c.header)}</th>' for c in table.columns)
    body = "\n".join("<tr>" + "".join(_td(row, c) for c in table.columns) + "</tr>" for row in table.rows)
    download = (
        f' <a class="download" href="{text(table.csv_name)}" download>CSV</a>' if table.csv_name is not None else ""
    )
    sortable = ' class="sortable"' if table.sortable else ""
    hint = ' <span class="hint">(click a heading to sort)</span>' if table.sortable else ""
    return (
        f'<div class="table-wrap"><table{sortable}>\n<caption>{text(table.caption)}{download}{hint}</caption>\n'
        f"<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody></table></div>"
    )


def _chart(chart: Chart) -> str:
    source = f'<source srcset="{text(chart.svg)}" type="image/svg+xml">' if chart.svg else ""
    files = [
        (chart.png, "PNG"),
        *([(chart.svg, "SVG")] if chart.svg else []),
        *([(chart.data, "CSV")] if chart.data else []),
    ]
    links = " · ".join(f'<a href="{text(href)}" download>{label}</a>' for href, label in files)
    return (
        f"<figure><picture>{source}"
        f'<img src="{text(chart.png)}" alt="{text(chart.alt)}" width="1600" height="900">'
        f'</picture><figcaption>{prose(chart.caption)} <span class="files">Download: {links}</span>'
        "</figcaption></figure>"
    )


def _section(section: Section) -> str:
    parts = [f'<section id="{text(section.id)}">', f"<h2>{text(section.title)}</h2>"]
    parts += [f"<p>{prose(p)}</p>" for p in section.paragraphs]
    if section.items:
        parts.append("<ul>" + "".join(f"<li>{prose(i)}</li>" for i in section.items) + "</ul>")
    parts += [_table(t) for t in section.tables]
    parts += [_chart(c) for c in section.charts]
    if section.links:
        parts.append(
            '<ul class="links">'
            + "".join(
                f"<li>{_anchor(href, prose(label))}</li>"
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
    banner = f'<p class="banner" role="status">{prose(page.banner)}</p>\n' if page.banner else ""
    script = f'<script src="{SCRIPT_FILE}" defer></script>\n' if _sortable(page) else ""
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{text(page.title)}</title>
<link rel="stylesheet" href="{STYLE_FILE}">
<link rel="icon" href="data:,">
{script}</head>
<body>
<header>
<h1>{text(page.title)}</h1>
{banner}<p class="subtitle">{prose(page.subtitle)}</p>
<p class="generated">Generated {text(page.generated)} with tracker.</p>
<nav aria-label="Contents"><ul>{nav}</ul></nav>
</header>
<main>
{body}
</main>
</body>
</html>
"""


def _sortable(page: Page) -> bool:
    return any(t.sortable for s in page.sections for t in s.tables)


# Sorting without a server: a button in each heading of a sortable table; numbers by their
# data-sort value, the rest (ISO dates included) as text; empty cells last.
SCRIPT = """// Sort a table by a column when its heading is clicked; the page is complete without this.
document.querySelectorAll("table.sortable").forEach(function (table) {
  var heads = table.tHead.rows[0].cells;
  Array.prototype.forEach.call(heads, function (th, col) {
    var button = document.createElement("button");
    button.type = "button";
    button.textContent = th.textContent;
    th.textContent = "";
    th.appendChild(button);
    button.addEventListener("click", function () {
      var ascending = th.getAttribute("aria-sort") !== "ascending";
      Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = sortKey(a.cells[col]), y = sortKey(b.cells[col]);
        if (x === "" || y === "") { return (x === "") - (y === ""); }
        var order = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y));
        return ascending ? order : -order;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
});
function sortKey(cell) {
  var value = cell.getAttribute("data-sort");
  return value !== null ? Number(value) : cell.textContent.trim();
}
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
th button { font: inherit; font-weight: 600; color: inherit; background: none; border: 0; padding: 0; cursor: pointer; }
th[aria-sort=ascending] button::after { content: " ▲"; } th[aria-sort=descending] button::after { content: " ▼"; }
td.date, .nw { white-space: nowrap; }
td.long { min-width: 16rem; }
caption .hint { font-weight: 400; color: var(--muted); font-size: .85rem; }
.banner { border: 2px solid var(--accent); background: #fdf0f0; padding: .5rem .75rem; margin: 0 0 .75rem; font-weight: 600; }
figcaption .files { white-space: nowrap; }
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
