"""Approved periods are locked: no record of the unit's subtree dated in them may change.

An approved report locks its unit's records for the report's period (``PeriodLock``); only the
parent unit can lift a lock (``reports.actions.unlock``), and both are audited. The guard every
dated write passes lives below the fact apps, in ``ctip.core.periods``; this module re-exports
it for the reports code.
"""

from __future__ import annotations

from ctip.core.periods import (
    ancestor_paths,
    ensure_not_locked,
    guard,
    lock_for,
    lock_message,
    lock_over,
)

__all__ = ["ancestor_paths", "ensure_not_locked", "guard", "lock_for", "lock_message",
           "lock_over"]
