"""The words every layer shares, each defined once: the invasion date, Kyiv time and "today",
the sides, what a figure counts (definitions), how a source dates its figures, and the canonical
metrics with how categories merged over time.

Feeds name the same category differently ("tank" in the open dataset, "tanks" in the
russianwarship.rip API); the store keeps one canonical name per category so that the same
figure from two feeds lands in the same series.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

# The full-scale invasion began on 2022-02-24: no loss report can be dated before it.
INVASION_START = dt.date(2022, 2, 24)

# The time zone the General Staff dates its reports in: "today" is the Kyiv day everywhere.
KYIV = ZoneInfo("Europe/Kyiv")


def kyiv_today() -> dt.date:
    """Today in Kyiv: the day the General Staff's reports are dated by, whatever the machine's clock."""
    return dt.datetime.now(KYIV).date()


# Whose losses a figure counts.
SIDES = ("russia", "ukraine")
# "report": a figure is dated by the report that published it; "covered": by the day it covers
# (UK Defence Intelligence); "documented": by when a loss was documented, not when it happened
# (Oryx), so day-by-day increments mean nothing.
DATES_BY = ("report", "covered", "documented")


@dataclass(frozen=True)
class Definition:
    key: str
    wording: str  # how a label says it: "Personnel (killed)"
    kind: str  # the metric kind it applies to: "personnel" or "equipment"
    # Whether a series (a source's figures) may count it; "missing" is only ever a claim's.
    of_series: bool = True


DEFINITIONS: dict[str, Definition] = {
    d.key: d
    for d in [
        Definition("killed_or_wounded", "killed and wounded", "personnel"),
        Definition("killed", "killed", "personnel"),
        Definition("wounded", "wounded", "personnel"),
        Definition("killed_confirmed_by_name", "deaths confirmed by name", "personnel"),
        Definition("claimed", "claimed", "equipment"),
        Definition("confirmed", "visually confirmed", "equipment"),
        Definition("missing", "missing", "personnel", of_series=False),
    ]
}
# What a series or a source's figures may count (`ingest csv --definition`, `sources add`).
SERIES_DEFINITIONS = tuple(d.key for d in DEFINITIONS.values() if d.of_series)
# What a figure counts when neither the series nor its source says: the General Staff's terms.
DEFAULT_DEFINITION = {"personnel": "killed_or_wounded", "equipment": "claimed"}


@dataclass(frozen=True)
class Metric:
    name: str
    label: str
    unit: str
    kind: str  # "personnel" or "equipment"
    milestone_step: int
    retired: bool = False
    # Categories this one absorbed: their totals are part of this series from `merged_on`.
    predecessors: tuple[str, ...] = ()
    merged_on: dt.date | None = None
    notes: str = ""


METRICS: dict[str, Metric] = {
    m.name: m
    for m in [
        Metric("personnel", "Personnel (killed and wounded)", "people", "personnel", 100_000),
        Metric("tanks", "Tanks", "tanks", "equipment", 1_000),
        Metric("afv", "Armoured fighting vehicles", "vehicles", "equipment", 1_000),
        Metric("artillery", "Artillery systems", "systems", "equipment", 1_000),
        Metric("mlrs", "Multiple rocket launchers", "systems", "equipment", 100),
        Metric("air_defense", "Air defence systems", "systems", "equipment", 100),
        Metric("aircraft", "Aircraft", "aircraft", "equipment", 50),
        Metric("helicopters", "Helicopters", "helicopters", "equipment", 50),
        Metric("uav", "Drones (operational-tactical UAVs)", "drones", "equipment", 10_000),
        Metric("ships", "Warships and boats", "vessels", "equipment", 5),
        Metric("submarines", "Submarines", "submarines", "equipment", 1),
        Metric(
            "vehicles_fuel_tanks",
            "Vehicles and fuel tanks",
            "vehicles",
            "equipment",
            10_000,
            predecessors=("military_auto", "fuel_tanks"),
            merged_on=dt.date(2022, 5, 1),
            notes="Reported separately as 'military auto' and 'fuel tank' until 2022-04-30.",
        ),
        Metric(
            "cruise_missiles",
            "Cruise missiles",
            "missiles",
            "equipment",
            1_000,
            predecessors=("mobile_srbm",),
            merged_on=dt.date(2022, 5, 1),
            notes="'Mobile SRBM system' was folded into this category on 2022-05-01.",
        ),
        Metric("special_equipment", "Special equipment", "units", "equipment", 1_000),
        Metric("ground_robotic_systems", "Ground robotic systems", "systems", "equipment", 1_000),
        Metric(
            "pow",
            "Prisoners of war",
            "people",
            "personnel",
            100,
            retired=True,
            notes="No longer reported after 2022-04-28.",
        ),
        Metric(
            "military_auto",
            "Military vehicles (retired)",
            "vehicles",
            "equipment",
            1_000,
            retired=True,
            notes="Merged into vehicles_fuel_tanks on 2022-05-01.",
        ),
        Metric(
            "fuel_tanks",
            "Fuel tanks (retired)",
            "vehicles",
            "equipment",
            100,
            retired=True,
            notes="Merged into vehicles_fuel_tanks on 2022-05-01.",
        ),
        Metric(
            "mobile_srbm",
            "Mobile SRBM systems (retired)",
            "systems",
            "equipment",
            10,
            retired=True,
            notes="Folded into cruise_missiles on 2022-05-01.",
        ),
    ]
}

# Keys of the open General Staff dataset (PetroIvaniuk/2022-Ukraine-Russia-War-Dataset).
DATASET_KEYS: dict[str, str] = {
    "personnel": "personnel",
    "POW": "pow",
    "tank": "tanks",
    "APC": "afv",
    "field artillery": "artillery",
    "MRL": "mlrs",
    "anti-aircraft warfare": "air_defense",
    "aircraft": "aircraft",
    "helicopter": "helicopters",
    "drone": "uav",
    "naval ship": "ships",
    "submarines": "submarines",
    "vehicles and fuel tanks": "vehicles_fuel_tanks",
    "cruise missiles": "cruise_missiles",
    "special equipment": "special_equipment",
    "ground robotic systems": "ground_robotic_systems",
    "military auto": "military_auto",
    "fuel tank": "fuel_tanks",
    "mobile SRBM system": "mobile_srbm",
}

# Keys of the russianwarship.rip API v2 `stats` and `increase` objects.
WARSHIP_KEYS: dict[str, str] = {
    "personnel_units": "personnel",
    "tanks": "tanks",
    "armoured_fighting_vehicles": "afv",
    "artillery_systems": "artillery",
    "mlrs": "mlrs",
    "aa_warfare_systems": "air_defense",
    "planes": "aircraft",
    "helicopters": "helicopters",
    "vehicles_fuel_tanks": "vehicles_fuel_tanks",
    "warships_cutters": "ships",
    "cruise_missiles": "cruise_missiles",
    "uav_systems": "uav",
    "special_military_equip": "special_equipment",
    "atgm_srbm_systems": "mobile_srbm",
    "submarines": "submarines",
}

# The main categories, in the order reports and charts list them.
MAIN_EQUIPMENT = ("tanks", "afv", "artillery", "mlrs", "air_defense", "uav", "vehicles_fuel_tanks", "aircraft")


def resolve(name: str) -> Metric:
    """The canonical metric for a name or alias; raises KeyError with the known names."""
    key = name.strip()
    if key in METRICS:
        return METRICS[key]
    alias = DATASET_KEYS.get(key) or WARSHIP_KEYS.get(key)
    if alias:
        return METRICS[alias]
    raise KeyError(f"unknown metric {name!r}; known: {', '.join(sorted(METRICS))}")


def label_for(metric: str, definition: str | None = None) -> str:
    """A series' label from its metric and what it counts: "Personnel (killed)" for a killed-only
    count, "Tanks (visually confirmed)" for Oryx's; the metric's own label for the General Staff's
    terms (killed and wounded, claimed equipment)."""
    spec = METRICS.get(metric)
    if spec is None:
        return metric
    known = DEFINITIONS.get(definition or "")
    if known is None or known.key == DEFAULT_DEFINITION.get(spec.kind):
        return spec.label
    return f"{spec.label.split(' (')[0]} ({known.wording})"
