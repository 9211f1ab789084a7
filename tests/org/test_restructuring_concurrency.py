"""A restructuring beside the work of the day, on PostgreSQL (SQLite has one writer at a time):
a merger must not deadlock with an officer's write. Every audited write takes the head of the
audit chain last; the merger records the first unit's hand-over before it reaches the second
unit's records, so it must lock them all first (``units.actions._lock_subtrees``)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from tests.reports.own_database import BOTH, TREE, run_on_own_database

SCRIPT = TREE + BOTH + r'''
import time

from ctip.audit.actions import record
from ctip.cases import actions as cases
from ctip.cases.models import Situation
from ctip.units.actions import merge_units

second, third = (create_unit(actor=None, parent=province, name=name,
                             unit_type=UnitType.objects.get(code="commune"))
                 for name in ("Xã Hai", "Xã Ba"))
for unit in (second, third):
    cases.create_situation(actor=None, unit=unit, category="missing", source="officer",
                           description="Mất liên lạc")
held = Situation.objects.get(unit=third)
started = threading.Event()


def officer():
    # an officer's action: its row first, the audit chain's head last
    with transaction.atomic():
        Situation.objects.select_for_update().get(pk=held.pk)
        started.set()
        time.sleep(2)
        record(actor=None, action="situation.updated", target=held, unit_path=held.unit_path)


def merger():
    started.wait(10)
    merge_units(actor=None, sources=[second, third], into=commune)


errors = both(officer, merger)
print("restructuring:", errors or "both committed")
print("handed over:", Situation.objects.filter(unit=commune).count())
'''


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")
def test_a_merger_and_an_officers_write_at_once_both_commit(db: Any, tmp_path: Any,
                                                             install_migrated: Any) -> None:
    out = run_on_own_database("ctip_restructuring_concurrency", SCRIPT, tmp_path,
                              install_migrated)
    assert "restructuring: both committed" in out, out
    assert "handed over: 2" in out
