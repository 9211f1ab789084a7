"""The case manager's duties on the staff home kept under the data version of her units
(decision 0095), as the situations and reports are (decision 0094): the follow-ups due, the
open cases left without a worker, the anonymisations to decide and the break-glass flags to
review. Every write of a row they are made of is on the next visit, whatever made it (an
action, a queryset ``update()``, SQL); a visit after no write reads none of their tables; a
write in another commune keeps hers; and every table a kept duty reads, for every role, is one
whose writes a trigger marks."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ctip.accounts.capabilities import ROLE_CAPABILITIES, Role
from ctip.accounts.policy import grants_of
from ctip.cases import actions
from ctip.cases.models import AnonymisationRequest, BreakGlass, FollowUp, Situation
from ctip.home import worklist
from ctip.reports import actions as report_actions
from ctip.reports import marks, periods
from ctip.reports.models import ReportType
from tests.cases.case_helpers import open_case
from tests.conftest import at, make_user
from tests.home.test_home import page, section

NOON = dt.time(12)
CASE_TABLES = ('"cases_followup"', '"cases_supportcase"', '"cases_supportcase_workers"',
               '"cases_anonymisationrequest"', '"cases_breakglass"')


def _noon() -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(timezone.localdate(), NOON))


def _sql(statement: str, params: list[Any]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def _tasks(html: str) -> str:
    """The "Waiting for you" card (cases without a worker, anonymisations, flags)."""
    found = re.search(r'<section aria-labelledby="case-tasks"[^>]*>(.*?)</section>', html, re.S)
    return found.group(1) if found else ""


def _count(tasks: str, listing: str) -> int:
    """The number the card's link to ``listing`` shows (0 without the link)."""
    found = re.search(rf'href="{reverse(listing)}">(\d+) ', tasks)
    return int(found.group(1)) if found else 0


def _flag(case: Any, by: Any, actor_path: str) -> BreakGlass:
    return BreakGlass.objects.create(person=case.person, case=case, user=by, kind="identity",
                                     category="safety", reason="Cần liên hệ gấp để bảo vệ.",
                                     unit_path=case.unit_path, actor_path=actor_path)


def test_every_write_of_her_duties_is_on_the_next_visit_whatever_made_it(
        tree: Any, users: Any, client_for: Any) -> None:
    worker = users["case_worker"]
    with at(_noon()):
        case = open_case(tree.commune_a, worker, full_name="Lê Thị Hồng")
        client = client_for(worker)
        assert case.code not in section(page(client), "follow-ups")
        # an action: a follow-up due in two days
        follow_up = actions.add_follow_up(actor=worker, case=case,
                                          due_on=timezone.localdate() + dt.timedelta(days=2),
                                          what="Gọi điện hỏi thăm")
        assert case.code in section(page(client), "follow-ups")
        # SQL, no model and no audit event: done, it leaves her list
        _sql("UPDATE cases_followup SET done_on = %s WHERE id = %s",
             [timezone.localdate(), follow_up.pk])
        assert case.code not in section(page(client), "follow-ups")
        # a queryset update, as a script would: not done after all
        FollowUp.objects.filter(pk=follow_up.pk).update(done_on=None)
        assert case.code in section(page(client), "follow-ups")
        # the case closed with SQL: its follow-up is no duty any more
        _sql("UPDATE cases_supportcase SET closed_on = %s WHERE id = %s",
             [timezone.localdate(), case.pk])
        assert case.code not in section(page(client), "follow-ups")
        _sql("UPDATE cases_supportcase SET closed_on = NULL WHERE id = %s", [case.pk])
        assert case.code in section(page(client), "follow-ups")
        # its worker taken off with SQL: an open case without a worker, for her to assign
        assert case.code not in _tasks(page(client))
        _sql("DELETE FROM cases_supportcase_workers WHERE supportcase_id = %s", [case.pk])
        html = _tasks(page(client))
        assert case.code in html and tree.commune_a.name in html, html


def test_anonymisations_and_flags_are_on_the_next_visit_whatever_made_them(
        tree: Any, users: Any, client_for: Any) -> None:
    supervisor = users["case_worker"]
    colleague = make_user("hotro.hai", Role.CASE_WORKER, tree.commune_a)
    with at(_noon()):
        case = open_case(tree.commune_a, colleague, full_name="Trần Thị Thu")
        client = client_for(supervisor)
        assert _tasks(page(client)) == ""
        # an action of her colleague: an anonymisation for her to approve or reject
        request = actions.request_anonymisation(actor=colleague, person=case.person,
                                                reason="Chị ấy yêu cầu xoá thông tin.")
        assert _count(_tasks(page(client)), "cases:anonymisation_list") == 1
        # rejected with SQL: gone
        _sql("UPDATE cases_anonymisationrequest SET state = %s WHERE id = %s",
             [AnonymisationRequest.State.REJECTED, request.pk])
        assert _tasks(page(client)) == ""
        # a flag opened below her (a row written by the model, no action)
        flag = _flag(case, colleague, tree.branch_a1.path)
        assert _count(_tasks(page(client)), "cases:breakglass_list") == 1
        # reviewed by a queryset update: gone
        BreakGlass.objects.filter(pk=flag.pk).update(reviewed_at=timezone.now(),
                                                     reviewed_by=supervisor)
        assert _tasks(page(client)) == ""


