"""Test helper: observations of one metric straight from the shared dataset JSON.

Mirrors what `tracker.store.queries.observations_frame` returns for the open dataset feed, so
that the pure quality and analysis tests need no store: one row per report date with the
cumulative `value`, the `qualifier` ("personnel*"), no reported increase (the dataset has
none), the documented `adjustment` from the corrections file, and the `lineage` (the
predecessor categories summed before a merge, e.g. "military_auto+fuel_tanks").
"""

from __future__ import annotations

import datetime as dt
import json
from functools import cache
from pathlib import Path

from tracker.domain import DATASET_KEYS, METRICS
from tracker.ingest.rules import Point

PERSONNEL_FILE = "russia_losses_personnel.json"
EQUIPMENT_FILE = "russia_losses_equipment.json"
CORRECTIONS_FILE = "russia_losses_equipment_correction.json"

_KEY_OF = {metric: key for key, metric in DATASET_KEYS.items()}


@cache
def _load(path: str) -> list[dict]:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def _rows_for(latest_dir: Path, key: str) -> list[dict]:
    personnel = _load(str(latest_dir / PERSONNEL_FILE))
    if any(key in r for r in personnel[:100]) or key == "personnel":
        return personnel
    return _load(str(latest_dir / EQUIPMENT_FILE))


def _corrections(latest_dir: Path) -> dict[str, dict]:
    return {r["date"]: r for r in _load(str(latest_dir / CORRECTIONS_FILE))}


def dataset_rows(latest_dir: Path, metric: str, *, as_of: dt.date | None = None) -> list[dict]:
    """Rows of dicts: report_date, value, qualifier, reported_increase, adjustment, lineage."""
    m = METRICS[metric]
    key = _KEY_OF[metric]
    corrections = _corrections(latest_dir)
    out: list[dict] = []
    for r in _rows_for(latest_dir, key):
        day = dt.date.fromisoformat(r["date"])
        if as_of is not None and day > as_of:
            continue
        if key in r:
            parts = [(metric, key)]
        elif m.predecessors and m.merged_on and day < m.merged_on and all(_KEY_OF[p] in r for p in m.predecessors):
            # as the store does: before the merge, the sum of the absorbed categories, on the
            # dates all of them were reported, without their adjustments
            parts = [(p, _KEY_OF[p]) for p in m.predecessors]
        else:
            continue
        corr = corrections.get(r["date"], {}) if parts[0][0] == metric else {}
        out.append(
            {
                "report_date": day,
                "value": sum(int(r[k]) for _, k in parts),
                "qualifier": r.get(f"{key}*"),
                "reported_increase": None,
                "adjustment": sum(int(corr.get(k, 0)) for _, k in parts),
                "lineage": "+".join(name for name, _ in parts),
            }
        )
    return out


def dataset_points(latest_dir: Path, metric: str, *, as_of: dt.date | None = None) -> list[Point]:
    """The series as `tracker.ingest.rules.Point`s, as the ingest passes them to check_series."""
    return [
        Point(r["report_date"], r["value"], r["qualifier"], r["reported_increase"], r["adjustment"])
        for r in dataset_rows(latest_dir, metric, as_of=as_of)
    ]


def observations_frame(latest_dir: Path, metric: str = "personnel", *, as_of: dt.date | None = None):
    """The observations frame of one metric, with the store frame's columns and dtypes."""
    import pandas as pd

    rows = dataset_rows(latest_dir, metric, as_of=as_of)
    frame = pd.DataFrame(
        rows, columns=["report_date", "value", "qualifier", "reported_increase", "adjustment", "lineage"]
    )
    frame["report_date"] = pd.to_datetime(frame["report_date"]).astype("datetime64[ns]")
    frame["value"] = frame["value"].astype("int64")
    frame["qualifier"] = frame["qualifier"].astype(object)
    frame["reported_increase"] = pd.to_numeric(frame["reported_increase"]).astype("float64")
    frame["adjustment"] = frame["adjustment"].astype("int64")
    frame["lineage"] = frame["lineage"].astype(object)
    return frame


def dataset_metrics(latest_dir: Path) -> list[str]:
    """Every canonical metric that has at least one report in the dataset."""
    return [m for m in METRICS if dataset_rows(latest_dir, m)]
