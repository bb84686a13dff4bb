"""What `tracker sources list` and `tracker sources add` print: a table for people, JSON or CSV
for machines, always made safe."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tracker.errors import sanitize
from tracker.reports.store_outputs import machine_output

if TYPE_CHECKING:
    from tracker.store.sources import SourceUpdate

SOURCE_LIST_FIELDS = ("key", "name", "dates_by", "side", "definition", "licence", "url", "defined_in")


def _shown(value: object) -> str:
    return "—" if value in (None, "") else str(value)


def sources_output(rows: Sequence[dict[str, Any]], fmt: str) -> str:
    """Every source: key, how it dates its figures, whose losses and what they count, where it
    is defined; then its name, URL and licence on their own lines."""
    machine = machine_output(rows, fmt, SOURCE_LIST_FIELDS)
    if machine is not None:
        return machine
    lines = [f"{'key':<28} {'dates by':<11} {'side':<8} {'definition':<25} defined in"]
    for r in rows:
        lines.append(
            f"{r['key']:<28} {r['dates_by']:<11} {r['side']:<8} {_shown(r['definition']):<25} {r['defined_in']}"
        )
        lines.append(f"  {r['name']}" + (f" — {r['url']}" if r["url"] else ""))
        if r["licence"]:
            lines.append(f"  licence: {r['licence']}")
    lines.append(
        f"({len(rows)} source(s); a blank definition counts killed and wounded for personnel, claimed for "
        "equipment; `tracker sources add` records a source in the store)"
    )
    return sanitize("\n".join(lines), keep_newlines=True)


def source_update_text(done: SourceUpdate, *, in_registry: bool) -> str:
    """One line for what `tracker sources add` did, and a note when stored figures are relabelled."""
    info = done.info
    if done.created and not in_registry:
        described = ", ".join(
            f"{f.replace('_', ' ')} {_shown(getattr(info, f))}" for f in ("dates_by", "side", "definition")
        )
        lines = [f"added source {done.key}: {info.name} ({described})"]
    elif not done.changes and done.created:
        lines = [f"recorded source {done.key} in the store, as the registry defines it"]
    elif not done.changes:
        lines = [f"source {done.key} unchanged: the store already records these values"]
    else:
        verb = "recorded source" if done.created else "updated source"
        changed = "; ".join(f"{f} {_shown(old)} → {_shown(new)}" for f, old, new in done.changes)
        lines = [f"{verb} {done.key}: {changed}" + (" (overrides the registry)" if in_registry else "")]
    if done.relabelled:
        lines.append(
            f"note: {done.relabelled:,} stored figure(s) of {done.key} have no definition of their own and now "
            f"count what the source counts ({_shown(info.definition)})"
        )
    return sanitize("\n".join(lines), keep_newlines=True)
