"""The registry of sources: who makes claims, by stable key."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

# The full-scale invasion began on 2022-02-24: no loss report can be dated before it.
WAR_START = dt.date(2022, 2, 24)


@dataclass(frozen=True)
class SourceInfo:
    key: str
    name: str
    url: str | None = None
    # Reports dated before this are implausible for the source: findings, kept out of its series.
    plausible_start: dt.date = WAR_START


GENERAL_STAFF = "ua-general-staff"
CURATED = "curated"

SOURCES: dict[str, SourceInfo] = {
    s.key: s
    for s in [
        SourceInfo(GENERAL_STAFF, "General Staff of the Armed Forces of Ukraine", "https://www.zsu.gov.ua/"),
        # Curated claims (tracker.claims): the feed's own source, then the claimants.
        SourceInfo(CURATED, "Claims curated by this project (data/claims)"),
        SourceInfo("uk-defence-intelligence", "UK Defence Intelligence (Ministry of Defence)"),
        SourceInfo(
            "uk-mod", "UK Ministry of Defence", "https://www.gov.uk/government/organisations/ministry-of-defence"
        ),
        SourceInfo("uk-chief-of-defence-staff", "UK Chief of the Defence Staff"),
        SourceInfo("us-dod", "US Department of Defense", "https://www.defense.gov/"),
        SourceInfo("us-officials", "US officials (unnamed, as reported by the press)"),
        SourceInfo("us-intelligence", "US intelligence community"),
        SourceInfo("news-report", "News report (outlet not recorded)"),
        SourceInfo("mediazona-bbc", "Mediazona and BBC News Russian"),
        SourceInfo("csis", "Center for Strategic and International Studies", "https://www.csis.org/"),
    ]
}


def source_info(key: str) -> SourceInfo:
    """The registered source, or one named after its key for a person's own source."""
    return SOURCES.get(key) or SourceInfo(key, key)
