"""Reconciling the feeds (transcriptions) of one source, for notebooks beside the rest of the
analysis: the rules (classes, arbiter, verdict, disputed) are in tracker.reconcilerows, which the
report path imports without pandas; see its docstring."""

from __future__ import annotations

from tracker.reconcilerows import (
    CLASSES,
    UNDECIDED,
    Disagreement,
    OneSided,
    Reconciliation,
    reconcile,
    stated_increase,
)

__all__ = ["CLASSES", "UNDECIDED", "Disagreement", "OneSided", "Reconciliation", "reconcile", "stated_increase"]
