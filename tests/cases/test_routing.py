"""A situation goes to someone who can act (issue 15.3): reported where nobody holds
``situation.manage``, it is handled by the nearest unit above where somebody does, under
"New" with its deadline, and its reporter follows its state without the handlers' work."""

from __future__ import annotations

import re
from typing import Any

from django.urls import reverse
from django.utils import timezone

from ctip.accounts.actions import revoke_role
from ctip.accounts.models import RoleAssignment
from ctip.cases import actions
from ctip.cases.models import Agency, Situation
from ctip.cases.routing import handler_unit
from ctip.cases.selectors import inbox_for
from tests.conftest import make_user


def _report(tree: Any, users: Any, unit: Any = None, **kw: Any) -> Situation:
    values = {"actor": users["branch_head"], "unit": unit or tree.branch_a1,
              "category": "suspected_trafficking", "urgency": "high", "source": "member",
              "description": "Có người mời chị em sang Campuchia làm việc nhẹ lương cao."}
    return actions.create_situation(**(values | kw))


def test_high_urgency_at_a_branch_lands_under_new_at_the_commune(tree: Any,
                                                                  users: Any) -> None:
    situation = _report(tree, users)
    assert situation.handling_unit == tree.commune_a
    assert situation.due_at is not None and situation.deadline_us
    box = inbox_for(tree.commune_a)
    assert situation in box.new or situation in box.due_soon
    assert situation not in inbox_for(tree.branch_a1).new


def test_the_walk_skips_levels_without_a_handler(tree: Any, users: Any) -> None:
    # commune B has nobody: its branch's situations go to the province
    head_b = make_user("chihoib", "branch_head", tree.branch_b1)
    situation = _report(tree, users, unit=tree.branch_b1, actor=head_b)
    assert situation.handling_unit == tree.province
    # a commune officer in commune B: from now on, the commune
    make_user("xab", "commune_officer", tree.commune_b)
    assert handler_unit(tree.branch_b1) == tree.commune_b
    # a unit with its own handler keeps its situations
    assert handler_unit(tree.commune_a) == tree.commune_a
    # nobody on the way up (the central level has no user here): the unit is kept
    assert handler_unit(tree.central) == tree.central


def test_revoked_roles_and_inactive_users_do_not_count(tree: Any, users: Any) -> None:
    officer = users["commune_officer"]
    grant = RoleAssignment.objects.get(user=officer, unit=tree.commune_a)
    revoke_role(actor=None, assignment=grant)
    assert handler_unit(tree.branch_a1) == tree.province
    officer2 = make_user("xa2", "commune_officer", tree.commune_a)
    assert handler_unit(tree.branch_a1) == tree.commune_a
    officer2.is_active = False
    officer2.save(update_fields=["is_active"])
    assert handler_unit(tree.branch_a1) == tree.province


def test_escalation_goes_to_the_nearest_level_above_with_a_handler(tree: Any,
                                                                    users: Any) -> None:
    # a commune officer sitting at a branch (unusual, but possible) escalates: the commune
    # level above has nobody for commune B, so the province receives it
    make_user("xab", "commune_officer", tree.branch_b1)
    situation = actions.create_situation(
        actor=None, unit=tree.branch_b1, category="recruitment", source="hotline",
        description="Tin nhắn tuyển dụng lạ.")
    assert situation.handling_unit == tree.branch_b1
    actions.escalate(actor=users["province_officer"], situation=situation)
    situation.refresh_from_db()
    assert situation.handling_unit == tree.province


def test_the_reporter_follows_the_state_not_the_handlers_work(
        tree: Any, users: Any, client_for: Any) -> None:
    situation = _report(tree, users)
    officer = users["commune_officer"]
    actions.add_note(actor=officer, situation=situation, note="GHI-CHU-NOI-BO của cán bộ xã")
    police = Agency.objects.get(code="cong-an-xa")
    actions.refer(actor=officer, situation=situation, agency=police,
                  referred_on=timezone.localdate(), contact="LIEN-HE-CONG-AN")
    head = client_for(users["branch_head"])
    page = head.get(reverse("cases:situation_detail", args=[situation.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert tree.commune_a.name in html  # who handles it
    assert 'class="badge state-referred"' in html  # its state
    assert "GHI-CHU-NOI-BO" not in html and "LIEN-HE-CONG-AN" not in html
    assert 'id="follow"' in html
    # the handler sees all of it
    html = client_for(officer).get(
        reverse("cases:situation_detail", args=[situation.pk])).content.decode()
    assert "GHI-CHU-NOI-BO" in html and "LIEN-HE-CONG-AN" in html
    assert not re.search(r'id="follow"', html)
    # and the reporter cannot act on it
    assert head.post(reverse("cases:situation_note", args=[situation.pk]),
                     {"note-note": "x"}).status_code == 404


def test_the_report_form_tells_where_it_went(tree: Any, users: Any, client_for: Any) -> None:
    head = client_for(users["branch_head"])
    response = head.post(reverse("cases:situation_create"), {
        "category": "recruitment", "urgency": "high", "unit": tree.branch_a1.pk,
        "description": "Có người lạ mời chị em đi làm ở nước ngoài.", "source": "member"},
        follow=True)
    assert response.status_code == 200
    assert tree.commune_a.name in response.content.decode()
