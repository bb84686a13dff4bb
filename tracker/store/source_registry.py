"""The registry of sources: who makes claims, by stable key, and what their figures mean.

The registry is data (`data/sources/sources.csv`, shipped as `tracker/_sources`): a new source is a
row there, or `tracker sources add` for one store. Each source says how it dates its figures
(`dates_by`), whose losses its figures count by default (`side`) and what they count
(`definition`); a series or a claim may say otherwise for itself.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from tracker.domain import DEFAULT_DEFINITION, DEFINITIONS, INVASION_START

REGISTRY_FILE = Path(__file__).parent.parent / "_sources" / "sources.csv"
# A source key: what `--source`, a CSV's `source` cell and `tracker sources add` accept.
SOURCE_KEY = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")


@dataclass(frozen=True)
class SourceInfo:
    key: str
    name: str
    url: str | None = None
    dates_by: str = "report"
    side: str = "russia"
    definition: str | None = None
    licence: str | None = None
    # Reports dated before this are implausible for the source: findings, kept out of its series.
    plausible_start: dt.date = INVASION_START
    note: str = ""

    def definition_for(self, metric_kind: str, stored: str | None = None) -> str:
        """What a figure of this source counts: the series' own definition, else the source's
        when it applies to the metric's kind, else the default for the kind."""
        if stored:
            return stored
        own = DEFINITIONS.get(self.definition or "")
        if own is not None and own.kind == metric_kind:
            return own.key
        return DEFAULT_DEFINITION.get(metric_kind, "claimed")


def load_registry(path: Path = REGISTRY_FILE) -> dict[str, SourceInfo]:
    """The sources of the registry file, by key."""
    out: dict[str, SourceInfo] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            info = SourceInfo(
                key=row["key"],
                name=row["name"],
                url=row["url"] or None,
                dates_by=row["dates_by"] or "report",
                side=row["side"] or "russia",
                definition=row["definition"] or None,
                licence=row["licence"] or None,
                plausible_start=dt.date.fromisoformat(row["plausible_start"])
                if row["plausible_start"]
                else INVASION_START,
                note=row["note"] or "",
            )
            out[info.key] = info
    return out


SOURCES: dict[str, SourceInfo] = load_registry()
GENERAL_STAFF = "ua-general-staff"
CURATED = "curated"
ORYX = "oryx"


def source_info(key: str) -> SourceInfo:
    """The registered source, or one named after its key for a person's own source."""
    return SOURCES.get(key) or SourceInfo(key, key)


def with_overrides(info: SourceInfo, **fields: object) -> SourceInfo:
    """A copy of `info` with the non-empty fields given (a store's own record of a source)."""
    given = {k: v for k, v in fields.items() if v not in (None, "")}
    return replace(info, **given)  # type: ignore[arg-type]


def check_choice(option: str, value: str | None, allowed: tuple[str, ...]) -> str | None:
    """One word of `allowed` (case and '-'/spaces aside), or InvalidInput naming the choices."""
    from tracker.errors import InvalidInput

    if value is None:
        return None
    word = re.sub(r"[\s-]+", "_", value.strip().lower())
    if word not in allowed:
        flag = "--" + option.replace("_", "-")
        raise InvalidInput(f"unknown {flag} {value[:60]!r}: use one of {', '.join(allowed)}")
    return word


def matching_sources(query: str, known: Mapping[str, SourceInfo]) -> list[str]:
    """The keys of `known` a --source filter names: the key itself when it is one, else every key
    that starts with it as whole hyphen-separated words ("uk" finds uk-fcdo, not ukraine-mod) and
    every source whose name holds it as a word, case aside ("UK" finds "UK Defence Intelligence").
    Empty when none does."""
    text = query.strip()
    if text in known:
        return [text]
    lowered = text.casefold()
    if not lowered:
        return []
    word = re.compile(rf"(?<!\w){re.escape(lowered)}(?!\w)")
    prefix = lowered if lowered.endswith("-") else lowered + "-"
    return [
        key
        for key, info in known.items()
        if key.casefold().startswith(prefix) or word.search(info.name.casefold()) is not None
    ]
