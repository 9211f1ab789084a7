"""One submission that breaks several rules learns every one of them at once: the actions
collect their violations, the pages put each next to its field and in the summary at the top
(with a link to the field), with and without htmx, what was typed is kept, and the API lists
them all in its problem+json answer."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from ctip.accounts import actions as accounts
from ctip.cases import actions as cases
from ctip.cases.models import Agency, Situation
from ctip.community import actions as community
from ctip.community.models import ClubType
from ctip.core.errors import ActionError, RuleErrors, add_to_form
from ctip.org.models import UnitType
from ctip.outreach import actions as outreach
from ctip.outreach.models import Activity, Campaign, Commendation
from ctip.reports import actions as report_actions
from ctip.reports.models import ReportType
from ctip.units import actions as org
from tests.cases.case_helpers import open_case, register


def _future(days: int = 5) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=days)


def sibling_campaign(tree: Any) -> Campaign:
    """A running campaign of branch A2, which branch A1 does not take part in."""
    today = timezone.localdate()
    return outreach.create_campaign(actor=None, unit=tree.branch_a2, name="Tháng hành động",
                                    starts_on=today - dt.timedelta(days=30),
                                    ends_on=today + dt.timedelta(days=30))


# --- Every action with several independent rules ---------------------------------------------
# Each case returns a call that breaks three rules at once, and the three fields it must name
# (None: the submission as a whole).

Case = tuple[Callable[[], Any], list[str | None]]


def activity(tree: Any, users: Any, formats: Any) -> Case:
    campaign = sibling_campaign(tree)
    return (lambda: outreach.create_activity(
        actor=users["commune_officer"], unit=tree.branch_a1, date=_future(),
        format=formats["meeting"], title="Sinh hoạt", campaign=campaign,
        participants_total=100_000),
        ["date", "campaign", "participants_total"])


def situation(tree: Any, users: Any, formats: Any) -> Case:
    return (lambda: cases.create_situation(
        actor=users["commune_officer"], unit=tree.commune_a, category="không-có",
        description="   ", source="officer", occurred_on=_future()),
        ["category", "occurred_on", "description"])


def _situation_with_people(tree: Any, users: Any) -> Situation:
    people = [register(tree.commune_a, full_name=name) for name in ("Lò Thị Én", "Vàng Thị Dợ")]
    return cases.create_situation(actor=users["commune_officer"], unit=tree.commune_a,
                                  category="recruitment", description="Tin tuyển dụng lạ.",
                                  source="officer", persons=people)


def escalation(tree: Any, users: Any, formats: Any) -> Case:
    found = _situation_with_people(tree, users)
    # two people without consent to share above, and a note over its limit
    return (lambda: cases.escalate(actor=users["commune_officer"], situation=found,
                                   note="x" * 5001),
            [None, None, "note"])


def referral(tree: Any, users: Any, formats: Any) -> Case:
    found = _situation_with_people(tree, users)
    agency = Agency.objects.filter(archived=False).first()
    assert agency is not None
    agency.archived = True
    agency.save()
    return (lambda: cases.refer(actor=users["commune_officer"], situation=found, agency=agency,
                                referred_on=_future(), contact="x" * 201),
            ["agency", "referred_on", "contact"])


def support_case(tree: Any, users: Any, formats: Any) -> Case:
    person = register(tree.commune_a)  # no consent to support
    return (lambda: cases.open_case(actor=None, unit=tree.commune_a, person=person,
                                    kind="returned_victim", opened_on=_future(),
                                    needs="x" * 20_001),
            [None, "opened_on", "needs"])


def service(tree: Any, users: Any, formats: Any) -> Case:
    case = open_case(tree.commune_a, users["case_worker"])
    return (lambda: cases.add_service(actor=None, case=case, type="không-có", provider=" ",
                                      date=dt.date(2026, 2, 1), amount=-5),
            ["type", "amount", "provider"])


def trafficking(tree: Any, users: Any, formats: Any) -> Case:
    case = open_case(tree.commune_a, users["case_worker"])
    # exploited before being recruited, an industry without forced labour, a country that is
    # not one
    return (lambda: cases.record_trafficking_event(
        actor=None, case=case, recruited_on=dt.date(2026, 3, 1),
        exploitation_start=dt.date(2026, 2, 1), exploitation=["sexual"],
        labour_industry="A_fishing", exploitation_country="ZZ"),
        ["exploitation_start", "labour_industry", "exploitation_country"])


def person(tree: Any, users: Any, formats: Any) -> Case:
    return (lambda: cases.create_person(actor=None, unit=tree.commune_a, full_name=" ",
                                        birth_year=1800, id_number="07a"),
            ["full_name", "birth_year", "id_number"])


def campaign(tree: Any, users: Any, formats: Any) -> Case:
    return (lambda: outreach.create_campaign(
        actor=users["commune_officer"], unit=tree.commune_a, name=" ",
        starts_on=dt.date(2026, 9, 1), ends_on=dt.date(2026, 8, 1), description="x" * 5001),
        ["name", "ends_on", "description"])


def commendation(tree: Any, users: Any, formats: Any) -> Case:
    return (lambda: outreach.create_commendation(
        actor=users["commune_officer"], unit=tree.commune_a,
        recipient_kind=Commendation.RecipientKind.PERSON, reason=" ", level="commune",
        decided_on=_future()),
        ["person_name", "decided_on", "reason"])


def periodic_report(tree: Any, users: Any, formats: Any) -> Case:
    monthly = ReportType.objects.get(code="monthly")
    wrong = sibling_campaign(tree)
    # the top of the tree reports to nobody, a monthly report names no campaign, and its
    # period ends before it starts
    return (lambda: report_actions.create_or_get_draft(
        actor=None, unit=tree.central, report_type=monthly, start=dt.date(2026, 8, 31),
        end=dt.date(2026, 8, 1), campaign=wrong),
        ["campaign", "period", "unit"])


def unit(tree: Any, users: Any, formats: Any) -> Case:
    tree.branch_b1.closed_on = dt.date(2026, 1, 1)
    tree.branch_b1.save()
    return (lambda: org.create_unit(actor=None, parent=tree.branch_b1, name="  ",
                                    unit_type=UnitType.objects.get(code="group"),
                                    gso_code="12ab"),
            ["parent", "name", "gso_code"])


def user(tree: Any, users: Any, formats: Any) -> Case:
    return (lambda: accounts.create_user(actor=None, username="Chị Lan!", full_name="Lan",
                                         home_unit=tree.commune_a, role="không-có",
                                         password="1"),
            ["role", "username", "password"])


def club(tree: Any, users: Any, formats: Any) -> Case:
    return (lambda: community.create_club(
        actor=None, unit=tree.commune_a, name=" ",
        club_type=ClubType.objects.get(code="anti-trafficking"), founded_on=_future(),
        member_count=-3),
        ["name", "founded_on", "member_count"])


def exchange(tree: Any, users: Any, formats: Any) -> Case:
    # commune A is not a border area
    return (lambda: community.create_exchange(actor=None, unit=tree.commune_a,
                                              date=dt.date(2026, 7, 1), counterpart_area=" ",
                                              participants=-1),
            ["unit", "counterpart_area", "participants"])


ACTIONS = [activity, situation, escalation, referral, support_case, service, trafficking, person,
           campaign, commendation, periodic_report, unit, user, club, exchange]


@pytest.mark.parametrize("build", ACTIONS, ids=[f.__name__ for f in ACTIONS])
def test_an_action_reports_every_rule_it_refuses_at_once(build: Any, tree: Any, users: Any,
                                                         formats: Any) -> None:
    call, fields = build(tree, users, formats)
    with pytest.raises(ActionError) as refused:
        call()
    found = refused.value.errors
    assert sorted(f or "" for f, _ in found) == sorted(f or "" for f in fields), found
    messages = [str(m) for _, m in found]
    assert len(set(messages)) == len(messages) and all(m.strip() for m in messages)
    # the single line the simple callers show holds all of them
    assert all(m in str(refused.value) for m in messages)


def test_rule_errors_collect_and_name_the_field() -> None:
    errors = RuleErrors()
    assert errors.check(True, "ok") and not errors
    errors.check(False, "Ngày sai.", field="date")
    with errors.collect(field="file"):
        raise ActionError("Tệp rỗng.")
    with errors.collect(field="file"):
        raise ActionError("Tên quá dài.", field="name")
    with pytest.raises(ActionError) as refused:
        errors.raise_if_any()
    assert refused.value.errors == [("date", "Ngày sai."), ("file", "Tệp rỗng."),
                                    ("name", "Tên quá dài.")]
    assert refused.value.field == "date"
    RuleErrors().raise_if_any()  # nothing to say, nothing raised


def test_add_to_form_puts_each_problem_next_to_its_field() -> None:
    from django import forms

    class Form(forms.Form):
        date = forms.CharField()
        contact = forms.CharField()

    form = Form({"date": "x", "contact": "y"})
    assert form.is_valid()
    add_to_form(form, ActionError(errors=[("date", "A."), ("reporter_contact", "B."),
                                          ("elsewhere", "C."), (None, "D.")]),
                rename={"reporter_contact": "contact"})
    assert form.errors["date"] == ["A."] and form.errors["contact"] == ["B."]
    assert form.non_field_errors() == ["C.", "D."]


# --- The pages: all at once, in the summary, with what was typed ------------------------------

def summary(html: str) -> str:
    match = re.search(r'<div class="form-error error-summary"[^>]*data-error-summary[^>]*>'
                      r"(.*?)</div>", html, re.S)
    assert match, "no error summary"
    return match.group(1)


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_the_activity_form_shows_three_refusals_in_one_answer(
        htmx: bool, tree: Any, users: Any, formats: Any, client_for: Any) -> None:
    campaign = sibling_campaign(tree)
    client = client_for(users["commune_officer"])
    future = _future()
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = client.post(reverse("outreach:activity_create"), {
        "date": future.isoformat(), "status": "done", "unit": tree.branch_a1.pk,
        "format": formats["meeting"].pk, "campaign": campaign.pk,
        "title": "Sinh hoạt ấp Mỹ Lộc", "participants_women": "", "participants_men": "",
        "participants_total": "100000", "notes": "Mời công an xã"}, **headers)
    assert response.status_code in (200, 400, 422)
    html = response.content.decode()
    box = summary(html)
    links = set(re.findall(r'<a href="#(id_[a-z_]+)"', box))
    assert {"id_date", "id_campaign", "id_participants_total"} <= links
    assert future.strftime("%d/%m/%Y") in box  # the future date
    assert "100000" in box  # the crowd
    assert campaign.name in box  # the campaign it does not take part in
    # the summary comes before the form's fields
    assert html.index("data-error-summary") < html.index('name="title"')
    # what was typed is kept
    assert "Sinh hoạt ấp Mỹ Lộc" in html and "Mời công an xã" in html
    assert not Activity.objects.exists()


def test_the_unit_form_shows_every_refusal(tree: Any, users: Any, client_for: Any) -> None:
    org.create_unit(actor=None, parent=tree.commune_a, name="Chi hội ấp Bến Cỏ",
                    unit_type=UnitType.objects.get(code="branch"), gso_code="27944")
    client = client_for(users["province_officer"])
    url = reverse("org:unit_create", args=[tree.commune_a.pk])
    response = client.post(url, {
        "name": "Chi hội ấp Bàu Sen",
        "unit_type": UnitType.objects.get(code="branch").pk, "gso_code": "27944",
        "village": "Ấp Bàu Sen"})
    html = response.content.decode()
    box = summary(html)
    assert 'href="#id_gso_code"' in box and "Chi hội ấp Bến Cỏ" in box
    assert "Chi hội ấp Bàu Sen" in html  # kept


def test_the_summary_counts_every_message(tree: Any, users: Any, client_for: Any) -> None:
    """Two people without consent to share above: two things to correct, both about the form
    as a whole, both listed and counted."""
    found = _situation_with_people(tree, users)
    client = client_for(users["commune_officer"])
    response = client.post(reverse("cases:situation_escalate", args=[found.pk]),
                           {"escalate-note": "Cần tỉnh hỗ trợ gấp."})
    html = response.content.decode()
    box = summary(html)
    assert "Vui lòng sửa 2 mục" in box
    assert len(re.findall(r"<li>", box)) == 2
    assert all(person.code in box for person in found.persons.all())
    assert "Cần tỉnh hỗ trợ gấp." in html  # kept


def test_the_public_report_form_answers_every_problem_at_once(client: Any, tree: Any) -> None:
    from tests.portal.test_report import URL, form_data

    response = client.post(URL, form_data(tree.commune_a, category="", occurred_on=(
        _future().isoformat()), identity="contact", contact="",
        description="Có người lạ rủ con gái hàng xóm đi làm ở nước ngoài."),
        REMOTE_ADDR="203.0.113.9")
    assert response.status_code in (200, 400)
    html = response.content.decode()
    box = html[html.index('class="error-summary"'):html.index("</div>", html.index(
        'class="error-summary"'))]
    links = set(re.findall(r'<a href="#(id_[a-z_]+)"', box))
    assert {"id_category", "id_occurred_on", "id_contact"} <= links
    assert html.index('class="error-summary"') < html.index('id="id_description"')
    assert "Có người lạ rủ con gái hàng xóm đi làm ở nước ngoài." in html  # kept
    assert not Situation.objects.exists()