def test_a_visit_after_no_write_reads_no_case_table(tree: Any, users: Any,
                                                    client_for: Any) -> None:
    worker = users["case_worker"]
    with at(_noon()):
        case = open_case(tree.commune_a, worker, full_name="Lê Thị Hồng")
        actions.add_follow_up(actor=worker, case=case,
                              due_on=timezone.localdate() + dt.timedelta(days=1),
                              what="Thăm nhà")
        client = client_for(worker)
        page(client)
        with CaptureQueriesContext(connection) as queries:
            html = page(client)
        read = " ".join(q["sql"] for q in queries.captured_queries)
        assert not [t for t in CASE_TABLES if t in read], read
        assert "reports_changemark" in read  # the version was asked
        assert case.code in section(html, "follow-ups")


def test_a_write_in_another_commune_keeps_her_duties(tree: Any, users: Any,
                                                     client_for: Any) -> None:
    worker = users["case_worker"]
    elsewhere = make_user("hotro.phuong", Role.CASE_WORKER, tree.commune_b)
    with at(_noon()):
        client = client_for(worker)
        page(client)
        case = open_case(tree.commune_b, elsewhere, full_name="Đỗ Thị Mai")
        actions.add_follow_up(actor=elsewhere, case=case,
                              due_on=timezone.localdate() + dt.timedelta(days=1),
                              what="Thăm nhà")
        with CaptureQueriesContext(connection) as queries:
            assert case.code not in page(client)
        read = " ".join(q["sql"] for q in queries.captured_queries)
        assert not [t for t in CASE_TABLES if t in read], read
        # and made again for a case of her commune
        mine = open_case(tree.commune_a, worker, full_name="Lê Thị Hồng")
        actions.add_follow_up(actor=worker, case=mine,
                              due_on=timezone.localdate() + dt.timedelta(days=1),
                              what="Thăm nhà")
        assert mine.code in section(page(client), "follow-ups")


def _tables(sql: str) -> set[str]:
    return set(re.findall(r'(?:FROM|JOIN)\s+"?(\w+)"?', sql))


@pytest.mark.parametrize("role", [r for r in Role if set(ROLE_CAPABILITIES[r])
                                  & set(worklist._KEPT_DUTIES)])  # noqa: SLF001
def test_every_table_a_kept_duty_reads_is_one_whose_writes_are_marked(
        role: Role, tree: Any, users: Any) -> None:
    """A duty kept under the marks must be made of marked rows only: with something on every
    card (a late situation, a report owed and one to review, a follow-up due, a case without
    a worker, an anonymisation and a flag waiting), the cards of each role with a kept duty,
    made afresh, read no table outside ``marks.CHANGES``. A new duty reading another table
    fails here until its table is marked (or the duty is read on every visit instead)."""
    worker = users["case_worker"]
    colleague = make_user("hotro.hai", Role.CASE_WORKER, tree.commune_a)
    viewer = make_user("vaitro", role, tree.commune_a if role != Role.SYSTEM_ADMIN
                       else tree.province)
    noon = _noon()
    with at(noon):
        situation = actions.create_situation(actor=users["commune_officer"],
                                             unit=tree.branch_a1, category="recruitment",
                                             source="officer", description="Tin lạ.")
        Situation.objects.filter(pk=situation.pk).update(due_at=noon - dt.timedelta(hours=3))
        monthly = ReportType.objects.get(code="monthly")
        start, end = periods.last_closed_period("monthly", timezone.localdate())
        earlier_start, earlier_end = periods.period_bounds("monthly", start.year - 1, 6)
        report_actions.create_or_get_draft(actor=None, unit=tree.commune_a,
                                           report_type=monthly, start=earlier_start,
                                           end=earlier_end)
        submitted = report_actions.create_or_get_draft(actor=None, unit=tree.branch_a1,
                                                       report_type=monthly, start=start,
                                                       end=end)
        report_actions.submit(actor=None, report=submitted)
        case = open_case(tree.commune_a, colleague, full_name="Trần Thị Thu")
        actions.add_follow_up(actor=colleague, case=case,
                              due_on=timezone.localdate() + dt.timedelta(days=1), what="Gọi")
        alone = open_case(tree.commune_a, worker, full_name="Lê Thị Hồng")
        alone.workers.clear()
        actions.request_anonymisation(actor=colleague, person=case.person,
                                      reason="Chị ấy yêu cầu xoá thông tin.")
        _flag(case, colleague, tree.branch_a1.path)
        grants_of(viewer)  # her roles: in the key, not among the rows
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            duties = worklist.kept_duties(viewer, noon, version_of=lambda path: "v")
        read = set().union(*(_tables(q["sql"]) for q in queries.captured_queries))
        assert read, duties  # she has a kept duty: something was read
        assert read <= set(marks.CHANGES), sorted(read - set(marks.CHANGES))


