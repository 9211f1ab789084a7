"""Each step on a situation or a case is done once however often its form is sent (a double
press, a page sent again after a lost answer): the trafficking process recorded once, a
situation escalated, verified, answered and closed once, a case closed once; the second press
is told "already saved", never refused (a 404 and a refusal in the audit trail in her name,
right after her step succeeded) nor done again (a situation escalated a level further)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, override

from ctip.audit.models import AuditEvent
from ctip.cases.models import Agency, Referral, Situation, SupportCase, TraffickingEvent
from ctip.core.idempotency import already_saved
from tests.cases.case_helpers import open_case
from tests.cases.test_situation_views import report, step
from tests.cases.test_trafficking import GOOD

pytestmark = pytest.mark.django_db


def already() -> str:
    with override("vi"):
        return gettext(already_saved())


def twice(client: Any, url: str, data: dict[str, Any]) -> Any:
    """The same form sent twice: the answer to the second, followed."""
    first = client.post(url, data)
    assert first.status_code == 302, first.content.decode()[:3000]
    return client.post(url, data, follow=True)


def test_a_situation_escalated_twice_goes_up_once(tree: Any, users: Any,
                                                  client_for: Any) -> None:
    situation = report(tree, users)
    officer = client_for(users["commune_officer"])
    second = twice(officer, step(situation, "escalate"), {
        "escalate-idempotency_key": str(uuid.uuid4()), "escalate-note": "Chuyển Hội tỉnh"})
    assert second.status_code == 200 and already() in second.content.decode()
    situation.refresh_from_db()
    assert situation.handling_unit == tree.province
    assert list(situation.events.values_list("kind", flat=True)) == ["received", "escalated"]
    assert not AuditEvent.objects.filter(actor=users["commune_officer"],
                                         action="access.refused").exists()
    # the province, which handles it now: its step sent twice is done once too
    province = client_for(users["province_officer"])
    second = twice(province, step(situation, "verify"), {
        "verify-idempotency_key": str(uuid.uuid4()), "verify-note": "Đã gọi cho gia đình"})
    assert already() in second.content.decode()
    assert list(situation.events.values_list("kind", flat=True)) == [
        "received", "escalated", "verifying"]


def test_an_answer_and_a_closing_sent_twice_are_recorded_once(tree: Any, users: Any,
                                                              client_for: Any) -> None:
    situation = report(tree, users)
    officer = client_for(users["commune_officer"])
    today = timezone.localdate().isoformat()
    assert officer.post(step(situation, "refer"), {
        "refer-agency": Agency.objects.get(code="cong-an-xa").pk,
        "refer-referred_on": today, "refer-contact": "Trung úy A"}).status_code == 302
    referral = Referral.objects.get()
    answer = reverse("cases:referral_answer", args=[situation.pk, referral.pk])
    prefix = f"answer-{referral.pk}"
    second = twice(officer, answer, {f"{prefix}-idempotency_key": str(uuid.uuid4()),
                                     f"{prefix}-answer": "Đã ngăn chặn",
                                     f"{prefix}-answered_on": today})
    assert already() in second.content.decode()
    second = twice(officer, step(situation, "close"), {
        "close-idempotency_key": str(uuid.uuid4()), "close-outcome": "Đã ngăn chặn kịp thời"})
    assert already() in second.content.decode()
    situation.refresh_from_db()
    assert situation.state == Situation.State.CLOSED
    assert list(situation.events.values_list("kind", flat=True)) == [
        "received", "referred", "answered", "closed"]
    assert AuditEvent.objects.filter(action="referral.answered").count() == 1


def test_the_trafficking_process_and_a_closing_sent_twice_are_recorded_once(
        tree: Any, users: Any, client_for: Any) -> None:
    case = open_case(tree.commune_a, users["case_worker"], full_name="Lò Thị Xuân")
    worker = client_for(users["case_worker"])
    second = twice(worker, reverse("cases:trafficking_add", args=[case.pk]),
                   {**GOOD, "idempotency_key": str(uuid.uuid4())})
    assert already() in second.content.decode()
    assert TraffickingEvent.objects.filter(person=case.person).count() == 1
    assert AuditEvent.objects.filter(action="case.trafficking_recorded").count() == 1

    second = twice(worker, reverse("cases:case_close", args=[case.pk]), {
        "idempotency_key": str(uuid.uuid4()), "outcome": "reintegrated",
        "reason": "Đã có việc làm ổn định", "closed_on": "2026-03-01"})
    text = second.content.decode()
    # told it is saved, not that a closed case can no longer be changed
    assert already() in text and 'class="message error"' not in text
    assert SupportCase.objects.get(pk=case.pk).outcome == "reintegrated"
    assert AuditEvent.objects.filter(action="case.closed").count() == 1


def test_a_step_page_shown_again_with_another_entry_is_not_taken_for_a_repeat(
        tree: Any, users: Any, client_for: Any) -> None:
    """The page shown again from the browser's memory (Back) carries the key of the entry she
    saved; she types another event into it. It is not "already saved" (her second event
    dropped without a word): she is told the page was used, and her values stay to save."""
    case = open_case(tree.commune_a, users["case_worker"], full_name="Lò Thị Xuân")
    worker = client_for(users["case_worker"])
    url = reverse("cases:trafficking_add", args=[case.pk])
    key = str(uuid.uuid4())
    assert worker.post(url, {**GOOD, "idempotency_key": key}).status_code == 302
    another = worker.post(url, {**GOOD, "idempotency_key": key, "exploitation_country": "TH"})
    text = another.content.decode()
    assert another.status_code == 200 and already() not in text
    assert "Trang nhập này đã được dùng để lưu một mục khác" in text
    assert TraffickingEvent.objects.filter(person=case.person).count() == 1
