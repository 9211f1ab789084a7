"""The trafficking process on a case (HTCDS 2.0, decision 0031): recorded by the case worker
with the person's consent, coded to lists with Vietnamese labels, several events per person,
bad dates and countries refused with the reason (nothing saved, nothing the worker typed lost),
unknown kept as unknown, the place of exploitation shown only to her case workers, audited,
404 outside scope."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from django.utils.translation import gettext, override

from ctip.audit.models import AuditEvent
from ctip.cases import actions
from ctip.cases.models import Person, SupportCase, TraffickingEvent
from ctip.core.errors import ActionError
from tests.cases.case_helpers import consent, open_case, register
from tests.conftest import make_user

PLACE = "Đặc khu Kinh tế Sihanoukville, khu nhà số 7"
GOOD = {
    "status": "actual", "decided_by": "border_guard", "decided_on": "2026-02-03",
    "recruitment_methods": ["social_network"], "recruited_on": "2025-06-01",
    "recruitment_country": "VN", "recruitment_province": "80",
    "recruiter_relation": "stranger",
    "means_of_control": ["debt", "documents", "confinement"],
    "exploitation": ["scam_compound"], "exploitation_country": "KH",
    "exploitation_place": PLACE,
    "exploitation_start": "2025-06-10", "exploitation_end": "2026-01-20",
    "returned_on": "2026-02-02", "return_means": "handed_over", "border_gate": "moc_bai",
}


def vi(message: str) -> str:
    with override("vi"):
        return gettext(message)


@pytest.fixture
def case(tree: Any, users: Any) -> SupportCase:
    return open_case(tree.commune_a, users["case_worker"], full_name="Lò Thị Xuân")


def _add(case: SupportCase) -> str:
    return reverse("cases:trafficking_add", args=[case.pk])


def test_the_worker_records_the_process_and_everyone_with_the_case_sees_it_coded(
        case: SupportCase, tree: Any, users: Any, client_for: Any) -> None:
    worker = client_for(users["case_worker"])
    form = worker.get(_add(case))
    html = form.content.decode()
    assert form.status_code == 200
    # the lists carry Vietnamese labels and the regional extensions
    assert vi("forced criminality in an online scam compound") in html
    assert "Mộc Bài (Tây Ninh – Campuchia)" in html and "Campuchia" in html
    assert 'type="date"' in html and 'type="checkbox"' in html

    done = worker.post(_add(case), GOOD)
    assert done.status_code == 302 and done["Location"].endswith("#trafficking")
    event = TraffickingEvent.objects.get()
    assert event.person == case.person and event.unit_path == case.unit_path
    assert event.means_of_control == ["confinement", "debt", "documents"]
    assert event.exploitation_country == "KH" and event.border_gate == "moc_bai"
    assert event.labour_industry == "" and event.sex_exploitation == []
    audit = AuditEvent.objects.filter(action="case.trafficking_recorded").get()
    assert audit.actor == users["case_worker"]
    assert PLACE not in str(audit.changes) and audit.changes["recruited_on"] == 2025

    page = worker.get(reverse("cases:case_detail", args=[case.pk])).content.decode()
    assert vi("debt bondage") in page and "Campuchia" in page and PLACE in page
    # someone who sees the case by code (no case.manage) sees the codes, not the place
    officer = client_for(users["commune_officer"])
    page = officer.get(reverse("cases:case_detail", args=[case.pk])).content.decode()
    assert vi("debt bondage") in page and PLACE not in page


def test_several_events_per_person_and_correction(case: SupportCase, users: Any,
                                                  client_for: Any) -> None:
    worker = client_for(users["case_worker"])
    worker.post(_add(case), GOOD)
    second = {**GOOD, "recruited_on": "2023-01-05", "exploitation_start": "2023-02-01",
              "exploitation_end": "2023-08-01", "returned_on": "2023-08-15",
              "exploitation": ["forced_marriage"], "exploitation_country": "CN",
              "border_gate": "mong_cai", "recruiter_relation": "broker",
              "recruitment_methods": ["broker"]}
    assert worker.post(_add(case), second).status_code == 302
    assert case.person.trafficking_events.count() == 2
    event = case.person.trafficking_events.get(exploitation_country="CN")
    edit = reverse("cases:trafficking_edit", args=[case.pk, event.pk])
    assert 'value="CN" selected' in worker.get(edit).content.decode()
    assert worker.post(edit, {**second, "exploitation_country": "TW"}).status_code == 302
    event.refresh_from_db()
    assert event.exploitation_country == "TW"
    assert AuditEvent.objects.filter(action="case.trafficking_corrected").get().changes[
        "fields"] == ["exploitation_country"]


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"recruited_on": "2099-01-01"}, "recruited_on", "01/01/2099"),
    ({"exploitation_end": "2025-06-01"}, "exploitation_end",
     "The exploitation cannot end before it began."),
    ({"returned_on": "2025-05-01", "exploitation_start": "", "exploitation_end": ""},
     "returned_on", "The return cannot be before the recruitment."),
    ({"returned_on": "2025-12-01"}, "exploitation_end",
     "The exploitation cannot end after the return."),
    ({"exploitation_start": "2025-05-01"}, "exploitation_start",
     "The exploitation cannot begin before the recruitment."),
])
def test_dates_out_of_order_are_refused_with_the_reason_and_nothing_is_lost(
        case: SupportCase, users: Any, client_for: Any, change: dict[str, str], field: str,
        message: str) -> None:
    worker = client_for(users["case_worker"])
    answer = worker.post(_add(case), {**GOOD, **change})
    html = answer.content.decode()
    assert answer.status_code == 200 and not TraffickingEvent.objects.exists()
    assert (vi(message) if "/" not in message else message) in html
    assert PLACE in html  # what she typed is still in the form


def test_a_country_that_does_not_exist_is_refused(case: SupportCase, users: Any) -> None:
    for field in ("exploitation_country", "recruitment_country"):
        with pytest.raises(ActionError) as refused:
            actions.record_trafficking_event(actor=users["case_worker"], case=case,
                                             **{field: "ZZ"})
        assert refused.value.field == field and "ISO 3166" in refused.value.message
    with pytest.raises(ActionError):
        actions.record_trafficking_event(actor=users["case_worker"], case=case,
                                         exploitation=["unknown", "sexual"])
    with pytest.raises(ActionError):
        actions.record_trafficking_event(actor=users["case_worker"], case=case,
                                         exploitation=["sexual"], labour_industry="C")
    with pytest.raises(ActionError):
        actions.record_trafficking_event(actor=users["case_worker"], case=case,
                                         recruitment_country="KH", recruitment_province="80")
    assert not TraffickingEvent.objects.exists()


def test_unknown_stays_unknown(case: SupportCase, users: Any, client_for: Any) -> None:
    assert client_for(users["case_worker"]).post(_add(case), {}).status_code == 302
    event = TraffickingEvent.objects.get()
    assert event.status == event.decided_by == event.recruiter_relation == "unknown"
    assert event.recruitment_methods == event.exploitation == event.means_of_control == [
        "unknown"]
    assert event.exploitation_country == "unknown" and event.border_gate == "unknown"
    assert event.recruited_on is None


def test_forced_labour_and_sexual_exploitation_carry_their_types(
        case: SupportCase, users: Any) -> None:
    event = actions.record_trafficking_event(
        actor=users["case_worker"], case=case, exploitation=["forced_labour", "sexual"],
        labour_industry="A_fishing", sex_exploitation=["prostitution"])
    assert event.labour_industry == "A_fishing" and event.sex_exploitation == ["prostitution"]
    event = actions.record_trafficking_event(actor=users["case_worker"], case=case,
                                             exploitation=["forced_labour", "sexual"])
    assert event.labour_industry == "unknown" and event.sex_exploitation == ["unknown"]


def test_without_consent_or_outside_scope_nothing_is_recorded(
        tree: Any, users: Any, client_for: Any) -> None:
    person = register(tree.commune_a, full_name="Hà Thị Lan")
    given = consent(person)
    case = open_case(tree.commune_a, users["case_worker"], person=person)
    actions.withdraw_consent(actor=None, consent=given)
    answer = client_for(users["case_worker"]).post(_add(case), GOOD)
    assert answer.status_code == 200 and person.code in answer.content.decode()
    assert not TraffickingEvent.objects.exists()

    other = open_case(tree.other_commune, None, full_name="Nông Thị Hạnh")
    assert client_for(users["case_worker"]).get(_add(other)).status_code == 404
    assert client_for(users["case_worker"]).post(_add(other), GOOD).status_code == 404
    # someone who sees cases but does not manage them
    assert client_for(users["commune_officer"]).get(_add(case)).status_code in (403, 404)
    outsider = make_user("hotro.cb", "case_worker", tree.other_commune)
    inside = open_case(tree.commune_a, users["case_worker"], full_name="Đỗ Thị Bình")
    event = actions.record_trafficking_event(actor=users["case_worker"], case=inside)
    edit = reverse("cases:trafficking_edit", args=[inside.pk, event.pk])
    assert client_for(outsider).get(edit).status_code == 404
    wrong = reverse("cases:trafficking_edit", args=[case.pk, event.pk])
    assert client_for(users["case_worker"]).get(wrong).status_code in (302, 404)


def test_ethnicity_and_citizenship_are_coded(tree: Any, users: Any) -> None:
    person = register(tree.commune_a, ethnic_group="08", citizenship="vn")
    assert (person.ethnic_group, person.citizenship) == ("08", "VN")
    with pytest.raises(ActionError):
        register(tree.commune_a, full_name="Vàng Thị Mỷ", ethnic_group="Mông")
    with pytest.raises(ActionError):
        register(tree.commune_a, full_name="Vàng Thị Mỷ", citizenship="XX")
    assert Person.objects.get(pk=person.pk).ethnic_group == "08"


def test_the_demo_records_the_process_of_its_invented_victims(db: Any, monkeypatch: Any
                                                              ) -> None:
    from ctip.accounts.models import User
    from ctip.demo.cases import build_cases
    from ctip.demo.org import build_org
    from ctip.demo.users import build_users
    from ctip.reports import ctdc

    monkeypatch.setenv("CTIP_DEMO_PASSWORD", "demo-password-for-tests")
    province = build_org(None)
    build_users(province)
    build_cases(province, User.objects.get(username="canbo.tinh"))
    events = TraffickingEvent.objects.all()
    assert events.count() == 3
    assert {e.exploitation_country for e in events} == {"KH", "CN"}
    assert events.filter(exploitation=["scam_compound"], border_gate="moc_bai").count() == 2
    # the victim who consented to statistics leaves one row, with both events
    rows = ctdc.contribution_rows(province)
    assert len(rows) == 1 and rows[0]["isForcedMarriage"] == 1
    assert rows[0]["typeOfLabourIllicitActivities"] == 1
