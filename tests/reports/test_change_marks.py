"""Every row written in a table a kept duty reads is marked by a trigger (``reports.marks``,
``CHANGES``, decision 0094), whatever wrote it, in the write's own transaction: its unit paths,
the old and the new ones; the data version reads the marks near a unit (its subtree, and above
it what concerns the units below); ``compact`` drops the marks no version reads; and the
deadline words' next change is known exactly."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection, transaction
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from ctip.cases import actions
from ctip.cases.digest import deadline_text, deadline_text_until
from ctip.cases.models import Situation
from ctip.org.models import Unit
from ctip.outreach.models import Campaign
from ctip.reports import actions as report_actions
from ctip.reports import caching, marks, rollups
from ctip.reports.models import ChangeMark, Report, ReportType
from tests.reports.own_database import TREE, run_on_own_database


def _newest() -> int:
    return ChangeMark.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def _since(newest: int) -> set[tuple[str, bool]]:
    return set(ChangeMark.objects.filter(pk__gt=newest).values_list("unit_path", "down"))


def _sql(statement: str, params: list[Any]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


@pytest.mark.django_db
def test_each_trigger_is_installed() -> None:
    names = set(marks.change_triggers())
    assert len(names) == 3 * len(marks.CHANGES)
    assert names <= rollups.installed(connection)


def test_a_situation_is_marked_where_it_is_handled_and_where_it_happened(
        tree: Any, users: Any) -> None:
    before = _newest()
    situation = actions.create_situation(actor=users["commune_officer"], unit=tree.branch_a1,
                                         category="recruitment", source="officer",
                                         description="Tin tuyển dụng lạ.")
    handler = Unit.objects.get(pk=situation.handling_unit_id).path
    assert situation.handling_path == handler
    assert _since(before) == {(handler, False), (tree.branch_a1.path, False)}
    # its handling path moved by SQL: the old place and the new one (and its handling unit's)
    before = _newest()
    _sql("UPDATE cases_situation SET handling_path = %s WHERE id = %s",
         [tree.other_commune.path, situation.pk])
    assert _since(before) == {(handler, False), (tree.other_commune.path, False),
                              (tree.branch_a1.path, False)}
    before = _newest()
    Situation.objects.filter(pk=situation.pk).update(urgency="urgent")  # nothing moved
    assert _since(before) == {(handler, False), (tree.other_commune.path, False),
                              (tree.branch_a1.path, False)}
    before = _newest()
    _sql("DELETE FROM cases_situationevent WHERE situation_id = %s", [situation.pk])
    _sql("DELETE FROM cases_situation WHERE id = %s", [situation.pk])
    assert _since(before) == {(handler, False), (tree.other_commune.path, False),
                              (tree.branch_a1.path, False)}


def test_reports_report_types_campaigns_and_units_are_marked(tree: Any) -> None:
    monthly = ReportType.objects.get(code="monthly")
    before = _newest()
    ReportType.objects.filter(pk=monthly.pk).update(name="Báo cáo tháng mới")
    assert _since(before) == {("", True)}  # no unit: every unit's
    report = report_actions.create_or_get_draft(
        actor=None, unit=tree.commune_a, report_type=monthly, start=dt.date(2026, 1, 1),
        end=dt.date(2026, 1, 31))
    before = _newest()
    Report.objects.filter(pk=report.pk).update(status=Report.Status.SUBMITTED)
    assert _since(before) == {(tree.commune_a.path, False)}
    before = _newest()
    Report.objects.filter(pk=report.pk).delete()
    assert _since(before) == {(tree.commune_a.path, False)}
    before = _newest()
    campaign = Campaign.objects.create(unit=tree.province, unit_path=tree.province.path,
                                       name="Tháng hành động",
                                       starts_on=dt.date(2026, 6, 1),
                                       ends_on=dt.date(2026, 6, 30))
    assert _since(before) == {(tree.province.path, True)}
    before = _newest()
    Campaign.objects.filter(pk=campaign.pk).update(archived=True)
    assert _since(before) == {(tree.province.path, True)}
    before = _newest()
    Unit.objects.filter(pk=tree.commune_b.pk).update(name="Phường Đổi Tên")
    assert _since(before) == {(tree.commune_b.path, True)}


def test_cases_their_workers_follow_ups_anonymisations_and_flags_are_marked(
        tree: Any, users: Any) -> None:
    """A case manager's duties (decision 0095): a case, its workers and its follow-ups are
    marked at the case's unit, an anonymisation request at its supervising unit, a flag at
    the unit of the one who opened it; a unit type (which units report) concerns every unit."""
    from ctip.cases.models import AnonymisationRequest, BreakGlass, FollowUp
    from ctip.org.models import UnitType
    from tests.cases.case_helpers import open_case

    worker = users["case_worker"]
    here = (tree.commune_a.path, False)
    before = _newest()
    case = open_case(tree.commune_a, worker, full_name="Lê Thị Hồng")
    assert here in _since(before)  # the case and its worker
    before = _newest()
    _sql("DELETE FROM cases_supportcase_workers WHERE supportcase_id = %s", [case.pk])
    assert _since(before) == {here}
    before = _newest()
    soon = timezone.localdate() + dt.timedelta(days=7)
    follow_up = actions.add_follow_up(actor=worker, case=case, due_on=soon, what="Gọi điện")
    assert _since(before) == {here}
    before = _newest()
    FollowUp.objects.filter(pk=follow_up.pk).update(done_on=soon)
    assert _since(before) == {here}
    before = _newest()
    _sql("UPDATE cases_supportcase SET closed_on = %s WHERE id = %s", [soon, case.pk])
    assert _since(before) == {here}
    before = _newest()
    request = AnonymisationRequest.objects.create(person=case.person, unit_path=case.unit_path,
                                                  reason="Xin xoá.", requested_by=worker)
    _sql("UPDATE cases_anonymisationrequest SET state = 'rejected' WHERE id = %s",
         [request.pk])
    assert _since(before) == {here}
    before = _newest()
    BreakGlass.objects.create(person=case.person, case=case, user=worker, kind="identity",
                              category="safety", reason="Khẩn cấp.", unit_path=case.unit_path,
                              actor_path=tree.branch_a1.path)
    assert _since(before) == {(tree.branch_a1.path, False)}
    before = _newest()
    UnitType.objects.filter(pk=tree.commune_a.unit_type_id).update(name="Xã (tên mới)")
    assert _since(before) == {("", True)}


def test_a_report_or_situation_is_marked_where_its_unit_is_now_too(tree: Any,
                                                                   users: Any) -> None:
    """A row keeps the path its unit had when it was written; the lists find it by its unit's
    place today (a unit moved or merged since): both are marked."""
    monthly = ReportType.objects.get(code="monthly")
    report = report_actions.create_or_get_draft(
        actor=None, unit=tree.commune_a, report_type=monthly, start=dt.date(2026, 1, 1),
        end=dt.date(2026, 1, 31))
    situation = actions.create_situation(actor=users["commune_officer"], unit=tree.commune_a,
                                         category="recruitment", source="officer",
                                         description="Tin tuyển dụng lạ.")
    old = tree.other_commune.path  # where the unit was when they were written, say
    _sql("UPDATE reports_report SET unit_path = %s WHERE id = %s", [old, report.pk])
    _sql("UPDATE cases_situation SET handling_path = %s, unit_path = %s WHERE id = %s",
         [old, old, situation.pk])
    before = _newest()
    Report.objects.filter(pk=report.pk).update(status=Report.Status.SUBMITTED)
    Situation.objects.filter(pk=situation.pk).update(state="closed")
    assert _since(before) == {(old, False), (tree.commune_a.path, False)}


def test_a_write_rolled_back_leaves_no_mark(tree: Any) -> None:
    before = _newest()
    with pytest.raises(RuntimeError), transaction.atomic():
        Unit.objects.filter(pk=tree.commune_b.pk).update(name="Tên chưa lưu")
        raise RuntimeError("the write fails after its row")
    assert _since(before) == set()


def test_a_version_moves_with_the_rows_near_it_and_not_with_the_others(tree: Any,
                                                                       users: Any) -> None:
    """A situation handled at the province concerns the province, not its communes; a
    campaign of the province, or the province renamed, concerns them too; a situation of a
    sibling commune concerns neither."""
    province = caching.data_version(tree.province)
    situation = actions.create_situation(actor=users["province_officer"],
                                         unit=tree.commune_b, category="recruitment",
                                         source="officer", description="Ở phường khác.")
    audited = caching.data_version(tree.commune_a)
    assert caching.data_version(tree.province) != province
    _sql("UPDATE cases_situation SET state = 'closed' WHERE id = %s", [situation.pk])
    assert caching.data_version(tree.commune_a) == audited
    province = caching.data_version(tree.province)
    _sql("UPDATE cases_situation SET state = 'received' WHERE id = %s", [situation.pk])
    assert caching.data_version(tree.province) != province
    assert caching.data_version(tree.commune_a) == audited
    _sql("UPDATE org_unit SET name = %s WHERE id = %s", ["Tỉnh Đổi Tên", tree.province.pk])
    assert caching.data_version(tree.commune_a) != audited


def test_compact_drops_the_marks_no_version_reads_and_keeps_the_newest(
        tree: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(marks, "CHANGES_KEPT", 5)
    for n in range(12):
        Unit.objects.filter(pk=tree.commune_b.pk).update(name=f"Phường số {n}")
    newest = _newest()
    version = caching.data_version(tree.commune_b)
    assert rollups.compact()[marks.CHANGES_TABLE] > 0
    assert set(ChangeMark.objects.values_list("pk", flat=True)) == set(
        range(newest - 5, newest + 1))
    assert caching.data_version(tree.commune_b) == version
    assert rollups.compact()[marks.CHANGES_TABLE] == 0


def test_without_the_change_marks_table_writes_work_and_no_trigger_is_missing(
        tree: Any) -> None:
    """A database migrated back before the change marks: none of their triggers is
    installed, none is reported missing, and a situation is written as ever."""
    rollups.uninstall(connection)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {marks.CHANGES_TABLE}")
    rollups.install_and_rebuild()
    assert not set(marks.change_triggers()) & rollups.installed(connection)
    assert marks.TRIGGER in rollups.installed(connection)  # the audit marks' still are
    assert rollups.missing(connection) == set()
    Unit.objects.filter(pk=tree.commune_b.pk).update(name="Phường Không Dấu Vết")
    assert Unit.objects.get(pk=tree.commune_b.pk).name == "Phường Không Dấu Vết"


MOMENT = dt.datetime(2026, 12, 7, 12, tzinfo=dt.UTC)


@settings(max_examples=300, deadline=None)
@given(offset=st.integers(min_value=-10 * 86_400_000_000, max_value=10 * 86_400_000_000))
def test_the_words_of_a_deadline_hold_until_the_moment_given_and_change_just_after(
        offset: int) -> None:
    """``deadline_text_until``: the words at the moment it gives are those of now, and a
    microsecond later they differ (minutes, hours, days; before the deadline and after)."""
    due = MOMENT + dt.timedelta(microseconds=offset)
    until = deadline_text_until(due, MOMENT)
    assert until >= MOMENT
    words = deadline_text(due, MOMENT)
    assert deadline_text(due, until) == words
    assert deadline_text(due, until + dt.timedelta(microseconds=1)) != words
    middle = MOMENT + (until - MOMENT) / 2
    assert deadline_text(due, middle) == words


def test_a_card_made_under_an_unsettled_version_is_neither_kept_nor_found(
        tree: Any, users: Any, monkeypatch: Any) -> None:
    """While a transaction that marked a change runs (PostgreSQL, ``caching.settled``), the
    home's cards are made afresh on every visit and not kept."""
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from ctip.home import worklist

    officer = users["commune_officer"]
    real = caching.data_version_at

    def reads(version_of: Any) -> str:
        with CaptureQueriesContext(connection) as queries:
            worklist.kept_duties(officer, timezone.now(), version_of)
            worklist.activity_cards(officer, timezone.localdate(), version_of)
        return " ".join(q["sql"] for q in queries.captured_queries)

    def unsettled(path: str) -> str:
        return real(path) + caching.UNSETTLED + "t0ken"

    assert not caching.settled(unsettled(tree.commune_a.path))
    for _ in range(2):  # made, and made again
        read = reads(unsettled)
        assert '"cases_situation"' in read and '"outreach_activity"' in read
    reads(real)  # settled: made and kept
    read = reads(real)
    assert '"cases_situation"' not in read and '"outreach_activity"' not in read