def test_a_write_that_changes_anyones_duties_moves_her_version(tree: Any, users: Any) -> None:
    """The marks land where the viewers are: for viewers at the commune, above it and
    elsewhere (case workers, a security officer, the officers), each of a series of writes made
    by SQL (no action, no audit event) that changes the duties she would be shown, made afresh,
    also moves the data version of one of her units. A mark at the wrong path (a flag marked
    where its person is instead of where its opener acts, a follow-up at no path) fails."""
    import secrets

    from ctip.core.templatetags.shell import thaw
    from ctip.reports import caching

    worker = users["case_worker"]
    colleague = make_user("hotro.hai", Role.CASE_WORKER, tree.commune_a)
    viewers = [worker, colleague, users["commune_officer"], users["province_officer"],
               make_user("hotro.tinh", Role.CASE_WORKER, tree.province),
               make_user("anninh", Role.SECURITY_OFFICER, tree.province),
               make_user("hotro.khac", Role.CASE_WORKER, tree.commune_b)]
    today = timezone.localdate()
    with at(_noon()):
        case = open_case(tree.commune_a, colleague, full_name="Trần Thị Thu")
        follow_up = actions.add_follow_up(actor=colleague, case=case,
                                          due_on=today + dt.timedelta(days=2), what="Gọi")
        alone = open_case(tree.commune_a, worker, full_name="Lê Thị Hồng")
        request = actions.request_anonymisation(actor=colleague, person=case.person,
                                                reason="Chị ấy yêu cầu xoá thông tin.")
        # a flag on a person of another commune, opened by someone acting in this one: her
        # reviewers are above where she acts, not where the person is
        elsewhere = open_case(tree.commune_b, None, full_name="Đỗ Thị Mai")
        flag = _flag(elsewhere, colleague, tree.branch_a1.path)
        writes = [
            ("UPDATE cases_supportcase_workers SET user_id = %s WHERE supportcase_id = %s",
             [colleague.pk, alone.pk]),
            ("DELETE FROM cases_supportcase_workers WHERE supportcase_id = %s", [alone.pk]),
            ("UPDATE cases_supportcase SET code = %s WHERE id = %s", ["HT-MOI-1", alone.pk]),
            ("UPDATE cases_followup SET due_on = %s WHERE id = %s",
             [today + dt.timedelta(days=30), follow_up.pk]),
            ("UPDATE cases_followup SET due_on = %s WHERE id = %s",
             [today + dt.timedelta(days=1), follow_up.pk]),
            ("UPDATE cases_breakglass SET actor_path = %s WHERE id = %s",
             [tree.commune_a.path, flag.pk]),
            ("UPDATE cases_breakglass SET reviewed_at = %s WHERE id = %s",
             [timezone.now(), flag.pk]),
            ("UPDATE cases_anonymisationrequest SET state = 'rejected' WHERE id = %s",
             [request.pk]),
            ("UPDATE org_unit SET name = %s WHERE id = %s", ["Xã Tên Mới", tree.commune_a.pk]),
            ("UPDATE cases_supportcase SET unit_id = %s, unit_path = %s WHERE id = %s",
             [tree.commune_b.pk, tree.commune_b.path, alone.pk]),
            ("DELETE FROM cases_followup WHERE id = %s", [follow_up.pk]),
        ]

        def duties(viewer: Any) -> Any:
            cache.clear()
            return thaw(worklist.kept_duties(viewer, _noon(),
                                             version_of=lambda _p: secrets.token_hex(8)))

        def versions(viewer: Any) -> list[str]:
            return [caching.data_version_at(g.unit_path) for g in grants_of(viewer)]

        changed = 0
        for statement, params in writes:
            before = [(duties(v), versions(v)) for v in viewers]
            _sql(statement, params)
            for viewer, (shown, version) in zip(viewers, before, strict=True):
                if duties(viewer) != shown:
                    changed += 1
                    assert versions(viewer) != version, (statement, viewer.username)
        assert changed >= len(writes)  # every write changed someone's duties
