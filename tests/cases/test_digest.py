"""The daily digest: who gets what, by e-mail and in the application, and that it never carries
a narrative, a name or an address."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from django.utils.translation import override

from ctip.accounts.models import User
from ctip.audit.models import AuditEvent
from ctip.cases import actions
from ctip.cases.digest import build_digests, deadline_text
from ctip.cases.models import Agency, Notification, Situation
from ctip.cases.tasks import run_daily_digest, send_daily_digest
from ctip.units.actions import create_unit
from tests.conftest import make_user, unit_type

SCRIPT = "<script>alert(1)</script>"
SECRET_TEXT = "Chị Lan bị dụ sang Campuchia"
SECRET_ADDRESS = "Số 12 đường Hùng Vương"
SECRET_CONTACT = "0912345678"
PERSON_NAME = "Trần Thị Mai"


@pytest.fixture
def mailboxes(users: Any) -> dict[str, str]:
    addresses = {"commune_officer": "xa@example.org", "province_officer": "tinh@example.org",
                 "branch_head": "chihoi@example.org", "case_worker": "hotro@example.org"}
    for role, address in addresses.items():
        User.objects.filter(pk=users[role].pk).update(email=address)
    return addresses


def overdue(situation: Situation, hours: int = 5) -> Situation:
    Situation.objects.filter(pk=situation.pk).update(
        due_at=timezone.now() - dt.timedelta(hours=hours))
    situation.refresh_from_db()
    return situation


def due_in(situation: Situation, hours: int) -> Situation:
    Situation.objects.filter(pk=situation.pk).update(
        due_at=timezone.now() + dt.timedelta(hours=hours))
    situation.refresh_from_db()
    return situation


def staff(unit: Any) -> None:
    """Somebody who handles situations at ``unit`` itself, so that what is reported there is
    handled there (otherwise it goes up to the commune: ``cases.routing``)."""
    make_user(f"xuly{unit.pk}", "commune_officer", unit)


@pytest.fixture
def situations(tree: Any, users: Any) -> dict[str, Situation]:
    staff(tree.branch_a1)
    person = actions.create_person(actor=users["case_worker"], unit=tree.commune_a,
                                   full_name=PERSON_NAME, birth_year=2003)
    branch = actions.create_situation(
        actor=users["branch_head"], unit=tree.branch_a1, category="suspected_trafficking",
        urgency="urgent", source="member", description=f"{SECRET_TEXT} {SCRIPT}",
        address=f"{SECRET_ADDRESS} {SCRIPT}", reporter_contact=SECRET_CONTACT,
        persons=[person])
    commune = actions.create_situation(
        actor=users["commune_officer"], unit=tree.commune_a, category="missing",
        source="officer", description=f"{SECRET_TEXT} lần hai")
    later = actions.create_situation(
        actor=users["commune_officer"], unit=tree.commune_a, category="recruitment",
        source="officer", description="Không gấp")
    return {"branch": overdue(branch), "commune": due_in(commune, 6),
            "later": due_in(later, 100)}


def messages_to(address: str) -> list[Any]:
    return [m for m in mail.outbox if address in m.to]


def html_of(message: Any) -> str:
    (content, mimetype), = message.alternatives
    assert mimetype == "text/html"
    return content


def test_the_digest_lists_codes_and_deadlines_and_nothing_sensitive(
        situations: dict[str, Situation], users: Any, mailboxes: dict[str, str]) -> None:
    result = send_daily_digest.enqueue()  # the immediate backend runs it at once in tests
    assert result.return_value["emails"] >= 1

    (message,) = messages_to(mailboxes["commune_officer"])
    html = html_of(message)
    for part in (message.subject, message.body, html):
        for secret in (SECRET_TEXT, SECRET_ADDRESS, SECRET_CONTACT, PERSON_NAME, "Campuchia",
                       "Hùng Vương", "alert(1)", "&lt;script&gt;", "<script"):
            assert secret not in part, (secret, part)
    for part in (message.body, html):
        assert situations["branch"].code in part  # overdue
        assert situations["commune"].code in part  # due within 24 hours
        assert situations["later"].code not in part  # due in 100 hours
        assert timezone.localtime(situations["branch"].due_at).strftime("%d/%m/%Y %H:%M") in part
        assert "Xã Đức Hòa" in part and "Chi hội ấp Mỹ Lộc" in part
    with override("vi"):
        assert str(situations["branch"].get_category_display()) in message.body

    # the in-app row says the same, with a link to the inbox
    note = Notification.objects.get(user=users["commune_officer"])
    assert note.kind == "digest" and note.read_at is None
    assert situations["branch"].code in note.body and SECRET_TEXT not in note.body
    assert note.url.endswith("/situations/inbox/")
    assert AuditEvent.objects.filter(action="situation.digest_sent").exists()


def test_recipients_are_those_who_handle_and_the_level_above_for_overdue(
        situations: dict[str, Situation], users: Any, mailboxes: dict[str, str]) -> None:
    run_daily_digest()
    recipients = {a for m in mail.outbox for a in m.to}
    # the branch head reports but does not handle; the case worker does not handle either
    assert mailboxes["branch_head"] not in recipients
    assert mailboxes["case_worker"] not in recipients
    # nothing overdue is handled by the commune itself: the province is not bothered
    assert mailboxes["province_officer"] not in recipients
    assert not Notification.objects.filter(user=users["other_officer"]).exists()

    # once a commune's own situation is overdue, the province hears of it too
    mail.outbox.clear()
    overdue(situations["commune"])
    run_daily_digest(force=True)
    (to_province,) = messages_to(mailboxes["province_officer"])
    assert situations["commune"].code in to_province.body
    assert situations["branch"].code not in to_province.body  # two levels down: the commune's


def test_referred_and_closed_situations_are_left_out(
        situations: dict[str, Situation], tree: Any, users: Any) -> None:
    officer = users["commune_officer"]
    actions.close_situation(actor=officer, situation=situations["commune"], outcome="Đã tìm thấy")
    police = Agency.objects.get(code="cong-an-xa")
    plain = actions.create_situation(actor=officer, unit=tree.commune_a, source="officer",
                                     category="other", description="x")
    actions.refer(actor=officer, situation=overdue(plain), agency=police,
                  referred_on=timezone.localdate())
    digests = {d.user.pk: d for d in build_digests()}
    codes = {i.code for s in digests[officer.pk].sections for i in s.overdue + s.due_soon}
    assert codes == {situations["branch"].code}


def test_unit_names_are_escaped_in_the_html_part(tree: Any, users: Any,
                                                 mailboxes: dict[str, str]) -> None:
    branch = create_unit(actor=None, parent=tree.commune_a, name=f"Ấp <b>Mới</b> {SCRIPT}",
                         unit_type=unit_type("branch"))
    staff(branch)
    overdue(actions.create_situation(actor=users["commune_officer"], unit=branch,
                                     category="missing", source="officer", description="x"))
    run_daily_digest()
    (message,) = messages_to(mailboxes["commune_officer"])
    html = html_of(message)
    assert SCRIPT not in html and "<b>Mới</b>" not in html
    assert "&lt;b&gt;Mới&lt;/b&gt;" in html
    assert "<b>Mới</b>" in message.body  # plain text stays as typed


def test_it_runs_once_a_day_unless_forced(situations: dict[str, Situation], users: Any,
                                          mailboxes: dict[str, str]) -> None:
    first = run_daily_digest()
    assert first["notifications"] >= 1 and first["skipped"] == 0
    sent = len(mail.outbox)
    second = run_daily_digest()
    assert second["notifications"] == 0 and second["skipped"] == first["recipients"]
    assert len(mail.outbox) == sent
    assert run_daily_digest(force=True)["notifications"] == first["notifications"]


def test_people_without_an_address_get_the_in_app_row_only(
        situations: dict[str, Situation], users: Any) -> None:
    counts = run_daily_digest()
    assert counts["emails"] == 0 and not mail.outbox
    assert Notification.objects.filter(user=users["commune_officer"]).count() == 1


def test_a_failing_mailbox_does_not_stop_the_others(
        situations: dict[str, Situation], users: Any, mailboxes: dict[str, str],
        monkeypatch: Any) -> None:
    from django.core.mail import EmailMultiAlternatives

    from ctip.core import mail as core_mail

    original = EmailMultiAlternatives.send
    failing = set(mailboxes.values())
    attempts: list[str] = []

    def broken(self: Any, fail_silently: bool = False) -> int:
        attempts.extend(self.to)
        if set(self.to) & failing:
            raise OSError("SMTP down")
        return original(self, fail_silently)

    monkeypatch.setattr(EmailMultiAlternatives, "send", broken)
    counts = run_daily_digest()
    assert counts["notifications"] >= 1 and counts["emails"] >= 1
    # each failing message was tried again (as new tasks) up to the limit, then given up
    assert len(attempts) == counts["emails"] * core_mail.settings.CTIP_MAIL_ATTEMPTS
    assert not mail.outbox
    # and the queue goes on: the next message is delivered
    core_mail.queue_mail(subject="Kiểm tra", body="Nội dung", to=["khac@example.org"])
    assert [m.to for m in mail.outbox] == [["khac@example.org"]]


def test_nothing_due_sends_nothing(tree: Any, users: Any, mailboxes: dict[str, str]) -> None:
    assert run_daily_digest()["recipients"] == 0
    assert not mail.outbox and not Notification.objects.exists()


def test_the_command_runs_or_enqueues_it(situations: dict[str, Situation],
                                         mailboxes: dict[str, str]) -> None:
    out = StringIO()
    call_command("cases", "digest", stdout=out)
    assert "1 e-mail(s) queued" in out.getvalue()
    out = StringIO()
    call_command("cases", "digest", "--enqueue", stdout=out)
    assert "Enqueued" in out.getvalue()


def test_the_scheduler_finds_the_task() -> None:
    from django.utils.module_loading import import_string

    from ctip.core.scheduler import JOBS

    (job,) = [j for j in JOBS if j.name == "cases.daily_digest"]
    assert import_string(job.task) is send_daily_digest


@pytest.mark.parametrize("delta, words", [
    (dt.timedelta(hours=3, minutes=5), "in 3 h"),
    (-dt.timedelta(hours=5, minutes=1), "5 h late"),
    (dt.timedelta(minutes=40, seconds=30), "in 40 min"),
    (-dt.timedelta(days=3, hours=1), "3 days late"),
    (dt.timedelta(days=1, hours=1), "in 25 h"),
])
def test_deadline_words(delta: dt.timedelta, words: str) -> None:
    now = timezone.now()
    with override("en"):
        assert deadline_text(now + delta, now) == words
    assert deadline_text(None) == ""
