"""Concurrent writers and the roll-up triggers, on PostgreSQL (SQLite has one writer at a time).

Two transactions run at once in a database of their own (the test database wraps each test in a
transaction that never commits, so it cannot show what two committed transactions do)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from tests.reports.own_database import BOTH, TREE, run_on_own_database

SCRIPT = TREE + BOTH + r'''
import datetime as dt
import threading
import time

from ctip.outreach.models import Activity, Format
from ctip.reports import rollups

first, second = Format.objects.order_by("pk")[:2]


def activity(fmt, title):
    return Activity.objects.create(unit=commune, unit_path=commune.path, format=fmt,
                                   date=dt.date(2026, 7, 15), title=title,
                                   participants_total=10)


# 1. Two writers in the same province and month, formats in opposite orders: with counters
#    updated in place each would wait for the other's row (a deadlock); deltas never wait.
barrier = threading.Barrier(2, timeout=20)


def writer(formats, name):
    def go():
        with transaction.atomic():
            activity(formats[0], name + " 1")
            barrier.wait()
            activity(formats[1], name + " 2")
            barrier.wait()
    return go


errors = both(writer((first, second), "A"), writer((second, first), "B"))
print("writers:", errors or "both committed")

# 2. A unit's flags change while an activity of the unit is being recorded.
started = threading.Event()


def record():
    with transaction.atomic():
        activity(first, "C")
        started.set()
        time.sleep(1)


def flag():
    started.wait(10)
    Unit.objects.filter(pk=commune.pk).update(is_border=True)


errors += both(record, flag)
print("flags:", errors or "both committed")
print("differences:", rollups.differences())
assert not errors and not any(rollups.differences().values())
print("agree")
'''


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")
def test_concurrent_writers_neither_deadlock_nor_miss_each_other(db: Any, tmp_path: Any,
                                                                 install_migrated: Any) -> None:
    out = run_on_own_database("ctip_rollup_concurrency", SCRIPT, tmp_path, install_migrated)
    assert "writers: both committed" in out
    assert "flags: both committed" in out
    assert "agree" in out
