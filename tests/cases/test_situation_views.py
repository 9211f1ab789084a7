"""The situation pages: quick report, inbox, list, detail with its timeline, and the handling
steps, with their refusals. Narratives are shown as text, people by code only, and anything out
of scope answers 404."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, override

from ctip.audit.models import AuditEvent, Outcome
from ctip.cases import actions
from ctip.cases.models import Agency, Referral, Situation
from tests.conftest import make_user, without_random_tokens

SCRIPT = "<script>alert(1)</script>"
NAME = "Đinh Thị Hoa"


def vi(text: str) -> str:
    """The message as the page shows it (Vietnamese is the default language)."""
    with override("vi"):
        return gettext(text)


def section(html: str, key: str) -> str:
    """The HTML of one inbox section."""
    match = re.search(rf'<section id="inbox-{key}"[^>]*>(.*?)</section>', html, re.S)
    assert match, key
    return match.group(1)


def detail(situation: Situation) -> str:
    return reverse("cases:situation_detail", args=[situation.pk])


def step(situation: Situation, name: str) -> str:
    return reverse(f"cases:situation_{name}", args=[situation.pk])


def inbox(unit: Any) -> str:
    return f"{reverse('cases:inbox')}?unit={unit.pk}"


def report(tree: Any, users: Any, **kwargs: Any) -> Situation:
    values = {"actor": users["branch_head"], "unit": tree.branch_a1,
              "category": "suspected_trafficking", "urgency": "normal", "source": "member",
              "description": "Một phụ nữ trong ấp nhận lời mời việc nhẹ lương cao."} | kwargs
    return actions.create_situation(**values)


@pytest.fixture
def situation(tree: Any, users: Any) -> Situation:
    return report(tree, users)


@pytest.fixture
def person(tree: Any, users: Any) -> Any:
    return actions.create_person(actor=users["case_worker"], unit=tree.commune_a,
                                 full_name=NAME, birth_year=2004)


def text(response: Any) -> str:
    return response.content.decode()


# --- Quick report ----------------------------------------------------------------------------

def test_a_branch_head_reports_with_the_essentials_and_it_lands_in_the_commune(
        tree: Any, users: Any, client_for: Any) -> None:
    client = client_for(users["branch_head"])
    page = client.get(reverse("cases:situation_create"))
    assert page.status_code == 200
    html = text(page)
    # her branch and "a member" are chosen for her; the urgency starts at normal
    assert re.search(rf'<option value="{tree.branch_a1.pk}" selected>', html)
    assert re.search(r'<option value="member" selected>', html)
    assert re.search(r'value="normal"[^>]*checked', html)
    # she may report only in her own branch
    assert f'value="{tree.branch_a2.pk}"' not in html

    response = client.post(reverse("cases:situation_create"), {
        "category": "recruitment", "urgency": "high", "unit": tree.branch_a1.pk,
        "description": "Có người lạ mời chị em đi làm ở nước ngoài.", "source": "member"})
    situation = Situation.objects.get()
    assert response.status_code == 302 and response["Location"] == detail(situation)
    # nobody handles situations at her branch: the commune does (issue 15.3)
    assert situation.unit == tree.branch_a1 and situation.handling_unit == tree.commune_a
    assert situation.created_by == users["branch_head"] and situation.source == "member"

    # she sees it in her list and on its page, though she holds no situation.view
    assert situation.code in text(client.get(reverse("cases:situation_list")))
    page = client.get(detail(situation))
    assert page.status_code == 200 and "Có người lạ mời" in text(page)
    # ... but has no inbox, and cannot handle it
    assert client.get(reverse("cases:inbox")).status_code == 404
    assert 'action="' + step(situation, "escalate") not in text(page)
    assert client.post(step(situation, "escalate"), {}).status_code == 404

    # the commune officer sees it among the new situations of her own inbox
    officer = client_for(users["commune_officer"])
    html = text(officer.get(inbox(tree.commune_a)))
    assert situation.code in section(html, "new")
    assert situation.code not in text(officer.get(inbox(tree.branch_a1)))


@pytest.mark.parametrize("bad, field", [
    ({"occurred_on": "2999-01-01"}, "This date is in the future."),
    ({"category": "xyz"}, None),
    ({"description": ""}, None),
])
def test_a_bad_report_is_refused_with_the_reason(tree: Any, users: Any, client_for: Any,
                                                bad: dict[str, Any], field: str | None) -> None:
    values = {"category": "missing", "urgency": "normal", "unit": tree.branch_a1.pk,
              "description": "Mất liên lạc", "source": "member"} | bad
    response = client_for(users["branch_head"]).post(reverse("cases:situation_create"), values)
    assert response.status_code == 200
    assert 'class="errorlist' in text(response)
    if field:
        assert vi(field) in text(response)
    assert not Situation.objects.exists()


def test_a_unit_out_of_her_reach_is_refused(tree: Any, users: Any, client_for: Any) -> None:
    response = client_for(users["branch_head"]).post(reverse("cases:situation_create"), {
        "category": "missing", "urgency": "normal", "unit": tree.branch_a2.pk,
        "description": "Mất liên lạc", "source": "member"})
    assert response.status_code == 200 and not Situation.objects.exists()


def test_an_officer_reports_as_an_officer(tree: Any, users: Any, client_for: Any) -> None:
    html = text(client_for(users["commune_officer"]).get(reverse("cases:situation_create")))
    assert re.search(rf'<option value="{tree.commune_a.pk}" selected>', html)
    assert re.search(r'<option value="officer" selected>', html)


def test_roles_that_do_not_report_get_404(users: Any, client_for: Any) -> None:
    for role in ("case_worker", "viewer", "editor", "speaker"):
        assert client_for(users[role]).get(reverse("cases:situation_create")).status_code == 404


# --- Escalation and the inboxes --------------------------------------------------------------

def test_the_commune_officer_escalates_a_branch_situation_into_the_province_inbox(
        situation: Situation, tree: Any, users: Any, client_for: Any) -> None:
    officer = client_for(users["commune_officer"])
    page = text(officer.get(detail(situation)))
    assert 'action="' + step(situation, "escalate") in page
    assert situation.code in section(text(officer.get(inbox(tree.commune_a))), "new")
    # the province sees nothing of it in its own sections yet
    province_officer = client_for(users["province_officer"])
    assert situation.code not in section(text(province_officer.get(inbox(tree.province))),
                                         "new")

    response = officer.post(step(situation, "escalate"),
                            {"escalate-note": "Chuyển Hội tỉnh xử lý"})
    assert response.status_code == 302
    situation.refresh_from_db()
    assert situation.handling_unit == tree.province and situation.state == "escalated"
    html = text(province_officer.get(inbox(tree.province)))
    assert situation.code in section(html, "new")
    assert situation.code not in section(text(officer.get(inbox(tree.commune_a))), "new")


def test_overdue_is_flagged_in_the_unit_and_in_the_parent_inbox(
        situation: Situation, tree: Any, users: Any, client_for: Any) -> None:
    Situation.objects.filter(pk=situation.pk).update(
        due_at=timezone.now() - dt.timedelta(hours=5, minutes=10))
    officer = client_for(users["commune_officer"])
    overdue = section(text(officer.get(inbox(tree.commune_a))), "overdue")
    assert situation.code in overdue
    assert vi("Overdue") in overdue  # a word, not colour alone
    assert re.search(r"\d\d/\d\d/\d{4} \d\d:\d\d", overdue)
    province = client_for(users["province_officer"])
    below = section(text(province.get(inbox(tree.province))), "overdue-below")
    assert situation.code in below and vi("Overdue") in below
    assert tree.commune_a.name in below
    # and in the list
    assert vi("Overdue") in text(officer.get(reverse("cases:situation_list")))


def test_due_soon_shows_with_the_time_left(situation: Situation, tree: Any, users: Any,
                                           client_for: Any) -> None:
    Situation.objects.filter(pk=situation.pk).update(
        due_at=timezone.now() + dt.timedelta(hours=3, minutes=10))
    html = text(client_for(users["commune_officer"]).get(inbox(tree.commune_a)))
    soon = section(html, "due-soon")
    assert situation.code in soon
    with override("vi"):
        from ctip.cases.digest import deadline_text

        assert deadline_text(timezone.now() + dt.timedelta(hours=3, minutes=5)) in soon


def test_the_inbox_defaults_to_her_unit_and_refuses_units_out_of_scope(
        tree: Any, users: Any, client_for: Any) -> None:
    officer = client_for(users["commune_officer"])
    page = officer.get(reverse("cases:inbox"))
    assert page.status_code == 200 and tree.commune_a.name in text(page)
    assert officer.get(reverse("cases:unit_inbox", args=[tree.branch_a1.pk])).status_code == 200
    for unit in (tree.commune_b, tree.province, tree.other_commune):
        url = inbox(unit)
        assert officer.get(url).status_code == 404
        assert AuditEvent.objects.filter(action="access.refused", outcome=Outcome.REFUSED,
                                         actor=users["commune_officer"]).exists()
    assert officer.get(reverse("cases:inbox") + "?unit=abc").status_code == 404


@pytest.mark.parametrize("role", ["viewer", "editor", "branch_head", "speaker", "auditor"])
def test_roles_without_situation_view_have_no_inbox(role: str, tree: Any, users: Any,
                                                     client_for: Any) -> None:
    url = reverse("cases:inbox")
    assert client_for(users[role]).get(url).status_code == 404
    assert AuditEvent.objects.filter(action="access.refused", actor=users[role],
                                     target_label=url).exists()


def test_a_full_inbox_shows_the_most_urgent_with_the_count_and_a_way_to_the_rest(
        tree: Any, users: Any, client_for: Any, monkeypatch: Any) -> None:
    from ctip.cases.views import situations as situation_views

    monkeypatch.setattr(situation_views, "INBOX_SHOWN", 2)
    made = [report(tree, users, actor=users["commune_officer"]) for _ in range(3)]
    for hours, situation in zip((3, 1, 2), made, strict=True):
        Situation.objects.filter(pk=situation.pk).update(
            due_at=timezone.now() - dt.timedelta(hours=hours))
    html = text(client_for(users["commune_officer"]).get(inbox(tree.commune_a)))
    overdue = section(html, "overdue")
    assert "(3)" in overdue                                   # how many there are in all
    shown = [s.code for s in made if s.code in overdue]
    assert shown == [made[0].code, made[2].code]             # the two longest overdue
    assert vi("The %(shown)s most urgent of %(total)s are shown; all of them are in the list "
              "of situations.") % {"shown": 2, "total": 3} in overdue
    link = f"{reverse('cases:situation_list')}?state=open&amp;unit={tree.commune_a.pk}"
    assert link in overdue
    listed = client_for(users["commune_officer"]).get(link.replace("&amp;", "&"))
    assert all(s.code in text(listed) for s in made)
    # the section's next page: the rest, in the same order; the other sections stay whole
    assert "overdue-page=2" in overdue
    for asked in ("2", "9"):                                 # past the last: the last
        later = text(client_for(users["commune_officer"]).get(
            inbox(tree.commune_a), {"overdue-page": asked}))
        overdue = section(later, "overdue")
        assert [s.code for s in made if s.code in overdue] == [made[1].code]
        assert "(3)" in overdue and "overdue-page=1" in overdue
    for junk in ("x", "-1", "0", "9" * 30):
        page = client_for(users["commune_officer"]).get(inbox(tree.commune_a),
                                                        {"overdue-page": junk})
        assert page.status_code == 200
        assert [s.code for s in made if s.code in section(text(page), "overdue")] == [
            made[0].code, made[2].code]


def test_the_inbox_needs_a_bounded_number_of_queries(
        tree: Any, users: Any, client_for: Any, django_assert_max_num_queries: Any) -> None:
    officer = client_for(users["commune_officer"])

    def fill(n: int) -> None:
        for i in range(n):
            s = report(tree, users, urgency=["normal", "high", "urgent"][i % 3],
                       actor=users["commune_officer"],
                       unit=[tree.branch_a1, tree.branch_a2][i % 2])
            if i % 2:
                actions.escalate(actor=users["commune_officer"], situation=s)
            if i % 4 == 0:
                Situation.objects.filter(pk=s.pk).update(
                    due_at=timezone.now() - dt.timedelta(hours=1))
        officer.get(inbox(tree.commune_a))  # warm the session and the grants

    fill(2)
    with django_assert_max_num_queries(16):
        assert officer.get(inbox(tree.commune_a)).status_code == 200
    fill(12)
    with django_assert_max_num_queries(16):
        response = officer.get(inbox(tree.commune_a))
    assert response.status_code == 200
    assert Situation.objects.count() == 14
    # the list too, and its htmx partial is the results only
    officer.get(reverse("cases:situation_list"))
    with django_assert_max_num_queries(12):
        response = officer.get(reverse("cases:situation_list"), {"state": "open"},
                               HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "<h1>" not in text(response) and 'id="situation-results"' not in text(response)
    assert text(response).count("/cases/situations/") >= 14


def test_the_inbox_rows_reach_the_page_as_what_it_shows_and_nothing_else(
        situation: Situation, tree: Any, users: Any, client_for: Any) -> None:
    """A row of the inbox is its code, category, urgency, unit and deadline, written once in
    the view: the page holds no situation (nothing of its narrative within the template's
    reach), and a province's hundred rows cost the template no look-up on a database object
    each."""
    Situation.objects.filter(pk=situation.pk).update(
        due_at=timezone.now() - dt.timedelta(hours=5, minutes=10), urgency="urgent")
    response = client_for(users["province_officer"]).get(inbox(tree.province))
    rows = [row for _key, _title, items, *_rest in response.context["sections"]
            for row in items]
    assert len(rows) == 1
    row = rows[0]
    assert isinstance(row, dict) and not any(isinstance(v, Situation) for v in row.values())
    assert row["code"] == situation.code and row["overdue"] and not row["due_soon"]
    assert row["unit"] == tree.commune_a.name  # handled there: the late ones below
    due = timezone.localtime(Situation.objects.get(pk=situation.pk).due_at)
    html = text(response)
    below = section(html, "overdue-below")
    assert situation.code in below and vi("Overdue") in below and tree.commune_a.name in below
    assert due.strftime("%d/%m/%Y %H:%M") in below
    units_below = html[html.index('id="inbox-units-below"'):]
    assert f"{tree.commune_a.name}</a> — 1 tin báo đang mở" in units_below


# --- Detail ----------------------------------------------------------------------------------

def test_the_detail_shows_the_narrative_as_text_and_records_the_view(
        tree: Any, users: Any, client_for: Any) -> None:
    situation = report(tree, users, description=f"Trước {SCRIPT} sau\ndòng hai",
                       address=f"Ấp Mỹ Lộc {SCRIPT}", reporter_contact="<b>0912</b>")
    actions.add_note(actor=users["commune_officer"], situation=situation,
                     note=f"Ghi chú {SCRIPT}")
    response = client_for(users["commune_officer"]).get(detail(situation))
    html = text(response)
    assert SCRIPT not in html and "<b>0912</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert html.count("&lt;script&gt;") == 3  # description, address, note
    assert "sau<br>dòng hai" in html
    event = AuditEvent.objects.get(action="situation.viewed")
    assert event.actor == users["commune_officer"] and event.target_id == str(situation.pk)
    assert "Trước" not in str(event.changes)


def test_people_concerned_are_shown_by_code_only(tree: Any, users: Any, client_for: Any,
                                                 person: Any) -> None:
    situation = actions.create_situation(
        actor=users["commune_officer"], unit=tree.commune_a, category="returned",
        source="officer", description="Trở về từ nước ngoài", persons=[person])
    html = without_random_tokens(text(client_for(users["commune_officer"]).get(
        detail(situation))))
    assert person.code in html
    assert NAME not in html and "Hoa" not in html


def test_an_officer_of_another_commune_gets_404(situation: Situation, tree: Any,
                                                client_for: Any) -> None:
    stranger = make_user("xab", "commune_officer", tree.commune_b)
    client = client_for(stranger)
    url = detail(situation)
    assert client.get(url).status_code == 404
    assert AuditEvent.objects.filter(action="access.refused", actor=stranger,
                                     target_label=url).exists()
    assert client.post(step(situation, "escalate"), {}).status_code == 404
    assert client.post(step(situation, "note"), {"note-note": "x"}).status_code == 404
    situation.refresh_from_db()
    assert situation.state == "received" and situation.events.count() == 1
    assert not AuditEvent.objects.filter(action="situation.viewed").exists()


@pytest.mark.parametrize("role", ["viewer", "editor", "speaker", "auditor"])
def test_roles_without_situations_get_404_on_the_detail_and_list(
        role: str, situation: Situation, users: Any, client_for: Any) -> None:
    client = client_for(users[role])
    assert client.get(detail(situation)).status_code == 404
    assert client.get(reverse("cases:situation_list")).status_code == 404


def test_a_case_worker_sees_the_situation_but_cannot_handle_it(
        situation: Situation, users: Any, client_for: Any) -> None:
    client = client_for(users["case_worker"])
    page = text(client.get(detail(situation)))
    assert situation.code in page and 'action="' + step(situation, "note") not in page
    assert client.post(step(situation, "note"), {"note-note": "x"}).status_code == 404


# --- Handling steps --------------------------------------------------------------------------

def test_escalating_without_consent_names_the_person_and_changes_nothing(
        tree: Any, users: Any, client_for: Any, person: Any) -> None:
    situation = actions.create_situation(
        actor=users["commune_officer"], unit=tree.commune_a, category="returned",
        source="officer", description="Trở về từ nước ngoài", persons=[person])
    officer = client_for(users["commune_officer"])
    # the page warns before anyone tries
    assert person.code in section_of(text(officer.get(detail(situation))), "escalate")

    response = officer.post(step(situation, "escalate"), {"escalate-note": "Báo cáo tỉnh"})
    assert response.status_code == 200
    form = section_of(text(response), "escalate")
    assert 'class="errorlist' in form and person.code in form
    assert str(actions.Consent.Purpose.SHARE_ABOVE.label) in form or person.code in form
    situation.refresh_from_db()
    assert situation.state == "received" and situation.handling_unit == tree.commune_a
    assert list(situation.events.values_list("kind", flat=True)) == ["received"]

    actions.record_consent(actor=users["case_worker"], person=person, purpose="share_above",
                           given_on=timezone.localdate(), given_by="person")
    assert officer.post(step(situation, "escalate"), {}).status_code == 302
    situation.refresh_from_db()
    assert situation.handling_unit == tree.province


def section_of(html: str, key: str) -> str:
    match = re.search(rf'<section class="card" id="{key}">(.*?)</section>', html, re.S)
    assert match, key
    return match.group(1)


def test_referring_with_a_future_date_or_an_unknown_agency_is_refused(
        situation: Situation, users: Any, client_for: Any) -> None:
    officer = client_for(users["commune_officer"])
    police = Agency.objects.get(code="cong-an-xa")
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = officer.post(step(situation, "refer"), {
        "refer-agency": police.pk, "refer-referred_on": tomorrow.isoformat(),
        "refer-contact": "Trung úy A"})
    assert response.status_code == 200
    assert vi("The referral date is in the future.") in section_of(text(response), "refer")

    response = officer.post(step(situation, "refer"), {
        "refer-agency": 999999, "refer-referred_on": timezone.localdate().isoformat()})
    assert vi("Unknown agency.") in section_of(text(response), "refer")

    Agency.objects.filter(pk=police.pk).update(archived=True)
    response = officer.post(step(situation, "refer"), {
        "refer-agency": police.pk, "refer-referred_on": timezone.localdate().isoformat()})
    assert vi("Unknown agency.") in section_of(text(response), "refer")
    assert not Referral.objects.exists()
    situation.refresh_from_db()
    assert situation.state == "received"


def test_referring_without_consent_says_which_consent_is_missing(
        tree: Any, users: Any, client_for: Any, person: Any) -> None:
    situation = actions.create_situation(
        actor=users["commune_officer"], unit=tree.commune_a, category="returned",
        source="officer", description="Trở về", persons=[person])
    police = Agency.objects.get(code="cong-an-xa")
    response = client_for(users["commune_officer"]).post(step(situation, "refer"), {
        "refer-agency": police.pk, "refer-referred_on": timezone.localdate().isoformat()})
    form = section_of(text(response), "refer")
    assert person.code in form and police.name in form
    assert not Referral.objects.exists()


def test_every_step_shows_on_the_timeline(situation: Situation, tree: Any, users: Any,
                                          client_for: Any) -> None:
    officer = client_for(users["commune_officer"])
    today = timezone.localdate().isoformat()
    police = Agency.objects.get(code="cong-an-xa")
    assert officer.post(step(situation, "verify"),
                        {"verify-note": "Đã gọi điện cho gia đình"}).status_code == 302
    assert officer.post(step(situation, "escalate"),
                        {"escalate-note": "Cần Hội tỉnh vào cuộc"}).status_code == 302
    officer = client_for(users["province_officer"])  # the province handles it now
    assert officer.post(step(situation, "refer"), {
        "refer-agency": police.pk, "refer-referred_on": today,
        "refer-contact": "Trung úy Nguyễn Văn A"}).status_code == 302
    referral = Referral.objects.get()
    answer_url = reverse("cases:referral_answer", args=[situation.pk, referral.pk])
    assert officer.post(answer_url, {f"answer-{referral.pk}-answer": "Đã xác minh, ngăn chặn",
                                     f"answer-{referral.pk}-answered_on": today}
                        ).status_code == 302
    assert officer.post(step(situation, "note"),
                        {"note-note": "Gia đình đã được tư vấn"}).status_code == 302
    assert officer.post(step(situation, "close"),
                        {"close-outcome": "Đã ngăn chặn kịp thời"}).status_code == 302

    situation.refresh_from_db()
    assert situation.state == "closed"
    kinds = list(situation.events.values_list("kind", flat=True))
    assert kinds == ["received", "verifying", "escalated", "referred", "answered", "note",
                     "closed"]
    html = text(officer.get(detail(situation)))
    timeline = re.search(r'<ol class="timeline">(.*?)</ol>', html, re.S).group(1)
    assert timeline.count("<li") == len(kinds)
    for note in ("Đã gọi điện cho gia đình", "Cần Hội tỉnh vào cuộc", "Gia đình đã được tư vấn",
                 police.name):
        assert note in timeline
    assert f"{tree.commune_a.name} → {tree.province.name}" in timeline
    assert str(users["commune_officer"]) in timeline
    # the referral with its contact, date and answer
    referrals = html.split('id="referrals"')[1].split('id="timeline"')[0]
    for value in (police.name, "Trung úy Nguyễn Văn A", "Đã xác minh, ngăn chặn",
                  timezone.localdate().strftime("%d/%m/%Y")):
        assert value in referrals
    assert "Đã ngăn chặn kịp thời" in html
    # closed: no more forms
    assert 'id="handle"' not in html


def test_a_closed_situation_cannot_be_changed(situation: Situation, users: Any,
                                              client_for: Any) -> None:
    officer_user = users["commune_officer"]
    police = Agency.objects.get(code="cong-an-xa")
    referral = actions.refer(actor=officer_user, situation=situation, agency=police,
                             referred_on=timezone.localdate())
    actions.close_situation(actor=officer_user, situation=situation, outcome="Xong")
    officer = client_for(officer_user)
    for name, data in (("note", {"note-note": "thêm"}), ("escalate", {}),
                       ("verify", {}), ("close", {"close-outcome": "lại"})):
        response = officer.post(step(situation, name), data, follow=True)
        assert response.status_code == 200
        assert situation.code in text(response)
        assert [str(m) for m in response.context["messages"]], name
    response = officer.post(
        reverse("cases:referral_answer", args=[situation.pk, referral.pk]),
        {f"answer-{referral.pk}-answer": "muộn",
         f"answer-{referral.pk}-answered_on": timezone.localdate().isoformat()}, follow=True)
    assert response.status_code == 200
    assert list(situation.events.values_list("kind", flat=True)) == [
        "received", "referred", "closed"]
    referral.refresh_from_db()
    assert referral.answered_on is None


def test_an_answer_for_a_referral_of_another_situation_is_404(
        situation: Situation, tree: Any, users: Any, client_for: Any) -> None:
    other = report(tree, users)
    police = Agency.objects.get(code="cong-an-xa")
    referral = actions.refer(actor=users["commune_officer"], situation=other, agency=police,
                             referred_on=timezone.localdate())
    url = reverse("cases:referral_answer", args=[situation.pk, referral.pk])
    response = client_for(users["commune_officer"]).post(url, {
        f"answer-{referral.pk}-answer": "x",
        f"answer-{referral.pk}-answered_on": timezone.localdate().isoformat()})
    assert response.status_code == 404


def test_pages_answer_only_their_methods(situation: Situation, users: Any,
                                         client_for: Any) -> None:
    officer = client_for(users["commune_officer"])
    assert officer.get(step(situation, "escalate")).status_code == 405
    assert officer.post(detail(situation)).status_code == 405


# --- List ------------------------------------------------------------------------------------

def test_the_list_filters_by_state_category_unit_and_period(
        tree: Any, users: Any, client_for: Any) -> None:
    a = report(tree, users, category="missing")
    b = report(tree, users, unit=tree.branch_a2, category="recruitment",
               actor=users["commune_officer"])
    c = actions.create_situation(actor=users["commune_officer"], unit=tree.commune_a,
                                 category="missing", source="officer", description="x")
    actions.close_situation(actor=users["commune_officer"], situation=c, outcome="Xong")
    Situation.objects.filter(pk=b.pk).update(created_at=timezone.now() - dt.timedelta(days=40))
    officer = client_for(users["commune_officer"])
    url = reverse("cases:situation_list")

    def codes(**params: Any) -> set[str]:
        html = text(officer.get(url, params))
        return {s.code for s in (a, b, c) if s.code in html}

    assert codes() == {a.code, b.code, c.code}
    assert codes(state="open") == {a.code, b.code}
    assert codes(state="closed") == {c.code}
    assert codes(category="missing") == {a.code, c.code}
    assert codes(unit=tree.branch_a2.pk) == {b.code}
    start = (timezone.localdate() - dt.timedelta(days=7)).strftime("%d/%m/%Y")
    assert codes(start=start) == {a.code, c.code}
    assert officer.get(url, {"unit": tree.other_commune.pk}).status_code == 404
    # no narrative in the list
    assert "Một phụ nữ" not in text(officer.get(url))
    # another province sees none of them
    other = text(client_for(users["other_officer"]).get(url))
    assert not {a.code, b.code, c.code} & set(re.findall(r"TN-\d{4}-T\d{5}", other))


def test_due_follow_ups_and_the_digest_show_in_the_app(tree: Any, users: Any,
                                                      client_for: Any) -> None:
    """Follow-ups of support cases appear in the unit's inbox (by case code), and the daily
    digest appears on the home page of those it was sent to."""
    import datetime as dt

    from django.utils import timezone

    from ctip.cases import actions
    from ctip.cases.models import Notification

    worker = users["case_worker"]
    person = actions.create_person(actor=worker, unit=tree.commune_a, full_name="Tô Thị Nga")
    actions.record_consent(actor=worker, person=person, purpose="support",
                           given_on=dt.date(2026, 3, 1), given_by="person")
    case = actions.open_case(actor=None, unit=tree.commune_a, person=person,
                             kind="high_risk", workers=[worker])
    actions.add_follow_up(actor=worker, case=case,
                          due_on=timezone.localdate() + dt.timedelta(days=2),
                          what="Gọi điện nhắc lịch học nghề")
    body = client_for(worker).get(reverse("cases:unit_inbox",
                                          args=[tree.commune_a.pk])).content.decode()
    assert case.code in body and "Gọi điện nhắc lịch học nghề" in body
    assert "Tô Thị Nga" not in body
    Notification.objects.create(user=worker, kind="digest", title="Tin báo: 1 quá hạn",
                                url=reverse("cases:inbox"))
    home = client_for(worker).get(reverse("core:home")).content.decode()
    assert "Tin báo: 1 quá hạn" in home


def test_the_inbox_pages_the_follow_ups(tree: Any, users: Any, client_for: Any) -> None:
    """Like the sections (decision 0069): how many follow-ups are due, the first 20, and a
    link to the others; a closed case's follow-ups are not counted."""
    import datetime as dt

    from django.utils import timezone

    from ctip.cases import actions
    from tests.cases.case_helpers import open_case

    worker = users["case_worker"]
    case = open_case(tree.commune_a, worker)
    closed = open_case(tree.commune_a, worker, full_name="Lò Thị Xuân")
    today = timezone.localdate()
    for n in range(23):
        actions.add_follow_up(actor=worker, case=case, due_on=today + dt.timedelta(days=n % 7),
                              what=f"Việc số {n:02d}")
    actions.add_follow_up(actor=worker, case=closed, due_on=today, what="Của hồ sơ đã đóng")
    actions.close_case(actor=worker, case=closed, outcome="reintegrated",
                       reason="Đã hòa nhập cộng đồng")
    client = client_for(worker)
    inbox = reverse("cases:unit_inbox", args=[tree.commune_a.pk])
    first = client.get(inbox).content.decode()
    section = first[first.index('id="inbox-follow-ups"'):]
    assert "(23)" in section
    assert section.count("Việc số") == 20 and "Của hồ sơ đã đóng" not in section
    assert "follow-ups-page=2" in section
    second = client.get(inbox + "?follow-ups-page=2").content.decode()
    rest = second[second.index('id="inbox-follow-ups"'):]
    assert rest.count("Việc số") == 3
    shown = {f"Việc số {n:02d}" for n in range(23)}
    assert {w for w in shown if w in section} | {w for w in shown if w in rest} == shown