SCRIPT = TREE + r'''
import psycopg

from ctip.cases.actions import create_situation
from ctip.reports import caching
from ctip.reports.models import ChangeMark

first, second = [create_situation(actor=None, unit=commune, category="recruitment",
                                  source="officer", description=f"Tin số {n}.")
                 for n in (1, 2)]
assert caching.settled(caching.data_version_at(commune.path))
url = connection.settings_dict
other = psycopg.connect(dbname=url["NAME"], user=url["USER"], host=url["HOST"] or "127.0.0.1",
                        port=url["PORT"] or 5432)
# a long transaction (an import, a script) writes first and is still running
other.execute("UPDATE cases_situation SET state = 'closed' WHERE id = %s", [first.pk])
(earlier,) = other.execute("SELECT MAX(id) FROM reports_changemark").fetchone()
# a short one writes after it and commits first
with connection.cursor() as cursor:
    cursor.execute("UPDATE cases_situation SET urgency = 'urgent' WHERE id = %s", [second.pk])
later = ChangeMark.objects.order_by("-pk").values_list("pk", flat=True)[0]
assert earlier < later, (earlier, later)  # numbered before, committed after
while_running = caching.data_version_at(commune.path)
print("while running:", while_running)
assert not caching.settled(while_running)
other.commit()
other.close()
after = caching.data_version_at(commune.path)
print("after:", after)
assert caching.settled(after)
# the same lock held in another database of the server: another system, not a writer here
from ctip.reports.marks import WRITING_LOCK
elsewhere = psycopg.connect(dbname="postgres", user=url["USER"],
                            host=url["HOST"] or "127.0.0.1", port=url["PORT"] or 5432)
elsewhere.execute("SELECT pg_advisory_xact_lock_shared(%s, %s)", list(WRITING_LOCK))
assert caching.settled(caching.data_version_at(commune.path))
elsewhere.rollback()
elsewhere.close()
print("settled only after the earlier mark was committed")
'''  # noqa: S608  (a script, not a query)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")
def test_a_version_is_not_settled_while_an_earlier_mark_is_not_committed(
        db: Any, tmp_path: Any, install_migrated: Any) -> None:
    """PostgreSQL numbers a mark when it is written, not when it is committed: a transaction
    that marked a change and still runs may commit after a later mark was read, which would
    not move the newest mark. Its version says so until it ends (on its own database: the test
    database wraps each test in a transaction that never commits)."""
    out = run_on_own_database("ctip_change_marks_order", SCRIPT, tmp_path, install_migrated)
    assert "settled only after the earlier mark was committed" in out, out


def test_rows_written_while_the_triggers_were_off_move_every_version(tree: Any,
                                                                     users: Any) -> None:
    """A bulk load (``rollups.paused``) or a migration writes with the triggers off: nothing
    marks its rows, so when the triggers are back every unit's version moves (a mark of every
    unit's), and a card kept before is made again."""
    situation = actions.create_situation(actor=users["commune_officer"], unit=tree.commune_a,
                                         category="recruitment", source="officer",
                                         description="Tin tuyển dụng lạ.")
    paths = [tree.commune_a.path, tree.branch_a1.path, tree.other_commune.path]
    before = {path: caching.data_version_at(path) for path in paths}
    newest = _newest()
    with rollups.paused():
        _sql("UPDATE cases_situation SET state = 'closed' WHERE id = %s", [situation.pk])
    after = {path: caching.data_version_at(path) for path in paths}
    assert all(after[path] != before[path] for path in paths), (before, after)
    assert ("", True) in _since(newest)
