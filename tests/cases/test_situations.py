from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.utils import timezone

from ctip.accounts.policy import NotInScope
from ctip.audit.models import AuditEvent
from ctip.cases import actions
from ctip.cases.models import Agency, Situation
from ctip.cases.selectors import inbox_for
from ctip.core.errors import ActionError


@pytest.fixture
def situation(tree: Any, users: Any) -> Situation:
    return actions.create_situation(
        actor=users["branch_head"], unit=tree.branch_a1, category="suspected_trafficking",
        urgency="urgent", source="member",
        description="Một phụ nữ trong ấp nhận lời mời việc nhẹ lương cao sang Campuchia.")


def test_a_situation_reported_where_nobody_handles_goes_to_the_commune(
        situation: Situation, tree: Any) -> None:
    # nobody at the branch holds situation.manage: the commune officer does, one level up
    assert situation.unit == tree.branch_a1
    assert situation.handling_unit == tree.commune_a
    assert situation.handling_path == tree.commune_a.path
    assert situation.code.startswith("TN-")
    hours = (situation.due_at - situation.created_at).total_seconds() / 3600
    assert 11.9 < hours < 12.1  # suspected trafficking, urgent: 12 hours
    event = situation.events.get()
    assert event.kind == "received" and event.to_unit == tree.commune_a
    audit = AuditEvent.objects.get(action="situation.received")
    assert audit.unit_path == tree.branch_a1.path and audit.changes["handled_by"]


def test_escalation_moves_it_to_the_inbox_above(situation: Situation, tree: Any,
                                                users: Any) -> None:
    # the branch head can report but not handle; the commune officer handles
    with pytest.raises(NotInScope):
        actions.escalate(actor=users["branch_head"], situation=situation)
    assert situation in inbox_for(tree.commune_a).due_soon  # urgent: 12 hours
    actions.escalate(actor=users["commune_officer"], situation=situation,
                     note="Chuyển Hội tỉnh xử lý")
    situation.refresh_from_db()
    assert situation.handling_unit == tree.province
    assert situation in inbox_for(tree.province).due_soon
    assert situation not in inbox_for(tree.commune_a).due_soon
    assert [e.kind for e in situation.events.all()] == ["received", "escalated"]
    assert AuditEvent.objects.filter(action="situation.escalated").count() == 1


def test_overdue_shows_in_the_unit_and_its_parent(situation: Situation, tree: Any) -> None:
    later = timezone.now() + dt.timedelta(hours=13)
    assert situation in inbox_for(tree.commune_a, now=later).overdue
    assert situation in inbox_for(tree.province, now=later).overdue_below
    soon = timezone.now() + dt.timedelta(hours=1)
    assert situation in inbox_for(tree.commune_a, now=soon).due_soon


def test_escalating_a_person_needs_consent_to_share(tree: Any, users: Any) -> None:
    person = actions.create_person(actor=users["case_worker"], unit=tree.commune_a,
                                   full_name="Đinh Thị Hoa", birth_year=2004)
    situation = actions.create_situation(
        actor=users["commune_officer"], unit=tree.commune_a, category="returned",
        source="officer", description="Trở về từ nước ngoài", persons=[person])
    with pytest.raises(ActionError) as err:
        actions.escalate(actor=users["commune_officer"], situation=situation)
    assert person.code in err.value.message
    actions.record_consent(actor=users["case_worker"], person=person, purpose="share_above",
                           given_on=dt.date(2026, 6, 1), given_by="person")
    actions.escalate(actor=users["commune_officer"], situation=situation)


