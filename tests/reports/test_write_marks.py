"""The audit events that wrote something are marked apart by a trigger (``reports.marks``,
decision 0093), for the data versions of the kept pages: every write is marked and no read, in
the event's own transaction; a rebuild makes the same marks from the trail, and the check finds
a mark lost or wrong."""

from __future__ import annotations

import re
from pathlib import Path
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
    ("situation.digest_sent", "ok", False, False),
    ("backup.created", "ok", False, False),
    ("person.duplicate_warned", "ok", False, False),
    ("person.break_glass", "ok", False, False),
    ("person.break_glass_reviewed", "ok", False, False),
    ("case.viewed_list_sorted", "ok", True, False),  # "viewed" only at the end
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
    kept, version = _marks(), caching.data_version(tree.commune_a)
    assert rollups.differences()[marks.TABLE] == 0
    newest = max(e.pk for e, spec in zip(events, EVENTS, strict=True) if spec[2])
    read = next(e for e, spec in zip(events, EVENTS, strict=True) if not spec[2])
    with connection.cursor() as cursor:  # as a lost trigger or a hand's SQL would leave them
        cursor.execute("DELETE FROM reports_writemark WHERE id = %s", [newest])
        cursor.execute("UPDATE reports_writemark SET unit_path = %s WHERE id = %s",
                       [tree.other_commune.path, min(kept)])
        cursor.execute("INSERT INTO reports_writemark (id, unit_path, tree) VALUES (%s, %s, %s)",
                       [read.pk, read.unit_path, False])
    assert rollups.differences()[marks.TABLE] == 4  # one missing, one moved (twice), one read
    assert caching.data_version(tree.commune_a) != version  # the newest write lost
    assert rollups.rebuild()[marks.TABLE] == 4  # two wrong ones removed, two added
    assert _marks() == kept and rollups.differences()[marks.TABLE] == 0
    assert caching.data_version(tree.commune_a) == version  # the newest write seen again
    assert rollups.rebuild()[marks.TABLE] == 0  # a right table is left as it is


def test_a_mark_in_the_way_never_makes_an_action_fail(tree: Any) -> None:
    """A mark already at the next event's key (left by hand, or a restore of some tables) is
    replaced by the event's own: the action is recorded, its mark right."""
    with connection.cursor() as cursor:  # the last key given out, rolled back or not
        if connection.vendor == "postgresql":
            cursor.execute("SELECT nextval(pg_get_serial_sequence('audit_auditevent', 'id'))")
        else:
            cursor.execute("SELECT MAX(seq) FROM (SELECT MAX(id) AS seq FROM audit_auditevent "
                           "UNION ALL SELECT seq FROM sqlite_sequence "
                           "WHERE name = 'audit_auditevent')")
        last = cursor.fetchone()[0] or 0
        for key in range(last + 1, last + 40):  # the next keys, whatever the sequence's step
            cursor.execute("INSERT INTO reports_writemark (id, unit_path, tree) "
                           "VALUES (%s, %s, %s)", [key, "/elsewhere/", True])
    event = record(actor=None, action="situation.created", unit_path=tree.commune_a.path)
    assert last < event.pk < last + 40
    assert _marks()[event.pk] == (tree.commune_a.path, False)


def test_without_the_marks_table_actions_are_recorded_and_no_trigger_is_missing(
        tree: Any) -> None:
    """A database migrated back before the marks (``migrate`` drops the triggers first, then
    installs them again): no marks trigger is installed, none is reported missing, and an
    audited action is recorded as ever."""
    rollups.uninstall(connection)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE reports_writemark")
    rollups.install_and_rebuild()
    assert marks.TRIGGER not in rollups.installed(connection)
    assert rollups.missing(connection) == set()
    assert marks.TABLE not in rollups.differences()
    event = record(actor=None, action="situation.created", unit_path=tree.commune_a.path)
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_every_action_the_code_records_is_in_lower_case() -> None:
    """SQLite's ``LIKE`` ignores case and PostgreSQL's does not: the rule of a read gives the
    same answer on both only for actions in lower case."""
    source = Path(__file__).resolve().parents[2] / "src" / "ctip"
    found = [(path.name, action) for path in source.rglob("*.py")
             for action in re.findall(r'action="([^"]+)"', path.read_text(encoding="utf-8"))]
    assert len(found) > 100
    assert [f for f in found if f[1] != f[1].lower()] == []


def test_a_window_of_reads_keeps_the_version_and_a_write_behind_it_moves_it(
        tree: Any, monkeypatch: Any) -> None:
    """Reads above the newest write never change a unit's version, however many; a sibling's
    write past the unit's window does, and so does a write in the unit's subtree."""
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
