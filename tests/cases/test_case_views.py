"""The support-case pages: list, detail, the identity behind a POST (assigned, break glass,
refused), the new person with its duplicate check, consent, opening, services, visits,
follow-ups, referrals, closure, the break-glass review and counts. Refusals say why; narratives
are shown as text; out of scope answers 404."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django.utils.translation import gettext, override

from ctip.accounts.access import ACCESS_ATTR
from ctip.accounts.capabilities import ROLE_CAPABILITIES, Role
from ctip.accounts.policy import NotInScope
from ctip.audit.models import AuditEvent, Outcome
from ctip.cases import actions
from ctip.cases.models import Agency, BreakGlass, Consent, FollowUp, Person, SupportCase
from ctip.cases.selectors import inbox_for
from ctip.core.errors import ActionError
from ctip.reports import privacy
from tests.cases import case_access_rows as rows
from tests.cases.case_helpers import consent, matrix_case, open_case, register
from tests.conftest import login_client, make_user

NAME = "Lò Thị Xuân"
PHONE = "0987001122"
ID_NUMBER = "045199001234"
SCRIPT = "<script>alert('x')</script>"
REASON = "Người hỗ trợ chính nghỉ phép, cần liên hệ khẩn với gia đình"


def vi(message: str) -> str:
    with override("vi"):
        return gettext(message)


def url(name: str, *args: Any) -> str:
    return reverse(f"cases:{name}", args=args)


def text(response: Any) -> str:
    return response.content.decode()


def errors(html: str) -> str:
    return " ".join(re.findall(r'class="(?:errorlist[^"]*|form-error)"[^>]*>(.*?)</(?:ul|div)>',
                               html, re.S))


@pytest.fixture
def case(tree: Any, users: Any) -> SupportCase:
    return open_case(tree.commune_a, users["case_worker"], full_name=NAME, phone=PHONE,
                     id_number=ID_NUMBER, needs="Cần học nghề", plan="Học nghề may")


@pytest.fixture
def worker(users: Any, client_for: Any) -> Any:
    return client_for(users["case_worker"])


@pytest.fixture
def colleague(tree: Any) -> Any:
    """Another case worker of commune A, not assigned to the case."""
    return make_user("hotro2", Role.CASE_WORKER, tree.commune_a, full_name="Phạm Thu Hà")


# --- List and detail ------------------------------------------------------------------------

def test_the_list_shows_codes_kinds_units_and_workers_never_names(
        case: SupportCase, tree: Any, users: Any, client_for: Any) -> None:
    client = client_for(users["commune_officer"])
    html = text(client.get(url("case_list")))
    assert case.code in html and case.person.code in html
    assert vi("returned victim") in html and tree.commune_a.name in html
    assert str(users["case_worker"]) in html
    assert NAME not in html and PHONE not in html

    # the number of queries does not grow with the cases
    for i in range(4):
        open_case(tree.commune_a, users["case_worker"], full_name=f"Người số {i}")
    with CaptureQueriesContext(connection) as few:
        client.get(url("case_list"))
    for i in range(4, 10):
        open_case(tree.commune_a, users["case_worker"], full_name=f"Người số {i}")
    with CaptureQueriesContext(connection) as many:
        client.get(url("case_list"))
    assert len(many) == len(few)


def test_filters_show_closed_cases(case: SupportCase, worker: Any, users: Any) -> None:
    actions.close_case(actor=users["case_worker"], case=case, outcome="moved",
                       reason="Chuyển đi tỉnh khác")
    assert case.code not in text(worker.get(url("case_list")))
    assert case.code in text(worker.get(url("case_list") + "?status=closed"))
    assert case.code in text(worker.get(url("case_list") + "?status=all&kind=returned_victim"))
    assert case.code not in text(worker.get(url("case_list") + "?status=all&kind=high_risk"))


def test_the_assigned_worker_sees_no_identity_until_she_asks_by_post(
        case: SupportCase, worker: Any, users: Any) -> None:
    page = worker.get(url("case_detail", case.pk))
    html = text(page)
    assert page.status_code == 200 and page["Cache-Control"].count("no-store")
    assert NAME not in html and PHONE not in html and ID_NUMBER not in html
    assert "Cần học nghề" in html  # she manages it: the narrative is there
    assert f'action="{url("person_identity", case.person.pk)}"' in html
    assert 'name="reason"' not in html  # no break glass for her
    # GET never reveals
    assert worker.get(url("person_identity", case.person.pk)).status_code == 405
    before = AuditEvent.objects.filter(action="person.identity_viewed").count()

    shown = worker.post(url("person_identity", case.person.pk), {"case": case.pk})
    html = text(shown)
    assert shown.status_code == 200
    assert NAME in html and PHONE in html and ID_NUMBER in html
    assert "no-store" in shown["Cache-Control"]
    event = AuditEvent.objects.filter(action="person.identity_viewed").latest("id")
    assert AuditEvent.objects.filter(action="person.identity_viewed").count() == before + 1
    assert event.actor == users["case_worker"] and event.changes == {"access": "assigned"}
    assert not BreakGlass.objects.exists()


@pytest.mark.parametrize("role", ["commune_officer", "province_officer"])
def test_others_with_case_access_see_code_services_status_but_no_button(
        case: SupportCase, users: Any, client_for: Any, role: str) -> None:
    actions.add_service(actor=users["case_worker"], case=case, type="medical",
                        provider="Trạm y tế xã", date=dt.date(2026, 2, 1))
    actions.log_visit(actor=users["case_worker"], case=case, kind="visit",
                      date=dt.date(2026, 2, 2), notes="Gia đình hợp tác tốt")
    client = client_for(users[role])
    html = text(client.get(url("case_detail", case.pk)))
    assert case.code in html and case.person.code in html and vi("medical care") in html
    assert url("person_identity", case.person.pk) not in html
    assert vi("Show identity") not in html
    # no narrative for those who do not manage the case
    assert "Cần học nghề" not in html and "Gia đình hợp tác" not in html
    response = client.post(url("person_identity", case.person.pk), {"case": case.pk})
    assert response.status_code == 404
    assert NAME not in text(response)


def test_out_of_scope_case_and_person_answer_404(tree: Any, users: Any, client_for: Any) -> None:
    outside = matrix_case(tree, users, inside=False)
    client = client_for(users["case_worker"])
    for target in (url("case_detail", outside.pk), url("person_detail", outside.person.pk)):
        assert client.get(target).status_code == 404
        assert AuditEvent.objects.filter(action="access.refused", target_label=target,
                                         outcome=Outcome.REFUSED).exists()
    assert client.post(url("person_identity", outside.person.pk)).status_code == 404


# --- Break glass ----------------------------------------------------------------------------

@pytest.fixture
def above(tree: Any) -> Any:
    """A case worker of the province: the level above commune A, who reviews its openings."""
    return make_user("hotro.tinh", Role.CASE_WORKER, tree.province, full_name="Đỗ Thị Lan")


def test_break_glass_needs_a_reason_and_flags_the_level_above(
        case: SupportCase, colleague: Any, above: Any, users: Any, client_for: Any) -> None:
    other = client_for(colleague)
    html = text(other.get(url("case_detail", case.pk)))
    assert 'name="reason"' in html and 'name="category"' in html and NAME not in html
    for label in BreakGlass.Category.labels:
        assert vi(label) in html

    refused = other.post(url("person_identity", case.person.pk), {"case": case.pk})
    assert refused.status_code == 200 and NAME not in text(refused)
    assert vi("Say why you need to see this identity.") in text(refused)
    assert vi("Choose why you need it from the list.") in text(refused)
    # junk is not a reason: repeated letters, a repeated word, a word or two
    for junk in ("aaaaaaaaaa", "aaaaaaaaaaaaaaaaaaaaaaaaa", "cần cần cần cần cần cần cần",
                 "cần xem gấp", "asdf asdf asdf asdf asdf"):
        typed = other.post(url("person_identity", case.person.pk),
                           {"case": case.pk, "category": "danger", "reason": junk})
        assert typed.status_code == 200 and NAME not in text(typed), junk
        assert junk in text(typed)  # what she typed is kept
    assert not BreakGlass.objects.exists()
    assert not AuditEvent.objects.filter(action="person.identity_viewed").exists()

    shown = other.post(url("person_identity", case.person.pk),
                       {"case": case.pk, "category": "unreachable", "reason": REASON})
    assert NAME in text(shown) and "no-store" in shown["Cache-Control"]
    # she may not correct or export: only an assigned worker may
    assert 'name="full_name"' not in text(shown)
    flag = BreakGlass.objects.get()
    assert flag.user == colleague and flag.case == case and flag.reason == REASON
    assert flag.category == "unreachable" and flag.actor_path == case.unit_path
    # the reason is encrypted at rest, and the audit event names the flag, not the text
    with connection.cursor() as cursor:
        cursor.execute("SELECT reason FROM cases_breakglass")
        (raw,) = cursor.fetchone()
    assert REASON not in raw and "nghỉ phép" not in raw
    event = AuditEvent.objects.get(action="person.break_glass")
    assert event.changes["flag"] == flag.pk and event.changes["category"] == "unreachable"
    assert REASON not in repr(event.changes)

    # a peer at the same commune does not review it, even though she reviews others' below
    peer = client_for(users["case_worker"])
    assert REASON not in text(peer.get(url("breakglass_list") + "?state=all"))
    assert peer.post(url("breakglass_review", flag.pk)).status_code == 404

    # the level above sees the flag, the category and the reason
    reviewer = client_for(above)
    listing = text(reviewer.get(url("breakglass_list")))
    assert case.person.code in listing and REASON in listing and str(colleague) in listing
    assert vi("the assigned case worker cannot be reached") in listing
    assert NAME not in listing
    # the case list and her home page tell her there is one to review
    assert url("breakglass_list") in text(reviewer.get(url("case_list")))
    assert url("breakglass_list") in text(reviewer.get(reverse("core:home")))

    # nobody reviews her own
    other.post(url("breakglass_review", flag.pk))
    flag.refresh_from_db()
    assert flag.reviewed_at is None

    response = reviewer.post(url("breakglass_review", flag.pk))
    assert response.status_code == 302
    flag.refresh_from_db()
    assert flag.reviewed_by == above and flag.reviewed_at is not None
    event = AuditEvent.objects.get(action="person.break_glass_reviewed")
    assert event.actor == above and event.changes["opened_by"] == "hotro2"
    assert REASON not in text(reviewer.get(url("breakglass_list")))
    assert REASON in text(reviewer.get(url("breakglass_list") + "?state=all"))


def test_the_administrators_break_glass_goes_above_her_never_below(
        case: SupportCase, above: Any, tree: Any, users: Any, client_for: Any) -> None:
    """The administrator of the province acts from the province: a commune case worker (below)
    or a provincial case worker (a peer) never reviews her; with nobody above, the security
    officer does, and is told on her home page and in the digest."""
    from ctip.cases.digest import build_digests

    admin = users["system_admin"]
    actions.view_identity(actor=admin, person=case.person, case=case, category="authority",
                          reason="Công an tỉnh yêu cầu xác minh danh tính bằng văn bản số 12")
    flag = BreakGlass.objects.get()
    assert flag.actor_path == tree.province.path
    for who in (users["case_worker"], above):
        client = client_for(who)
        assert client.post(url("breakglass_review", flag.pk)).status_code == 404
        assert url("breakglass_review", flag.pk) not in text(
            client.get(url("breakglass_list")))
    # nobody above the province holds the review: nobody is told yet
    assert not [d for d in build_digests() if d.flags]

    officer = make_user("anninh", Role.SECURITY_OFFICER, tree.province)
    digests = {d.user.pk: d for d in build_digests()}
    assert list(digests) == [officer.pk]
    assert [f.person for f in digests[officer.pk].flags] == [case.person.code]
    client = client_for(officer)
    home = text(client.get(reverse("core:home")))
    assert url("breakglass_list") in home
    assert client.post(url("breakglass_review", flag.pk)).status_code == 302
    flag.refresh_from_db()
    assert flag.reviewed_by == officer


def test_break_glass_flags_of_other_units_are_not_listed(
        case: SupportCase, colleague: Any, tree: Any, client_for: Any) -> None:
    actions.view_identity(actor=colleague, person=case.person, reason=REASON,
                          category="danger", case=case)
    outsider = make_user("hotro.tanan", Role.CASE_WORKER, tree.commune_b)
    client = client_for(outsider)
    assert REASON not in text(client.get(url("breakglass_list")))
    flag = BreakGlass.objects.get()
    assert client.post(url("breakglass_review", flag.pk)).status_code == 404
    flag.refresh_from_db()
    assert flag.reviewed_at is None


def test_roles_without_identity_view_are_refused_and_recorded(
        case: SupportCase, users: Any, client_for: Any) -> None:
    client = client_for(users["commune_officer"])
    assert client.post(url("person_identity", case.person.pk)).status_code == 404
    assert AuditEvent.objects.filter(action="access.refused",
                                     actor=users["commune_officer"]).exists()


# --- New person and the duplicate check ------------------------------------------------------

def person_data(unit: Any, **kwargs: Any) -> dict[str, Any]:
    return {"unit": unit.pk, "full_name": NAME, "birth_year": 1998, "sex": "female",
            "phone": PHONE, "id_number": ID_NUMBER} | kwargs


def test_a_new_person_gets_a_code_and_the_duplicate_check_warns(
        tree: Any, worker: Any, users: Any) -> None:
    form = worker.get(url("person_create"))
    assert form.status_code == 200 and 'autocomplete="off"' in text(form)
    response = worker.post(url("person_create"), person_data(tree.commune_a))
    person = Person.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("person_detail", person.pk)
    assert person.full_name == NAME and person.birth_year == 1998

    # the same name folded, the same year, the same commune: a warning with the code
    again = worker.post(url("person_create"),
                        person_data(tree.commune_a, full_name="LO THI XUAN", phone=""))
    html = text(again)
    assert again.status_code == 200 and person.code in html
    assert Person.objects.count() == 1
    assert "no-store" in again["Cache-Control"]
    checked = re.search(r'name="checked" value="([0-9a-f]+)"', html).group(1)
    assert AuditEvent.objects.filter(action="person.duplicate_warned").exists()

    # "create anyway" for changed data checks again
    changed = worker.post(url("person_create"), person_data(
        tree.commune_a, full_name="Lò Thị Xuân", phone="", confirm="1", checked="0" * 64))
    assert changed.status_code == 200 and Person.objects.count() == 1
    created = worker.post(url("person_create"), person_data(
        tree.commune_a, full_name="LO THI XUAN", phone="", confirm="1", checked=checked))
    assert created.status_code == 302 and Person.objects.count() == 2
    # another year is no match
    worker.post(url("person_create"), person_data(tree.commune_a, birth_year=1990))
    assert Person.objects.count() == 3


def test_a_match_she_may_not_see_is_reported_without_code(
        tree: Any, users: Any, client_for: Any, monkeypatch: Any) -> None:
    existing = register(tree.branch_a1, full_name=NAME, birth_year=1998)
    # someone who registers people in the branch without seeing its cases
    monkeypatch.setitem(ROLE_CAPABILITIES, Role.BRANCH_HEAD,
                        ROLE_CAPABILITIES[Role.BRANCH_HEAD] | {"case.manage"})
    client = client_for(users["branch_head"])
    html = text(client.post(url("person_create"), person_data(tree.branch_a1)))
    assert existing.code not in html and tree.branch_a1.name not in errors(html)
    assert vi("A possible match exists in another unit. Ask the supervising unit before "
              "creating a second record of the same person.") in html
    assert Person.objects.count() == 1


@pytest.mark.parametrize("bad, message", [
    ({"id_number": "12AB"}, "An identity card number has digits only."),
    ({"birth_date": "2999-01-01"}, "The date of birth is in the future."),
    ({"birth_date": "1998-05-01", "birth_year": 1997},
     "The year of birth does not match the date of birth."),
    ({"full_name": ""}, None),
])
def test_a_bad_person_is_refused_with_the_reason(tree: Any, worker: Any,
                                                 bad: dict[str, Any], message: Any) -> None:
    response = worker.post(url("person_create"), person_data(tree.commune_a, **bad))
    assert response.status_code == 200 and not Person.objects.exists()
    if message:
        assert vi(message) in text(response)


def test_a_unit_outside_her_reach_is_refused(tree: Any, worker: Any) -> None:
    worker.post(url("person_create"), person_data(tree.commune_b))
    assert not Person.objects.exists()


# --- Consent and opening a case -------------------------------------------------------------

def test_opening_a_case_without_consent_is_refused_naming_what_is_missing(
        tree: Any, worker: Any, users: Any, colleague: Any) -> None:
    person = register(tree.commune_a, full_name=NAME)
    page = text(worker.get(url("case_open", person.pk)))
    missing = vi("Consent is missing: %(code)s has not consented to %(what)s.") % {
        "code": person.code, "what": vi("receive support")}
    assert missing in page
    data = {"unit": tree.commune_a.pk, "kind": "returned_victim",
            "workers": [colleague.pk], "opened_on": "2026-02-01"}
    response = worker.post(url("case_open", person.pk), data)
    assert response.status_code == 200 and missing in text(response)
    assert not SupportCase.objects.exists()

    worker.post(url("consent_add", person.pk), {
        "purpose": "support", "given_on": "2026-01-20", "given_by": "guardian"})
    response = worker.post(url("case_open", person.pk), data | {
        "risk_factors": ["no_job", "poverty"], "needs": "Cần việc làm"})
    case = SupportCase.objects.get()
    assert response.status_code == 302 and response["Location"] == url("case_detail", case.pk)
    assert case.risk_factors == ["no_job", "poverty"] and case.person == person
    assert list(case.workers.all()) == [colleague]
    assert not BreakGlass.objects.exists()


def test_consent_with_evidence_and_its_refusals(tree: Any, worker: Any, users: Any) -> None:
    person = register(tree.commune_a, full_name=NAME)
    base = {"purpose": "support", "given_on": "2026-01-20", "given_by": "person"}
    pdf = SimpleUploadedFile(f"{NAME}.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    assert worker.post(url("consent_add", person.pk), base | {"evidence": pdf}).status_code \
        == 302
    stored = Consent.objects.get()
    assert stored.evidence and person.code in stored.evidence.name
    assert "Xu" not in stored.evidence.name and "xuan" not in stored.evidence.name.lower()

    fake = SimpleUploadedFile("don.pdf", b"MZ not a pdf", content_type="application/pdf")
    response = worker.post(url("consent_add", person.pk), base | {"evidence": fake})
    assert response.status_code == 200 and "don.pdf" in errors(text(response))
    exe = SimpleUploadedFile("virus.exe", b"MZ", content_type="application/octet-stream")
    response = worker.post(url("consent_add", person.pk), base | {"evidence": exe})
    assert ".pdf" in errors(text(response))
    big = SimpleUploadedFile("lon.pdf", b"%PDF-" + b"0" * (21 * 1024 * 1024))
    response = worker.post(url("consent_add", person.pk), base | {"evidence": big})
    assert "20 MB" in errors(text(response))
    future = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    response = worker.post(url("consent_add", person.pk), base | {"given_on": future})
    assert vi("Consent cannot be dated in the future.") in text(response)
    response = worker.post(url("consent_add", person.pk), base | {"purpose": "referral"})
    assert vi("Consent to a referral names the agency.") in text(response)
    response = worker.post(url("consent_add", person.pk), base | {"purpose": "referral",
                                                                   "agency": "999999"})
    assert vi("Unknown agency.") in text(response)
    assert Consent.objects.count() == 1

    # the evidence is given to an assigned worker only, by POST, and recorded
    case = open_case(tree.commune_a, users["case_worker"], person=person)
    assert worker.get(url("consent_evidence", person.pk, stored.pk)).status_code == 405
    download = worker.post(url("consent_evidence", person.pk, stored.pk))
    assert download.status_code == 200 and download.content == b"%PDF-1.4 test"
    assert download["Content-Type"] == "application/pdf"
    assert "attachment" in download["Content-Disposition"]
    assert person.code in download["Content-Disposition"] and "no-store" in \
        download["Cache-Control"]
    assert AuditEvent.objects.filter(action="consent.evidence_viewed").exists()
    officer = make_user("hotro2", Role.CASE_WORKER, tree.commune_a)
    assert login_client(officer).post(
        url("consent_evidence", person.pk, stored.pk)).status_code == 404
    assert case.pk


def test_a_withdrawal_is_shown_on_the_case_and_blocks_referral(
        case: SupportCase, worker: Any, users: Any, client_for: Any) -> None:
    police = Agency.objects.get(code="cong-an-xa")
    given = consent(case.person, "referral", agency=police)
    assert worker.post(url("consent_withdraw", case.person.pk, given.pk)).status_code == 302
    given.refresh_from_db()
    assert given.withdrawn_on == timezone.localdate()
    event = AuditEvent.objects.get(action="consent.withdrawn")
    assert event.actor == users["case_worker"]

    for client in (worker, client_for(users["commune_officer"])):
        html = text(client.get(url("case_detail", case.pk)))
        assert 'class="form-error consent-withdrawn"' in html and police.name in html
        assert timezone.localdate().strftime("%d/%m/%Y") in html

    response = worker.post(url("case_refer", case.pk), {
        "agency": police.pk, "referred_on": "2026-02-01"})
    assert response.status_code == 200 and not case.referrals.exists()
    assert case.person.code in text(response)
    assert vi("%(code)s withdrew consent to %(what)s; nothing more can be shared for it.") % {
        "code": case.person.code,
        "what": f"{vi('referral to a named agency')} ({police.name})"} in text(response)


def test_withdrawal_needs_a_case_manager(case: SupportCase, users: Any,
                                         client_for: Any) -> None:
    given = Consent.objects.get(person=case.person)
    response = client_for(users["commune_officer"]).post(
        url("consent_withdraw", case.person.pk, given.pk))
    assert response.status_code == 404
    given.refresh_from_db()
    assert given.withdrawn_on is None
    with pytest.raises((NotInScope, ActionError)):
        actions.withdraw_consent(actor=users["commune_officer"], consent=given)


# --- Services, visits, follow-ups, referrals ------------------------------------------------

def test_services_with_amounts_in_dong(case: SupportCase, worker: Any) -> None:
    response = worker.post(url("service_add", case.pk), {
        "type": "hardship_allowance", "provider": "UBND xã Đức Hòa", "date": "2026-02-03",
        "amount": "1.500.000", "status": "delivered"})
    assert response.status_code == 302
    service = case.services.get()
    assert service.amount == 1_500_000
    html = text(worker.get(url("case_detail", case.pk)))
    assert "1.500.000 ₫" in html and "UBND xã Đức Hòa" in html

    response = worker.post(url("service_add", case.pk), {
        "type": "loan_support", "provider": "Ngân hàng CSXH", "date": "2026-02-03",
        "status": "delivered"})
    assert vi("Give the amount of money delivered.") in text(response)
    response = worker.post(url("service_add", case.pk), {
        "type": "medical", "provider": "Trạm y tế", "date": "2026-02-03", "amount": "1,5"})
    assert response.status_code == 200 and case.services.count() == 1
    response = worker.post(url("service_add", case.pk), {
        "type": "teleport", "provider": "x", "date": "2026-02-03"})
    assert case.services.count() == 1

    page = text(worker.get(url("service_status", case.pk, service.pk)))
    assert 'value="1.500.000"' in page
    worker.post(url("service_status", case.pk, service.pk), {"status": "cancelled"})
    service.refresh_from_db()
    assert service.status == "cancelled" and service.amount == 1_500_000


def test_visits_follow_ups_and_the_inbox(case: SupportCase, worker: Any, tree: Any) -> None:
    future = (timezone.localdate() + dt.timedelta(days=2)).isoformat()
    past = (timezone.localdate() - dt.timedelta(days=2)).isoformat()
    response = worker.post(url("visit_add", case.pk), {"kind": "visit", "date": future})
    assert vi("A visit cannot be logged for a future date.") in text(response)
    worker.post(url("visit_add", case.pk), {"kind": "counselling", "date": past,
                                            "notes": "Tư vấn tâm lý lần 1"})
    assert case.visits.get().notes == "Tư vấn tâm lý lần 1"

    response = worker.post(url("follow_up_add", case.pk), {"due_on": past, "what": "Gọi lại"})
    assert vi("The due date is in the past.") in text(response)
    worker.post(url("follow_up_add", case.pk), {"due_on": future, "what": "Thăm lại"})
    follow_up = FollowUp.objects.get()
    assert follow_up in inbox_for(tree.commune_a).follow_ups
    worker.post(url("follow_up_done", case.pk, follow_up.pk))
    follow_up.refresh_from_db()
    assert follow_up.done_on == timezone.localdate()
    assert follow_up not in inbox_for(tree.commune_a).follow_ups


def test_referral_needs_matching_consent_and_a_known_agency(
        case: SupportCase, worker: Any) -> None:
    health = Agency.objects.get(code="so-y-te")
    police = Agency.objects.get(code="cong-an-xa")
    consent(case.person, "referral", agency=health)
    response = worker.post(url("case_refer", case.pk), {"agency": police.pk,
                                                        "referred_on": "2026-02-01"})
    assert response.status_code == 200
    assert vi("Consent is missing: %(code)s has not consented to %(what)s.") % {
        "code": case.person.code,
        "what": f"{vi('referral to a named agency')} ({police.name})"} in text(response)
    Agency.objects.filter(pk=police.pk).update(archived=True)
    response = worker.post(url("case_refer", case.pk), {"agency": police.pk,
                                                        "referred_on": "2026-02-01"})
    assert vi("Unknown agency.") in text(response)
    future = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    response = worker.post(url("case_refer", case.pk), {"agency": health.pk,
                                                        "referred_on": future})
    assert vi("The referral date is in the future.") in text(response)
    assert not case.referrals.exists()

    response = worker.post(url("case_refer", case.pk), {"agency": health.pk,
                                                        "referred_on": "2026-02-01",
                                                        "contact": "BS. Nguyễn Văn An"})
    assert response.status_code == 302
    referral = case.referrals.get()
    assert referral.consent.agency == health
    worker.post(url("case_referral_answer", case.pk, referral.pk),
                {"answer": "Đã tiếp nhận, khám sức khỏe", "answered_on": "2026-02-03"})
    referral.refresh_from_db()
    assert referral.answer == "Đã tiếp nhận, khám sức khỏe"


# --- Closure --------------------------------------------------------------------------------

def test_a_closed_case_refuses_every_form_with_the_reason(case: SupportCase, worker: Any,
                                                          users: Any) -> None:
    response = worker.post(url("case_close", case.pk), {"outcome": "", "reason": "x",
                                                        "closed_on": "2026-03-01"})
    assert response.status_code == 200 and case.closed_on is None
    response = worker.post(url("case_close", case.pk), {
        "outcome": "reintegrated", "reason": "", "closed_on": "2026-03-01"})
    assert SupportCase.objects.get(pk=case.pk).closed_on is None
    response = worker.post(url("case_close", case.pk), {
        "outcome": "reintegrated", "reason": "Đã có việc làm ổn định",
        "closed_on": "2026-03-01"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.closed_on == dt.date(2026, 3, 1) and case.outcome == "reintegrated"

    closed = vi("The case %(code)s was closed on %(date)s; it cannot be changed.") % {
        "code": case.code, "date": "01/03/2026"}
    for name in ("case_edit", "service_add", "visit_add", "follow_up_add", "case_refer",
                 "case_close", "case_workers"):
        for method in ("get", "post"):
            response = getattr(worker, method)(url(name, case.pk), follow=True)
            assert response.status_code == 200, name
            assert closed in text(response), (name, method)
    assert not case.services.exists() and not case.visits.exists()
    html = text(worker.get(url("case_detail", case.pk)))
    assert vi("reintegrated") in html and "Đã có việc làm ổn định" in html
    assert url("service_add", case.pk) not in html


# --- Narratives are text --------------------------------------------------------------------

def test_html_in_narratives_is_shown_as_text(tree: Any, users: Any, client_for: Any,
                                             colleague: Any) -> None:
    worker_user = users["case_worker"]
    person = register(tree.commune_a, full_name=f"Nguyễn {SCRIPT}", address=SCRIPT,
                      other_names=SCRIPT)
    consent(person)
    case = open_case(tree.commune_a, worker_user, person=person, needs=SCRIPT, plan=SCRIPT)
    actions.add_service(actor=worker_user, case=case, type="medical", provider=SCRIPT,
                        date=dt.date(2026, 2, 1))
    actions.log_visit(actor=worker_user, case=case, kind="visit", date=dt.date(2026, 2, 2),
                      notes=SCRIPT)
    actions.add_follow_up(actor=worker_user, case=case, what=SCRIPT,
                          due_on=timezone.localdate() + dt.timedelta(days=1))
    health = Agency.objects.get(code="so-y-te")
    consent(person, "referral", agency=health)
    referral = actions.refer(actor=worker_user, case=case, agency=health, contact=SCRIPT,
                             referred_on=dt.date(2026, 2, 3))
    actions.record_answer(actor=worker_user, referral=referral, answer=SCRIPT,
                          answered_on=dt.date(2026, 2, 4))
    actions.view_identity(actor=colleague, person=person, reason=f"Cần gọi gấp {SCRIPT}",
                          category="danger", case=case)
    client = client_for(worker_user)
    reviewer = client_for(make_user("hotro.tinh", Role.CASE_WORKER, tree.province))
    pages = [client.get(url("case_detail", case.pk)),
             client.post(url("person_identity", person.pk)),
             reviewer.get(url("breakglass_list")),
             client.post(url("person_export_print", person.pk))]
    actions.close_case(actor=worker_user, case=case, outcome="moved", reason=SCRIPT)
    pages.append(client.get(url("case_detail", case.pk)))
    for page in pages:
        html = text(page)
        assert SCRIPT not in html
        assert "&lt;script&gt;" in html


# --- Counts for the levels above ------------------------------------------------------------

def test_counts_show_numbers_only(case: SupportCase, tree: Any, users: Any,
                                  client_for: Any) -> None:
    open_case(tree.commune_b, None, kind="high_risk", full_name="Hà Thị Lan")
    closed = open_case(tree.commune_a, None, kind="high_risk", full_name="Vi Thị Nga")
    actions.close_case(actor=None, case=closed, outcome="refused", reason="Không muốn")
    viewer = client_for(users["viewer"])
    assert viewer.get(url("case_list")).status_code == 404
    html = text(viewer.get(url("case_counts")))
    assert tree.commune_a.name in html and tree.commune_b.name in html
    assert case.code not in html and case.person.code not in html and NAME not in html
    # counts of people through the disclosure-control layer: the viewer may not open the
    # cases, so no count of 1-4 shows (decision 0019)
    row = re.search(rf"{tree.commune_a.name}.*?</tr>", html, re.S).group(0)
    shown = re.findall(r'<td class="num">([^<]*)</td>', row)
    assert len(shown) == 8 and set(shown) <= {"0", privacy.MARK}
    assert "protection-legend" in html
    # the province officer may open them: exact
    exact = text(client_for(users["province_officer"]).get(url("case_counts")))
    row = re.search(rf"{tree.commune_a.name}.*?</tr>", exact, re.S).group(0)
    assert re.findall(r'<td class="num">(\d+)</td>', row) == ["1", "0", "0", "0", "0", "1",
                                                               "0", "0"]
    drill = text(viewer.get(url("unit_case_counts", tree.commune_a.pk)))
    assert tree.branch_a1.name in drill
    assert viewer.get(url("unit_case_counts", tree.other_province.pk)).status_code == 404
    assert viewer.get(url("case_counts") + f"?unit={tree.other_province.pk}").status_code \
        == 404
    assert client_for(users["editor"]).get(url("case_counts")).status_code == 404


# --- Every route declares its access; the matrix rows given to the project ------------------

def test_every_case_route_declares_its_access() -> None:
    def walk(patterns: list[Any], prefix: str = "") -> list[tuple[str, Any]]:
        found = []
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                found += walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                found.append((prefix + str(pattern.pattern), pattern.callback))
        return found

    routes = [(r, v) for r, v in walk(get_resolver().url_patterns) if r.startswith("cases/")]
    assert len(routes) > 25
    assert all(getattr(v, ACCESS_ATTR, None) for r, v in routes), [
        r for r, v in routes if not getattr(v, ACCESS_ATTR, None)]


ROLES = ["system_admin", "province_officer", "commune_officer", "branch_head", "speaker",
         "case_worker", "editor", "publisher", "auditor", "viewer"]


def test_the_rows_name_every_role() -> None:
    assert set(rows.ALLOWED) == set(ROLES)
    assert set().union(*rows.ALLOWED.values()) <= set(rows.TARGETS)
    assert set(rows.METHODS) <= set(rows.TARGETS)


@pytest.mark.parametrize("role", ROLES)
def test_access_matrix_rows(role: str, tree: Any, users: Any, client_for: Any) -> None:
    """The rows given to ``tests/test_access_matrix.py``, run the way it runs them, with the
    POST targets posted."""
    rows.setup(tree, users)
    client = client_for(users[role])
    wrong = []
    for target in sorted(rows.TARGETS):
        for inside in (True, False):
            target_url = rows.TARGETS[target](tree, users, inside)
            status = getattr(client, rows.METHODS.get(target, "get"))(target_url).status_code
            if target in rows.ALLOWED[role] and (inside or target in rows.UNSCOPED):
                ok = status == 200
            else:
                ok = status == 404 and AuditEvent.objects.filter(
                    action="access.refused", outcome=Outcome.REFUSED, actor=users[role],
                    target_label=target_url).exists()
            if not ok:
                wrong.append((target, "in" if inside else "out", status))
            if target in rows.METHODS:  # never by GET
                assert client.get(target_url).status_code == 405
    assert not wrong, (role, wrong)
