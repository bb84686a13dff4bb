"""The registry of sources: who makes claims, by stable key."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SourceInfo:
    key: str
    name: str
    url: str | None = None


GENERAL_STAFF = "ua-general-staff"

SOURCES: dict[str, SourceInfo] = {
    s.key: s
    for s in [
        SourceInfo(GENERAL_STAFF, "General Staff of the Armed Forces of Ukraine",
                   "https://www.zsu.gov.ua/"),
    ]
}


def source_info(key: str) -> SourceInfo:
    """The registered source, or one named after its key for a person's own source."""
    return SOURCES.get(key) or SourceInfo(key, key)
