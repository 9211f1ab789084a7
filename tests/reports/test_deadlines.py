"""One definition of a situation's deadline (issue 11, point 4): fixed and stored when it is
received; the inbox, the digest and "escalated within the deadline" read the stored value, so
a situation shown late is counted late, and a rule changed later rewrites no past rate."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from ctip.cases import actions as cases
from ctip.cases import deadlines
from ctip.cases.digest import pending_situations
from ctip.cases.models import DeadlineRule, Situation, SituationEvent
from ctip.cases.selectors import inbox_for
from ctip.reports import indicators as ind
from ctip.reports.periods import Period

YEAR = Period.year(timezone.localdate().year)
CODE = "situations_escalated_on_time"


def _rule(hours: int) -> None:
    DeadlineRule.objects.update_or_create(category="missing", urgency="urgent",
                                          defaults={"hours": hours})


def _receive(unit: Any) -> Situation:
    return cases.create_situation(actor=None, unit=unit, category="missing", urgency="urgent",
                                  source="hotline", description="Mất liên lạc ba ngày.")


def _escalate_at(situation: Situation, moment: dt.datetime) -> None:
    cases.escalate(actor=None, situation=situation)
    SituationEvent.objects.filter(situation=situation, kind="escalated").update(at=moment)


def test_shown_five_hours_late_is_counted_late(tree: Any) -> None:
    _rule(24)
    situation = _receive(tree.branch_a1)
    assert situation.deadline_us == 24 * deadlines.HOUR_US
    assert situation.due_at == situation.created_at + dt.timedelta(hours=24)
    five_late = situation.due_at + dt.timedelta(hours=5)
    box = inbox_for(tree.branch_a1, now=five_late)
    assert situation in box.overdue
    assert [s.code for s in pending_situations(five_late)] == [situation.code]
    # the rule is relaxed afterwards: the inbox kept the deadline, and so does the indicator
    _rule(48)
    assert Situation.objects.get(pk=situation.pk).due_at == situation.due_at
    _escalate_at(situation, five_late)
    value = ind.compute(tree.province, YEAR, [CODE])[CODE]
    assert value == {"total": 0.0, "escalated": 1, "on_time": 0}


def test_a_rule_change_rewrites_no_past_rate(tree: Any) -> None:
    _rule(24)
    early, late = _receive(tree.commune_a), _receive(tree.commune_b)
    _escalate_at(early, early.created_at + dt.timedelta(hours=20))
    _escalate_at(late, late.created_at + dt.timedelta(hours=30))
    before = ind.compute(tree.province, YEAR, [CODE])[CODE]
    assert before == {"total": 50.0, "escalated": 2, "on_time": 1}
    for hours in (12, 72):
        _rule(hours)
        assert ind.compute(tree.province, YEAR, [CODE])[CODE] == before
    # a situation received under the new rule (72 hours) has it
    new = _receive(tree.commune_a)
    assert new.deadline_us == 72 * deadlines.HOUR_US
    _escalate_at(new, new.created_at + dt.timedelta(hours=30))
    after = ind.compute(tree.province, YEAR, [CODE])[CODE]
    assert after == {"total": 66.7, "escalated": 3, "on_time": 2}


def test_escalation_fixes_the_next_levels_deadline(tree: Any) -> None:
    _rule(24)
    situation = _receive(tree.branch_a1)
    first = situation.deadline_us
    _rule(6)
    cases.escalate(actor=None, situation=situation)
    situation.refresh_from_db()
    assert situation.deadline_us == first  # the receipt's deadline stays
    assert situation.due_at <= timezone.now() + dt.timedelta(hours=6)
    assert situation.due_at > timezone.now() + dt.timedelta(hours=5)
