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


HELD = TREE + BOTH + r'''
import datetime as dt
import time

from ctip.org.held import UnitMoved
from ctip.outreach.actions import create_activity
from ctip.outreach.models import Activity, Format
from ctip.units.actions import move_subtree

other = create_unit(actor=None, parent=central, name="Tỉnh Hai",
                    unit_type=UnitType.objects.get(code="province"))
meeting = Format.objects.get(code="meeting")


def write(unit, title):
    create_activity(actor=None, unit=unit, date=dt.date(2026, 7, 15), format=meeting,
                    title=title, participants_women=20, participants_men=5)


# the move first: the page read the commune, the move has rewritten it and not yet committed
stale = Unit.objects.get(pk=commune.pk)
moved = threading.Event()


def mover():
    with transaction.atomic():
        move_subtree(actor=None, unit=commune, new_parent=other)
        moved.set()
        time.sleep(2)


def late_writer():
    moved.wait(10)
    try:
        write(stale, "Ghi sau khi chuyển")
    except UnitMoved:
        print("late writer: refused")


print("move first:", both(mover, late_writer) or "ok")
print("written at the old place:", Activity.objects.exclude(
    unit_path=Unit.objects.get(pk=commune.pk).path).count())

# the write first: the move waits for it, then carries it
written = threading.Event()


def writer():
    with transaction.atomic():
        write(Unit.objects.get(pk=commune.pk), "Ghi trước khi chuyển")
        written.set()
        time.sleep(2)


def back():
    written.wait(10)
    move_subtree(actor=None, unit=Unit.objects.get(pk=commune.pk), new_parent=province)


print("write first:", both(writer, back) or "ok")
print("left behind:", Activity.objects.exclude(
    unit_path=Unit.objects.get(pk=commune.pk).path).count())
'''


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")
def test_a_write_from_a_unit_read_before_a_move_waits_for_it(db: Any, tmp_path: Any,
                                                             install_migrated: Any) -> None:
    """Decision 0102 on PostgreSQL: a write that checks its unit while a move is under way waits
    for the move and is refused; a move that starts while a write is under way waits for it
    and carries its record."""
    out = run_on_own_database("ctip_held_concurrency", HELD, tmp_path, install_migrated)
    assert "late writer: refused" in out, out
    assert "move first: ok" in out and "write first: ok" in out, out
    assert "written at the old place: 0" in out and "left behind: 0" in out, out