def test_refer_answer_and_close(situation: Situation, users: Any) -> None:
    police = Agency.objects.get(code="cong-an-xa")
    actions.escalate(actor=users["commune_officer"], situation=situation)
    officer = users["province_officer"]  # the province handles it now
    referral = actions.refer(actor=officer, situation=situation, agency=police,
                             referred_on=timezone.localdate(), contact="Trung úy Nguyễn Văn A")
    situation.refresh_from_db()
    assert situation.state == "referred" and situation.due_at is None
    actions.record_answer(actor=officer, referral=referral, answer="Đã xác minh, ngăn chặn",
                          answered_on=timezone.localdate())
    actions.close_situation(actor=officer, situation=situation, outcome="Đã ngăn chặn kịp thời")
    situation.refresh_from_db()
    assert situation.state == "closed"
    assert [e.kind for e in situation.events.all()] == [
        "received", "escalated", "referred", "answered", "closed"]
    with pytest.raises(ActionError):
        actions.add_note(actor=officer, situation=situation, note="x") if False else \
            actions.escalate(actor=officer, situation=situation)


@pytest.mark.parametrize("bad", [{"occurred_on": dt.date(2999, 1, 1)}, {"category": "xyz"},
                                 {"description": "  "}])
def test_bad_input_is_refused(tree: Any, users: Any, bad: dict[str, Any]) -> None:
    values = {"category": "missing", "description": "Mất liên lạc", "source": "hotline"} | bad
    with pytest.raises(ActionError):
        actions.create_situation(actor=users["commune_officer"], unit=tree.commune_a, **values)
    assert not Situation.objects.exists()


def test_narrative_is_encrypted_at_rest(situation: Situation) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT description FROM cases_situation")
        raw = cursor.fetchone()[0]
    assert "Campuchia" not in raw


def _plan(queryset: Any) -> str:
    """The query plan of ``queryset`` as the database would run it on a large table: on
    PostgreSQL with sequential scans, bitmap scans and sorts priced out (a test's table is
    small enough to read whole and sort), on SQLite as ``EXPLAIN QUERY PLAN`` gives it."""
    from django.db import connection, transaction

    sql, params = queryset.query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for kind in ("seqscan", "bitmapscan", "sort"):
                cursor.execute(f"SET LOCAL enable_{kind} = off")
            cursor.execute(f"EXPLAIN {sql}", params)
            return "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return "\n".join(str(row[-1]) for row in cursor.fetchall())


def test_each_inbox_section_is_read_in_its_order_from_the_unit_s_open_situations(
        tree: Any, users: Any) -> None:
    """A section's page is picked by walking the handling unit's open situations in the
    inbox's order and stopping at the page's end: never a sort of all of them, never a walk
    of every unit's situations by deadline keeping the unit's (a province's inbox read
    50,000 situations for 20 rows on PostgreSQL; decision 0065)."""
    from ctip.cases.selectors import inbox_keys, inbox_rows

    now = timezone.now()
    for i, (unit, urgency) in enumerate([(tree.branch_a1, "urgent"), (tree.branch_a2, "normal"),
                                         (tree.branch_b1, "high"), (tree.branch_a1, "high")]):
        made = actions.create_situation(actor=users["province_officer"], unit=unit,
                                        category="suspected_trafficking", urgency=urgency,
                                        source="member", description=f"Tình huống {i}")
        if i == 3:
            Situation.objects.filter(pk=made.pk).update(state=Situation.State.CLOSED)
    rows = inbox_rows(tree.commune_a, now)
    assert set(rows) == {"overdue", "due_soon", "new", "waiting"}
    assert sum(r.count() for r in rows.values()) == 2  # the closed one and commune B's: none
    from django.db import connection

    for key, situations in rows.items():
        plan = _plan(inbox_keys(situations)[:20])
        if connection.vendor == "postgresql":
            scan = plan.splitlines()[1]  # what the LIMIT reads
            assert "Index" in scan and "cases_sit_open_unit_due" in scan, (key, plan)
            assert "Sort" not in plan, (key, plan)
            assert re.search(r"Index Cond: \(+handling_unit_id =", plan), (key, plan)
        else:
            assert "INDEX cases_sit_open_unit_due (handling_unit_id=?" in plan, (key, plan)
            assert "TEMP B-TREE" not in plan, (key, plan)
