"""The audit events that wrote something are marked apart by a trigger (``reports.marks``,
decision 0093), for the data versions of the kept pages: every write is marked and no read, in
the event's own transaction; a rebuild makes the same marks from the trail, and the check finds
a mark lost or wrong."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, transaction

from ctip.audit.actions import record
from ctip.audit.models import AuditEvent
from ctip.reports import caching, marks, rollups
from ctip.reports.models import WriteMark

#: (action, outcome, a write?, a change of the tree?), written out by hand, not by the rule
EVENTS = [
    ("situation.created", "ok", True, False),
    ("case.service_added", "ok", True, False),
    ("report.approved", "ok", True, False),
    ("campaign.targets_set", "ok", True, False),
    ("unit.renamed", "ok", True, True),
    ("unit.moved", "ok", True, True),
    ("xunit.renamed", "ok", True, False),          # "unit." only at the start
    ("report.publicxrelease", "ok", True, False),  # "_" is no wildcard in the rule
    ("auth.login", "ok", False, False),
    ("case.viewed", "ok", False, False),
    ("person.identity_viewed", "ok", False, False),
    ("report.xlsx_exported", "ok", False, False),
    ("report.public_release_made", "ok", False, False),
    ("report.ctdc_download", "ok", False, False),
    ("audit.checkpoint", "ok", False, False),
    ("keys.rotated", "ok", False, False),
    ("token.created", "ok", False, False),
    ("cms.page_published", "ok", False, False),
    ("wagtail.publish", "ok", False, False),
    ("report.reminders_sent", "ok", False, False),
    ("person.break_glass", "ok", False, False),
    ("situation.created", "refused", False, False),  # a refusal changes nothing
    ("unit.renamed", "refused", False, False),
]


def _record_all(tree: Any) -> list[AuditEvent]:
    return [record(actor=None, action=action, outcome=outcome, target_label=action,
                   unit_path=tree.commune_a.path) for action, outcome, _w, _t in EVENTS]


def _marks() -> dict[int, tuple[str, bool]]:
    return {m.pk: (m.unit_path, bool(m.tree)) for m in WriteMark.objects.all()}


def test_every_write_is_marked_and_no_read(tree: Any) -> None:
    events = _record_all(tree)
    found = _marks()
    for event, (action, outcome, write, changes_tree) in zip(events, EVENTS, strict=True):
        if write:
            assert found.get(event.pk) == (tree.commune_a.path, changes_tree), (action, outcome)
        else:
            assert event.pk not in found, (action, outcome)
        # the rule as the code reads it says the same as the trigger
        assert marks.is_read(action, outcome) is not write, (action, outcome)


def test_an_event_rolled_back_leaves_no_mark(tree: Any) -> None:
    before = _marks()
    with pytest.raises(RuntimeError), transaction.atomic():
        record(actor=None, action="situation.created", unit_path=tree.commune_a.path)
        raise RuntimeError("the write fails after its event")
    assert _marks() == before


def test_a_rebuild_makes_the_same_marks_and_the_check_finds_a_wrong_one(tree: Any) -> None:
    events = _record_all(tree)
    kept = _marks()
    assert rollups.differences()[marks.TABLE] == 0
    written = next(e for e, spec in zip(events, EVENTS, strict=True) if spec[2])
    read = next(e for e, spec in zip(events, EVENTS, strict=True) if not spec[2])
    with connection.cursor() as cursor:  # as a lost trigger or a hand's SQL would leave them
        cursor.execute("DELETE FROM reports_writemark WHERE id = %s", [written.pk])
        cursor.execute("INSERT INTO reports_writemark (id, unit_path, tree) VALUES (%s, %s, %s)",
                       [read.pk, read.unit_path, False])
    assert rollups.differences()[marks.TABLE] == 2
    version = caching.data_version(tree.commune_a)
    assert rollups.rebuild()[marks.TABLE] > 0
    assert _marks() == kept and rollups.differences()[marks.TABLE] == 0
    assert caching.data_version(tree.commune_a) != version  # the lost write is seen again


def test_a_window_of_reads_keeps_the_version_and_a_write_behind_it_moves_it(
        tree: Any, monkeypatch: Any) -> None:
    """Reads above the newest write never change a unit's version, however many; a write in
    the unit's subtree does, inside the window or past it."""
    monkeypatch.setattr(caching, "AUDIT_WINDOW", 5)
    record(actor=None, action="situation.created", unit_path=tree.branch_a1.path)
    versions = []
    for _ in range(3):  # more reads than the window holds, three times
        for _ in range(8):
            record(actor=None, action="case.viewed", unit_path=tree.commune_a.path)
        versions.append(caching.data_version(tree.commune_a))
    version = versions[0]
    assert versions == [version] * 3
    record(actor=None, action="situation.created", unit_path=tree.commune_b.path)
    moved = caching.data_version(tree.commune_a)
    assert moved != version  # a sibling's write, past the window of commune A's own
    record(actor=None, action="situation.created", unit_path=tree.branch_a1.path)
    assert caching.data_version(tree.commune_a) not in (version, moved)
