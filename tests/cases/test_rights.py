"""The person's rights: everything held about her exported (JSON, printable page, PDF) for an
assigned case worker only; correction audited without values; anonymisation on request and
automatically after the retention period, keeping the statistics."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import sys
from io import StringIO
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext, override

from ctip.accounts.capabilities import Role
from ctip.audit.models import AuditEvent
from ctip.cases import actions, rights
from ctip.cases.models import Agency, AnonymisationRequest, Consent, Person, SupportCase
from ctip.cases.rights import years_before
from ctip.core.errors import ActionError
from tests.cases.case_helpers import consent, open_case, register
from tests.conftest import make_user, needs

NAME = "Hoàng Thị Thu Trang"
PHONE = "0966554433"
ID_NUMBER = "066200112233"
ADDRESS = "Số 12, ấp Bình Thủy"
VISIT = "Đã gặp, chị muốn học nghề may"
ANSWER = "Sở Y tế đã tiếp nhận và khám"


def vi(message: str) -> str:
    """The message as a page shows it: in Vietnamese, HTML-escaped."""
    with override("vi"):
        return escape(gettext(message))


def url(name: str, *args: Any) -> str:
    return reverse(f"cases:{name}", args=args)


@pytest.fixture
def case(tree: Any, users: Any) -> SupportCase:
    worker = users["case_worker"]
    person = register(tree.commune_a, full_name=NAME, phone=PHONE, id_number=ID_NUMBER,
                      address=ADDRESS, birth_year=1996, guardian="")
    actions.record_consent(actor=worker, person=person, purpose="support",
                           given_on=dt.date(2026, 1, 5), given_by="person",
                           evidence=SimpleUploadedFile("dong-y.pdf", b"%PDF-1.4 ky ten"))
    health = Agency.objects.get(code="so-y-te")
    consent(person, "referral", agency=health)
    shared = consent(person, "share_above")
    actions.withdraw_consent(actor=worker, consent=shared, on=dt.date(2026, 2, 1))
    case = open_case(tree.commune_a, worker, person=person, needs="Cần việc làm",
                     plan="Học nghề, vay vốn", risk_factors=["no_job", "poverty"])
    actions.add_service(actor=worker, case=case, type="hardship_allowance",
                        provider="UBND xã", date=dt.date(2026, 2, 3), amount=1_500_000,
                        status="delivered")
    actions.log_visit(actor=worker, case=case, kind="visit", date=dt.date(2026, 2, 4),
                      notes=VISIT)
    actions.add_follow_up(actor=worker, case=case, what="Thăm lại sau một tháng",
                          due_on=timezone.localdate() + dt.timedelta(days=20))
    referral = actions.refer(actor=worker, case=case, agency=health,
                             referred_on=dt.date(2026, 2, 5), contact="BS. An")
    actions.record_answer(actor=worker, referral=referral, answer=ANSWER,
                          answered_on=dt.date(2026, 2, 6))
    return case


def no_values_in_audit() -> None:
    for event in AuditEvent.objects.all():
        blob = repr(event.changes) + event.target_label + event.actor_label
        for secret in (NAME, PHONE, ID_NUMBER, ADDRESS):
            assert secret not in blob, (event.action, secret)


# --- Export ---------------------------------------------------------------------------------

def test_json_export_holds_everything_decrypted_and_is_audited(
        case: SupportCase, users: Any, client_for: Any) -> None:
    client = client_for(users["case_worker"])
    assert client.get(url("person_export_json", case.person.pk)).status_code == 405
    response = client.post(url("person_export_json", case.person.pk))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"] == (
        f'attachment; filename="{case.person.code}.json"')
    assert "no-store" in response["Cache-Control"]
    data = json.loads(response.content)
    person = data["person"]
    assert data["exported_by"] == str(users["case_worker"])
    assert person["code"] == case.person.code
    assert person["identity"]["full_name"] == NAME
    assert person["identity"]["phone"] == PHONE
    assert person["identity"]["id_number"] == ID_NUMBER
    assert person["identity"]["address"] == ADDRESS
    assert person["identity"]["birth_year"] == 1996
    purposes = {(c["purpose"], c["withdrawn_on"]) for c in person["consents"]}
    assert purposes == {("support", None), ("referral", None), ("share_above", "2026-02-01")}
    assert any(c["evidence"] for c in person["consents"])
    [exported] = person["cases"]
    assert exported["code"] == case.code and exported["needs"] == "Cần việc làm"
    assert exported["risk_factors"] == ["no_job", "poverty"]
    assert exported["services"][0]["amount_vnd"] == 1_500_000
    assert exported["services"][0]["amount_text"] == "1.500.000 ₫"
    assert exported["visits"][0]["notes"] == VISIT
    assert exported["follow_ups"][0]["what"] == "Thăm lại sau một tháng"
    assert exported["referrals"][0]["answer"] == ANSWER
    assert exported["referrals"][0]["agency"] == Agency.objects.get(code="so-y-te").name
    assert {"person.created", "consent.recorded", "consent.withdrawn"} <= {
        h["action"] for h in person["history"]}

    event = AuditEvent.objects.get(action="person.exported")
    assert event.actor == users["case_worker"] and event.changes == {"format": "json"}
    assert event.target_label == case.person.code
    no_values_in_audit()


@pytest.mark.parametrize("who", ["colleague", "commune_officer", "province_officer",
                                 "system_admin", "viewer"])
def test_only_an_assigned_worker_may_export(case: SupportCase, tree: Any, users: Any,
                                            client_for: Any, who: str) -> None:
    user = (make_user("hotro2", Role.CASE_WORKER, tree.commune_a) if who == "colleague"
            else users[who])
    client = client_for(user)
    for name in ("person_export_json", "person_export_pdf", "person_export_print"):
        target = url(name, case.person.pk)
        response = client.post(target)
        assert response.status_code == 404, (who, name)
        assert NAME.encode() not in response.content
        assert AuditEvent.objects.filter(action="access.refused", actor=user,
                                         target_label=target).exists()
    assert not AuditEvent.objects.filter(action="person.exported").exists()
    with pytest.raises(ActionError):
        rights.export_json(actor=user, person=case.person)


def test_printable_page_is_ready_for_print_and_audited(case: SupportCase, users: Any,
                                                       client_for: Any) -> None:
    response = client_for(users["case_worker"]).post(url("person_export_print",
                                                         case.person.pk))
    html = response.content.decode()
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    assert NAME in html and PHONE in html and VISIT in html and "1.500.000 ₫" in html
    assert "@page" in html and "@media print" in html and "Be Vietnam Pro" in html
    assert "<script" not in html
    # its inline style carries the nonce of the page's Content-Security-Policy (0024)
    nonce = html.split('<style nonce="', 1)[1].split('"', 1)[0]
    assert f"style-src 'self' 'nonce-{nonce}'" in response["Content-Security-Policy"]
    assert "01/02/2026" in html  # dates as the Union writes them
    assert AuditEvent.objects.get(action="person.exported").changes == {"format": "print"}


def test_pdf_without_weasyprint_says_what_is_missing(case: SupportCase, users: Any,
                                                     client_for: Any, monkeypatch: Any) -> None:
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # import fails as when absent
    with pytest.raises(rights.PdfUnavailable) as err:
        rights.render_pdf("<p>x</p>")
    assert "weasyprint" in str(err.value) and "fontpkg-be-vietnam-pro" in str(err.value)
    client = client_for(users["case_worker"])
    response = client.post(url("person_export_pdf", case.person.pk), follow=True)
    assert response.status_code == 200
    assert vi("PDF output is not installed on this server. Use the printable page and your "
              "browser's “Save as PDF”.") in response.content.decode()
    assert not AuditEvent.objects.filter(action="person.exported").exists()


def _weasyprint_loads() -> bool:
    """What ``rights.render_pdf`` needs: the package and the system library it loads."""
    try:
        importlib.import_module("weasyprint")
    except (ImportError, OSError):
        return False
    return True


def test_pdf_export(case: SupportCase, users: Any, client_for: Any) -> None:
    needs(_weasyprint_loads(), "WeasyPrint or its Pango library is not installed")
    response = client_for(users["case_worker"]).post(url("person_export_pdf",
                                                         case.person.pk))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert response["Content-Disposition"] == (
        f'attachment; filename="{case.person.code}.pdf"')
    assert "no-store" in response["Cache-Control"]
    assert AuditEvent.objects.get(action="person.exported").changes == {"format": "pdf"}


def test_the_font_is_found_in_its_package_or_left_out(monkeypatch: Any, tmp_path: Any) -> None:
    css = rights.font_face_css()
    if importlib.util.find_spec("fontpkg_be_vietnam_pro") is None and \
            importlib.util.find_spec("fontpkg") is None:
        assert css == ""
    else:
        assert "BeVietnamPro-Regular.ttf" in css and "BeVietnamPro-Bold.ttf" in css
    # a package laid out like fontpkg's: the files are found by name
    package = tmp_path / "fontpkg_be_vietnam_pro"
    (package / "files").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    for name in ("BeVietnamPro-Regular.ttf", "BeVietnamPro-Bold.ttf",
                 "BeVietnamPro-SemiBold.ttf", "BeVietnamPro-Italic.ttf",
                 "BeVietnamPro-BoldItalic.ttf", "BeVietnamPro-SemiBoldItalic.ttf"):
        (package / "files" / name).write_bytes(b"\0")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(sys.modules, "fontpkg", None)
    monkeypatch.delitem(sys.modules, "fontpkg_be_vietnam_pro", raising=False)
    files = rights.font_files()
    assert files["regular"].name == "BeVietnamPro-Regular.ttf"
    assert files["bold"].name == "BeVietnamPro-Bold.ttf"
    assert files["italic"].name == "BeVietnamPro-Italic.ttf"
    assert files["bold_italic"].name == "BeVietnamPro-BoldItalic.ttf"
    css = rights.font_face_css()
    assert 'font-family: "Be Vietnam Pro"' in css and "font-weight: 700" in css
    assert "file://" in css


# --- Correction -----------------------------------------------------------------------------

def test_correction_by_the_assigned_worker_is_audited_without_values(
        case: SupportCase, users: Any, client_for: Any) -> None:
    client = client_for(users["case_worker"])
    Person.objects.filter(pk=case.person.pk).update(sex="other")
    page = client.post(url("person_identity", case.person.pk)).content.decode()
    assert '<option value="other" selected>' in page  # the form starts from what is held
    assert f'value="{PHONE}"' in page and f'action="{url("person_correct", case.person.pk)}"' \
        in page
    assert client.get(url("person_correct", case.person.pk)).status_code == 405
    data = {"full_name": "Hoàng Thị Thu Trang B", "phone": "0911000111",
            "id_number": ID_NUMBER, "address": ADDRESS, "birth_year": 1996, "sex": "other"}
    bad = client.post(url("person_correct", case.person.pk), data | {"id_number": "12-AB"})
    assert bad.status_code == 200 and "no-store" in bad["Cache-Control"]
    assert vi("An identity card number has digits only.") in bad.content.decode()
    response = client.post(url("person_correct", case.person.pk), data)
    assert response.status_code == 302
    person = Person.objects.get(pk=case.person.pk)
    assert person.full_name == "Hoàng Thị Thu Trang B" and person.phone == "0911000111"
    event = AuditEvent.objects.get(action="person.corrected")
    assert event.changes == {"fields": ["full_name", "phone"]}
    assert "0911000111" not in repr(event.changes) and "Trang B" not in repr(event.changes)
    no_values_in_audit()
    # the duplicate check knows the new name
    matches = actions.possible_duplicates(actor=users["case_worker"], unit=person.unit,
                                          full_name="hoang thi thu trang b", birth_year=1996)
    assert [m.code for m in matches] == [person.code]


def test_correction_by_someone_not_assigned_is_refused(case: SupportCase, tree: Any,
                                                      client_for: Any) -> None:
    colleague = make_user("hotro2", Role.CASE_WORKER, tree.commune_a)
    response = client_for(colleague).post(url("person_correct", case.person.pk),
                                           {"full_name": "Người khác", "sex": "female"})
    assert response.status_code == 404
    assert Person.objects.get(pk=case.person.pk).full_name == NAME


# --- Anonymisation --------------------------------------------------------------------------

REQUEST_REASON = "Theo yêu cầu của chị ngày 10/03/2026"


def test_anonymise_on_request_takes_four_eyes_then_wipes_and_keeps_counts(
        case: SupportCase, tree: Any, users: Any, client_for: Any) -> None:
    client = client_for(users["case_worker"])
    person = case.person
    form = client.get(url("person_anonymise", person.pk))
    assert form.status_code == 200 and NAME not in form.content.decode()
    wrong = client.post(url("person_anonymise", person.pk), {"reason": "Theo yêu cầu của chị",
                                                             "code": "TN-1999-00000"})
    assert wrong.status_code == 200 and vi("This is not the person's code.") in \
        wrong.content.decode()
    no_reason = client.post(url("person_anonymise", person.pk), {"code": person.code})
    assert no_reason.status_code == 200
    assert not AnonymisationRequest.objects.exists()

    # her assigned worker asks: nothing is wiped yet
    response = client.post(url("person_anonymise", person.pk), {
        "reason": REQUEST_REASON, "code": person.code.lower()})
    assert response.status_code == 302
    assert Person.objects.get(pk=person.pk).full_name == NAME
    request = AnonymisationRequest.objects.get()
    assert request.state == "pending" and request.requested_by == users["case_worker"]
    asked = AuditEvent.objects.get(action="person.anonymisation_requested")
    assert asked.changes["request"] == request.pk and REQUEST_REASON not in repr(asked.changes)
    page = client.get(url("person_anonymise", person.pk)).content.decode()
    assert vi("Ask for anonymisation") not in page  # waiting: no second request

    # she cannot approve her own request, nor can a role without case.manage, nor a unit
    # outside; the approver's list does not offer it to her
    assert url("anonymisation_decide", request.pk) not in client.get(
        url("anonymisation_list")).content.decode()
    assert client.post(url("anonymisation_decide", request.pk),
                       {"decision": "approve"}).status_code == 404
    with pytest.raises(ActionError):
        actions.approve_anonymisation(actor=users["case_worker"], request=request)
    outsider = make_user("hotro.tanan", Role.CASE_WORKER, tree.commune_b)
    for who in (users["commune_officer"], outsider):
        assert client_for(who).post(url("anonymisation_decide", request.pk),
                                    {"decision": "approve"}).status_code == 404
    assert Person.objects.get(pk=person.pk).anonymised_at is None

    # a second case worker of the commune approves
    second = make_user("hotro2", Role.CASE_WORKER, tree.commune_a)
    approver = client_for(second)
    assert url("anonymisation_list") in approver.get(reverse("core:home")).content.decode()
    listing = approver.get(url("anonymisation_list")).content.decode()
    assert person.code in listing and REQUEST_REASON in listing and NAME not in listing
    response = approver.post(url("anonymisation_decide", request.pk), {"decision": "approve"})
    assert response.status_code == 302
    person = Person.objects.get(pk=person.pk)
    assert person.anonymised_at is not None and person.full_name == "—"
    assert person.phone == "" and person.id_number == "" and person.address == ""
    assert person.birth_year == 1996 and person.code == case.person.code
    case = SupportCase.objects.get(pk=case.pk)
    assert case.needs == "" and case.plan == ""
    assert case.visits.get().notes == "" and case.referrals.get().answer == ""
    assert case.follow_ups.get().what == "—"
    assert not Consent.objects.filter(person=person).exclude(evidence="").exists()
    assert AnonymisationRequest.objects.get().reason == ""
    # statistics stay: the case, its services and amounts, the consents' dates
    assert case.services.get().amount == 1_500_000 and case.kind == "returned_victim"
    assert Consent.objects.filter(person=person).count() == 3
    approved = AuditEvent.objects.get(action="person.anonymisation_approved")
    assert approved.actor == second and approved.changes["requested_by"] == "hotro"
    event = AuditEvent.objects.get(action="person.anonymised")
    assert event.actor == second and event.changes == {"request": request.pk}
    for logged in AuditEvent.objects.all():
        assert REQUEST_REASON not in repr(logged.changes), logged.action
    no_values_in_audit()
    # nothing to show any more
    assert client.post(url("person_identity", person.pk)).status_code == 404
    assert client.post(url("person_export_json", person.pk)).status_code == 404
    counts = client_for(users["province_officer"]).get(url("case_counts")).content.decode()
    assert '<td class="num"><strong>1</strong></td>' in counts


def test_a_rejected_anonymisation_wipes_nothing(case: SupportCase, users: Any,
                                                client_for: Any) -> None:
    request = actions.request_anonymisation(actor=users["case_worker"], person=case.person,
                                            reason=REQUEST_REASON)
    with pytest.raises(ActionError):  # one pending request at a time
        actions.request_anonymisation(actor=users["case_worker"], person=case.person,
                                      reason=REQUEST_REASON)
    admin = client_for(users["system_admin"])  # at the province: above the unit
    assert admin.post(url("anonymisation_decide", request.pk),
                      {"decision": "reject"}).status_code == 302
    request.refresh_from_db()
    assert request.state == "rejected" and request.decided_by == users["system_admin"]
    assert Person.objects.get(pk=case.person.pk).full_name == NAME
    assert AuditEvent.objects.filter(action="person.anonymisation_rejected").exists()
    assert not AuditEvent.objects.filter(action="person.anonymised").exists()
    with pytest.raises(ActionError):  # decided once
        actions.approve_anonymisation(actor=users["system_admin"], request=request)
    assert Person.objects.get(pk=case.person.pk).anonymised_at is None


def test_anonymise_needs_the_assigned_worker_and_a_reason(case: SupportCase, tree: Any,
                                                          users: Any, client_for: Any) -> None:
    with pytest.raises(ActionError):
        actions.request_anonymisation(actor=users["case_worker"], person=case.person,
                                      reason=" ")
    # nobody wipes directly, not even the administrator
    for who in ("case_worker", "system_admin"):
        with pytest.raises(ActionError):
            actions.anonymise_person(actor=users[who], person=case.person,
                                     reason=REQUEST_REASON)
    # someone not assigned may not ask: neither an officer nor a colleague who could break
    # the glass, nor the administrator
    colleague = make_user("hotro2", Role.CASE_WORKER, tree.commune_a)
    for who in (users["commune_officer"], colleague, users["system_admin"]):
        with pytest.raises(ActionError):
            actions.request_anonymisation(actor=who, person=case.person,
                                          reason=REQUEST_REASON)
        assert client_for(who).post(
            url("person_anonymise", case.person.pk),
            {"reason": REQUEST_REASON, "code": case.person.code}).status_code == 404
    assert Person.objects.get(pk=case.person.pk).anonymised_at is None
    assert not AnonymisationRequest.objects.exists()


def close_long_ago(case: SupportCase, years_ago: int, days: int = 1) -> None:
    day = years_before(timezone.localdate(), years_ago) - dt.timedelta(days=days)
    actions.close_case(actor=None, case=case, outcome="reintegrated", reason="Ổn định",
                       closed_on=day)


def test_anonymise_due_after_the_retention_period(tree: Any, users: Any,
                                                  settings: Any) -> None:
    long_ago = years_before(timezone.localdate(), 13)
    old = open_case(tree.commune_a, None, full_name="Người Cũ", opened_on=long_ago)
    close_long_ago(old, 11)
    also_old = open_case(tree.commune_a, None, person=old.person, opened_on=long_ago)
    close_long_ago(also_old, 10, days=3)
    mixed = open_case(tree.commune_a, None, full_name="Người Còn Mở", opened_on=long_ago)
    close_long_ago(mixed, 11)
    open_case(tree.commune_a, None, person=mixed.person)  # still open
    recent = open_case(tree.commune_a, None, full_name="Người Gần Đây", opened_on=long_ago)
    close_long_ago(recent, 9)
    no_case = register(tree.commune_a, full_name="Người Không Có Hồ Sơ")

    assert not hasattr(settings, "CTIP_ANONYMISE_AFTER_YEARS") or \
        settings.CTIP_ANONYMISE_AFTER_YEARS == 10
    out = StringIO()
    call_command("persons", "anonymise-due", "--dry-run", stdout=out)
    assert old.person.code in out.getvalue() and "1 person(s) would be" in out.getvalue()
    assert not Person.objects.filter(anonymised_at__isnull=False).exists()

    out = StringIO()
    call_command("persons", "anonymise-due", stdout=out)
    assert old.person.code in out.getvalue()
    anonymised = set(Person.objects.filter(anonymised_at__isnull=False)
                     .values_list("code", flat=True))
    assert anonymised == {old.person.code}
    event = AuditEvent.objects.get(action="person.anonymised")
    assert event.actor is None and "10 years" in event.changes["reason"]
    assert SupportCase.objects.filter(person=old.person).count() == 2

    settings.CTIP_ANONYMISE_AFTER_YEARS = 5
    call_command("persons", "anonymise-due", stdout=StringIO())
    anonymised = set(Person.objects.filter(anonymised_at__isnull=False)
                     .values_list("code", flat=True))
    assert anonymised == {old.person.code, recent.person.code}
    assert Person.objects.get(pk=no_case.pk).anonymised_at is None
    assert Person.objects.get(pk=mixed.person.pk).anonymised_at is None


def test_the_worker_runs_the_retention_daily_and_ctip_check_shows_it(
        tree: Any, users: Any, django_capture_on_commit_callbacks: Any) -> None:
    """Issue 13: the settings said the worker wiped identities daily; no job did."""
    import datetime as dt

    from django.core.management.color import no_style

    from ctip.core.scheduler import JOBS, run_due_jobs
    from ctip.ops import opscheck

    long_ago = years_before(timezone.localdate(), 13)
    old = open_case(tree.commune_a, None, full_name="Người Cũ", opened_on=long_ago)
    close_long_ago(old, 11)
    out = StringIO()
    opscheck._retention(out, no_style(), timezone.now())
    assert "never run yet); 1 person(s) due now." in out.getvalue()

    (job,) = [j for j in JOBS if j.task == "ctip.cases.tasks.anonymise_due"]
    assert job.daily_at is not None
    after = timezone.localtime().replace(hour=job.daily_at.hour, minute=job.daily_at.minute,
                                         second=0, microsecond=0) + dt.timedelta(minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert run_due_jobs(now=after, jobs=[job]) == [job.name]
    assert Person.objects.get(pk=old.person.pk).anonymised_at is not None
    with django_capture_on_commit_callbacks(execute=True):
        assert run_due_jobs(now=after + dt.timedelta(hours=1), jobs=[job]) == []  # once a day
    out = StringIO()
    opscheck._retention(out, no_style(), after)
    assert f"last run {timezone.localtime(after):%d/%m/%Y %H:%M}" in out.getvalue()
    assert "0 person(s) due now." in out.getvalue()
