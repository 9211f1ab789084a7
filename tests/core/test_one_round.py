"""A submission with a field error AND a rule of the action broken learns both in one answer
(decision 0050): the form runs the action's declared rules on its valid inputs when a field
fails, so the summary at the top lists both, with links to the fields, and what was typed is
kept. One case per form kind; each sends one field error and one rule error."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from ctip.core.errors import ActionError
from ctip.core.rules import Rules
from ctip.reports import actions as report_actions
from ctip.reports.models import ReportType
from tests.core.test_every_error_at_once import summary


@dataclass
class Sent:
    """One submission: who sends it, where, what, and what the answer must show."""

    role: str | None  # None: the public, not signed in
    url: str
    data: dict[str, Any]
    # the fields the summary links to: the one that failed and the one the rule names
    links: set[str]
    # words of the rule's refusal, in the summary (the field error is in Django's words)
    rule_words: list[str]
    kept: list[str]
    nothing_saved: Callable[[], bool] = field(default=lambda: True)


def _lock_july(tree: Any, users: Any) -> None:
    """Commune A's July 2026 report approved: its subtree's July is locked."""
    report = report_actions.create_or_get_draft(
        actor=None, unit=tree.commune_a, report_type=ReportType.objects.get(code="monthly"),
        start=dt.date(2026, 7, 1), end=dt.date(2026, 7, 31))
    report_actions.update_narrative(actor=None, report=report, number="12/BC-HPN")
    report = report_actions.submit(actor=users["commune_officer"], report=report)
    report_actions.approve(actor=users["province_officer"], report=report)


def _activity_data(tree: Any, formats: Any, **changes: Any) -> dict[str, Any]:
    return {"date": "2026-07-15", "status": "done", "unit": tree.branch_a1.pk,
            "format": formats["meeting"].pk, "title": "Sinh hoạt ấp Mỹ Lộc",
            "participants_women": "", "participants_men": "", "participants_total": "30",
            "notes": "Mời công an xã"} | changes


def _no_activity() -> bool:
    from ctip.outreach.models import Activity

    return not Activity.objects.exists()


def activity_locked_and_untitled(tree: Any, users: Any, formats: Any) -> Sent:
    """An empty title, a date in a locked period."""
    _lock_july(tree, users)
    return Sent("commune_officer", reverse("outreach:activity_create"),
                _activity_data(tree, formats, title=""), {"id_title", "id_date"},
                ["07/2026"], ["Mời công an xã"], _no_activity)


def activity_numbers_and_untitled(tree: Any, users: Any, formats: Any) -> Sent:
    """An empty title; women and men who add up to more than the total."""
    return Sent("commune_officer", reverse("outreach:activity_create"),
                _activity_data(tree, formats, title="", date="2026-08-03",
                               participants_women="20", participants_men="15",
                               participants_total="30"),
                {"id_title", "id_participants_total"}, ["35"], ["Mời công an xã"],
                _no_activity)


def activity_edit_locked(tree: Any, users: Any, formats: Any) -> Sent:
    """Editing an activity of August: a bad number of women, and a new date in locked July."""
    from tests.conftest import log_activity

    activity = log_activity(tree.branch_a1, formats["meeting"], date=dt.date(2026, 8, 3),
                            title="Sinh hoạt tháng Tám")
    _lock_july(tree, users)
    return Sent("commune_officer", reverse("outreach:activity_edit", args=[activity.pk]),
                _activity_data(tree, formats, participants_women="-4",
                               title="Sinh hoạt tháng Tám sửa"),
                {"id_participants_women", "id_date"}, ["07/2026"],
                ["Sinh hoạt tháng Tám sửa"])


def campaign_untitled_backwards_and_plan_not_a_document(tree: Any, users: Any,
                                                        formats: Any) -> Sent:
    """An empty name; a plan that is a picture, and an end before the start."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from ctip.outreach.models import Campaign

    picture = SimpleUploadedFile("ke-hoach.png", b"\x89PNG\r\n\x1a\n" + b"0" * 64,
                                 content_type="image/png")
    return Sent("commune_officer", reverse("outreach:campaign_create"), {
        "name": "", "unit": tree.commune_a.pk, "starts_on": "2026-09-01",
        "ends_on": "2026-08-01", "description": "Kế hoạch số 7 của xã",
        "plan_document": picture}, {"id_name", "id_ends_on", "id_plan_document"},
        ["ke-hoach.png"], ["Kế hoạch số 7 của xã"], lambda: not Campaign.objects.exists())


def situation_untitled_and_implausible_date(tree: Any, users: Any, formats: Any) -> Sent:
    """Nothing said of what happened; a date before 1990."""
    from ctip.cases.models import Situation

    return Sent("commune_officer", reverse("cases:situation_create"), {
        "category": "recruitment", "urgency": "normal", "description": "",
        "unit": tree.commune_a.pk, "address": "Ấp Bàu Sen", "occurred_on": "1985-03-01",
        "source": "officer", "reporter_contact": ""}, {"id_description", "id_occurred_on"},
        [], ["Ấp Bàu Sen"], lambda: not Situation.objects.exists())


def escalation_note_too_long_in_locked_period(tree: Any, users: Any, formats: Any) -> Sent:
    """A note over its limit; the situation was received in July, now locked."""
    from ctip.cases.actions import create_situation
    from ctip.cases.models import Situation

    found = create_situation(actor=None, unit=tree.commune_a, category="recruitment",
                             description="Tin tuyển dụng lạ.", source="officer")
    Situation.objects.filter(pk=found.pk).update(
        created_at=dt.datetime(2026, 7, 10, 9, tzinfo=dt.UTC))
    _lock_july(tree, users)
    return Sent("commune_officer", reverse("cases:situation_escalate", args=[found.pk]),
                {"escalate-note": "Cần tỉnh hỗ trợ gấp. " + "x" * 5000},
                {"id_escalate-note"}, ["31/07/2026"], ["Cần tỉnh hỗ trợ gấp."],
                lambda: Situation.objects.get(pk=found.pk).state == Situation.State.RECEIVED)


def public_report_undescribed_in_locked_period(tree: Any, users: Any, formats: Any) -> Sent:
    """Nothing said of what happened; the commune's current month locked."""
    from ctip.cases.models import Situation
    from tests.portal.test_report import URL, form_data

    _lock_this_month(tree, users)
    return Sent(None, URL, form_data(tree.commune_a, description="", identity="contact",
                                     contact="0912 345 678"),
                {"id_description"}, ["12/BC-HPN"], ["0912 345 678"],
                lambda: not Situation.objects.exists())


def club_unnamed_founded_in_locked_period(tree: Any, users: Any, formats: Any) -> Sent:
    """An empty name; founded in locked July (a club counts from its founding on)."""
    from ctip.community.models import Club, ClubType

    _lock_july(tree, users)
    return Sent("commune_officer", reverse("community:club_create"), {
        "name": "", "club_type": ClubType.objects.get(code="anti-trafficking").pk,
        "unit": tree.commune_a.pk, "founded_on": "2026-07-05", "member_count": "12",
        "results": "Mười hai hội viên nòng cốt"}, {"id_name", "id_founded_on"},
        ["31/07/2026"], ["Mười hai hội viên nòng cốt"], lambda: not Club.objects.exists())


def exchange_without_counterpart_in_locked_period(tree: Any, users: Any,
                                                  formats: Any) -> Sent:
    """No counterpart named; dated in locked July."""
    from ctip.community.models import Exchange
    from ctip.units.actions import update_unit

    update_unit(actor=None, unit=tree.commune_a, is_border=True)
    _lock_july(tree, users)
    return Sent("commune_officer", reverse("community:exchange_create"), {
        "unit": tree.commune_a.pk, "date": "2026-07-20", "counterpart_country": "Campuchia",
        "counterpart_area": "", "participants": "14",
        "information_shared": "Thủ đoạn tuyển người đi làm ở casino"},
        {"id_counterpart_area", "id_date"}, ["31/07/2026"],
        ["Thủ đoạn tuyển người đi làm ở casino"], lambda: not Exchange.objects.exists())


def unit_unnamed_with_a_code_taken(tree: Any, users: Any, formats: Any) -> Sent:
    """An empty name; an administrative code that belongs to another unit."""
    from ctip.org.models import UnitType
    from ctip.units.actions import create_unit

    create_unit(actor=None, parent=tree.commune_a, name="Chi hội ấp Bến Cỏ",
                unit_type=UnitType.objects.get(code="branch"), gso_code="27944")
    return Sent("province_officer", reverse("org:unit_create", args=[tree.commune_a.pk]), {
        "name": "", "unit_type": UnitType.objects.get(code="branch").pk, "gso_code": "27944",
        "village": "Ấp Bàu Sen"}, {"id_name", "id_gso_code"}, ["Chi hội ấp Bến Cỏ"],
        ["Ấp Bàu Sen"])


def user_unnamed_with_a_username_taken(tree: Any, users: Any, formats: Any) -> Sent:
    """No full name; a username already taken."""
    from ctip.accounts.capabilities import Role

    return Sent("province_officer", reverse("accounts:user_create"), {
        "username": "xa", "full_name": "", "email": "", "phone": "0912 000 111",
        "home_unit": tree.commune_a.pk, "role": Role.COMMUNE_OFFICER},
        {"id_full_name", "id_username"}, ["“xa”"], ["0912 000 111"])


def commendation_without_reason_or_person(tree: Any, users: Any, formats: Any) -> Sent:
    """Nothing said of what for; a person commended without her name."""
    from ctip.outreach.models import Commendation

    return Sent("commune_officer", reverse("outreach:commendation_create"), {
        "unit": tree.commune_a.pk, "recipient_kind": "person", "person_name": "",
        "reason": "", "level": "commune", "decided_on": "2026-08-03",
        "decision_number": "25/QĐ-HPN"}, {"id_reason", "id_person_name"}, [],
        ["25/QĐ-HPN"], lambda: not Commendation.objects.exists())


def topic_of_no_kind_named_as_another(tree: Any, users: Any, formats: Any) -> Sent:
    """A kind that is not one of the list; the name of a topic already in the library."""
    from ctip.catalogues.models import Topic
    from ctip.outreach.actions import create_topic

    create_topic(actor=None, name="Luật Phòng, chống mua bán người 2024")
    return Sent("province_officer", reverse("outreach:topic_create"), {
        "name": "luật phòng, chống mua bán người 2024", "kind": "không-có",
        "description": "Các điểm mới của luật"}, {"id_kind", "id_name"},
        ["“luật phòng, chống mua bán người 2024”"], ["Các điểm mới của luật"],
        lambda: Topic.objects.count() == 1)


def material_untitled_and_not_a_material(tree: Any, users: Any, formats: Any) -> Sent:
    """No title; a file that is not a document, an image or a sound."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from ctip.outreach.actions import create_topic
    from ctip.outreach.models import Material

    topic = create_topic(actor=None, name="Thủ đoạn lừa đảo qua mạng")
    program = SimpleUploadedFile("bai-giang.exe", b"MZ" + b"0" * 64,
                                 content_type="application/octet-stream")
    return Sent("province_officer", reverse("outreach:material_create", args=[topic.pk]),
                {"title": "", "file": program}, {"id_title", "id_file"}, ["bai-giang.exe"], [],
                lambda: not Material.objects.exists())


def _case(tree: Any, users: Any) -> Any:
    """Commune A's case opened on 10/01/2026, with consent to a referral to the police."""
    from ctip.cases.models import Agency
    from tests.cases.case_helpers import consent, open_case

    case = open_case(tree.commune_a, users["case_worker"])
    consent(case.person, "referral", agency=Agency.objects.get(code="cong-an-xa"))
    return case


def _case_url(name: str, case: Any, *more: Any) -> str:
    return reverse(f"cases:{name}", args=[case.pk, *more])


def visit_with_notes_too_long_before_the_case(tree: Any, users: Any, formats: Any) -> Sent:
    """Notes over their limit; a visit dated before the case was opened."""
    case = _case(tree, users)
    return Sent("case_worker", _case_url("visit_add", case), {
        "kind": "visit", "date": "2026-01-05", "notes": "Thăm nhà chị Mai. " + "x" * 20_000},
        {"id_notes", "id_date"}, ["10/01/2026"], ["Thăm nhà chị Mai."],
        lambda: not case.visits.exists())


def follow_up_without_what_in_locked_month(tree: Any, users: Any, formats: Any) -> Sent:
    """Nothing said of what to do; due today, in the commune's locked month."""
    case = _case(tree, users)
    _lock_this_month(tree, users)
    return Sent("case_worker", _case_url("follow_up_add", case), {
        "due_on": timezone.localdate().isoformat(), "what": ""},
        {"id_what", "id_due_on"}, ["12/BC-HPN"], [timezone.localdate().isoformat()],
        lambda: not case.follow_ups.exists())


def service_without_provider_before_the_case(tree: Any, users: Any, formats: Any) -> Sent:
    """No provider; a service dated before the case was opened."""
    case = _case(tree, users)
    return Sent("case_worker", _case_url("service_add", case), {
        "type": "hardship_allowance", "provider": "", "date": "2026-01-05",
        "amount": "1.500.000", "status": "delivered"}, {"id_provider", "id_date"},
        ["10/01/2026"], ["1.500.000"], lambda: not case.services.exists())


def case_referral_contact_too_long_before_the_case(tree: Any, users: Any,
                                                   formats: Any) -> Sent:
    """A contact over its limit; a referral dated before the case was opened."""
    from ctip.cases.models import Agency

    case = _case(tree, users)
    return Sent("case_worker", _case_url("case_refer", case), {
        "agency": Agency.objects.get(code="cong-an-xa").pk, "referred_on": "2026-01-05",
        "contact": "Thiếu tá Lê Văn Hùng " + "x" * 200}, {"id_contact", "id_referred_on"},
        ["10/01/2026"], ["Thiếu tá Lê Văn Hùng"], lambda: not case.referrals.exists())


def case_answer_empty_before_the_referral(tree: Any, users: Any, formats: Any) -> Sent:
    """No answer written; answered before the referral was made."""
    from ctip.cases.actions import refer
    from ctip.cases.models import Agency

    case = _case(tree, users)
    referral = refer(actor=None, case=case, agency=Agency.objects.get(code="cong-an-xa"),
                     referred_on=dt.date(2026, 2, 1))
    return Sent("case_worker", _case_url("case_referral_answer", case, referral.pk), {
        "answer": "", "answered_on": "2026-01-20"}, {"id_answer", "id_answered_on"}, [],
        ["2026-01-20"], lambda: not case.referrals.get().answer)


def situation_referral_contact_too_long_before_received(tree: Any, users: Any,
                                                        formats: Any) -> Sent:
    """A contact over its limit; a referral dated before the situation was received."""
    from ctip.cases.actions import create_situation
    from ctip.cases.models import Agency

    found = create_situation(actor=None, unit=tree.commune_a, category="recruitment",
                             description="Tin tuyển dụng lạ.", source="officer")
    return Sent("commune_officer", reverse("cases:situation_refer", args=[found.pk]), {
        "refer-agency": Agency.objects.get(code="cong-an-xa").pk,
        "refer-referred_on": "2026-01-05", "refer-contact": "Thiếu tá Lê " + "x" * 200},
        {"id_refer-contact", "id_refer-referred_on"}, [found.code], ["Thiếu tá Lê"],
        lambda: not found.referrals.exists())


def _draft(tree: Any) -> Any:
    """Commune A's draft report of August 2026."""
    return report_actions.create_or_get_draft(
        actor=None, unit=tree.commune_a, report_type=ReportType.objects.get(code="monthly"),
        start=dt.date(2026, 8, 1), end=dt.date(2026, 8, 31))


def narrative_number_and_results_too_long(tree: Any, users: Any, formats: Any) -> Sent:
    """A number over its limit; results over theirs."""
    report = _draft(tree)
    return Sent("commune_officer", reverse("reports:report_edit", args=[report.pk]), {
        "number": "12/BC-HPN " + "9" * 40, "results": "Tổ chức 3 buổi. " + "x" * 20_000,
        "difficulties": "Thiếu kinh phí in tờ rơi", "proposals": ""},
        {"id_number", "id_results"}, ["20000"], ["Thiếu kinh phí in tờ rơi"],
        lambda: not type(report).objects.get(pk=report.pk).results)


def attachment_caption_too_long_and_not_a_document(tree: Any, users: Any,
                                                   formats: Any) -> Sent:
    """A caption over its limit; a file that is not a document, an image or a sound."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    report = _draft(tree)
    program = SimpleUploadedFile("bao-cao.exe", b"MZ" + b"0" * 64,
                                 content_type="application/octet-stream")
    return Sent("commune_officer", reverse("reports:report_attach", args=[report.pk]), {
        "file": program, "caption": "Danh sách tham dự " + "x" * 300},
        {"id_caption", "id_file"}, ["bao-cao.exe"], ["Danh sách tham dự"],
        lambda: not report.attachments.exists())


def consent_undated_with_a_program_as_evidence(tree: Any, users: Any, formats: Any) -> Sent:
    """No date given; evidence that is a program, not a document or a picture."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    case = _case(tree, users)
    program = SimpleUploadedFile("don-dong-y.exe", b"MZ" + b"0" * 64,
                                 content_type="application/octet-stream")
    before = case.person.consents.count()
    return Sent("case_worker", reverse("cases:consent_add", args=[case.person.pk]), {
        "purpose": "support", "given_on": "", "given_by": "guardian", "evidence": program},
        {"id_given_on", "id_evidence"}, ["don-dong-y.exe"],
        ['value="guardian" required id="id_given_by_1" checked'],
        lambda: case.person.consents.count() == before)


def case_closed_without_reason_in_locked_month(tree: Any, users: Any, formats: Any) -> Sent:
    """No reason given; closed today, in the commune's locked month."""
    case = _case(tree, users)
    _lock_this_month(tree, users)
    return Sent("case_worker", _case_url("case_close", case), {
        "outcome": "reintegrated", "reason": "",
        "closed_on": timezone.localdate().isoformat()}, {"id_reason", "id_closed_on"},
        ["12/BC-HPN"], ['value="reintegrated" selected'],
        lambda: type(case).objects.get(pk=case.pk).closed_on is None)


def _person_data(tree: Any, **changes: Any) -> dict[str, Any]:
    return {"unit": tree.commune_a.pk, "full_name": "Trần Thị Mai", "other_names": "",
            "birth_date": "", "birth_year": "", "sex": "female", "ethnic_group": "kinh",
            "citizenship": "VN", "id_number": "", "phone": "0912 345 678", "address": "",
            "guardian": ""} | changes


def person_unnamed_born_in_the_future(tree: Any, users: Any, formats: Any) -> Sent:
    """No name; a date of birth in the future."""
    from ctip.cases.models import Person

    born = (timezone.localdate() + dt.timedelta(days=40)).isoformat()
    return Sent("case_worker", reverse("cases:person_create"),
                _person_data(tree, full_name="", birth_date=born),
                {"id_full_name", "id_birth_date"}, [], ["0912 345 678"],
                lambda: not Person.objects.exists())


def identity_unnamed_with_letters_in_the_number(tree: Any, users: Any, formats: Any) -> Sent:
    """Her name erased; letters in the identity card number."""
    case = _case(tree, users)
    data = _person_data(tree, full_name="", id_number="0790 12AB")
    del data["unit"]
    return Sent("case_worker", reverse("cases:person_correct", args=[case.person.pk]), data,
                {"id_full_name", "id_id_number"}, [], ["0790 12AB"],
                lambda: type(case.person).objects.get(pk=case.person.pk).id_number == "")


def case_opened_undated_assigning_herself(tree: Any, users: Any, formats: Any) -> Sent:
    """No opening date; she assigns herself without saying why."""
    from ctip.cases.models import SupportCase
    from tests.cases.case_helpers import consent, register

    person = register(tree.commune_a)
    consent(person)
    return Sent("case_worker", reverse("cases:case_open", args=[person.pk]), {
        "unit": tree.commune_a.pk, "kind": "returned_victim",
        "workers": [users["case_worker"].pk], "category": "", "reason": "", "opened_on": "",
        "needs": "Cần hỗ trợ học nghề may", "plan": ""},
        {"id_opened_on", "id_category", "id_reason"}, [], ["Cần hỗ trợ học nghề may"],
        lambda: not SupportCase.objects.exists())


def workers_of_another_unit_and_no_reason_chosen(tree: Any, users: Any,
                                                 formats: Any) -> Sent:
    """A reason that is not one of the list; a worker of a branch, not of the commune."""
    from ctip.accounts.capabilities import Role
    from tests.conftest import make_user

    case = _case(tree, users)
    branch_worker = make_user("hotro.ap", Role.CASE_WORKER, tree.branch_a1,
                              full_name="Lý Thị Sen")
    return Sent("case_worker", _case_url("case_workers", case), {
        "workers": [users["case_worker"].pk, branch_worker.pk], "category": "không-có",
        "reason": "Chị Sen ở gần nhà"}, {"id_category", "id_workers"},
        ["Lý Thị Sen", tree.commune_a.name], ["Chị Sen ở gần nhà"],
        lambda: list(case.workers.all()) == [users["case_worker"]])


def case_kind_changed_in_locked_month_with_an_unknown_risk(tree: Any, users: Any,
                                                           formats: Any) -> Sent:
    """A risk factor that is not one of the list; a new kind, while this month is locked
    (the kind splits every count from the opening on)."""
    case = _case(tree, users)
    _lock_this_month(tree, users)
    return Sent("case_worker", _case_url("case_edit", case), {
        "kind": "high_risk", "risk_factors": ["không-có"], "needs": "Cần vốn chăn nuôi",
        "plan": ""}, {"id_risk_factors", "id_kind"}, ["12/BC-HPN"], ["Cần vốn chăn nuôi"],
        lambda: type(case).objects.get(pk=case.pk).kind == "returned_victim")


def service_delivered_in_the_future_with_a_bad_amount(tree: Any, users: Any,
                                                      formats: Any) -> Sent:
    """An amount that is not a number; a service planned next month marked delivered."""
    from ctip.cases.actions import add_service

    case = _case(tree, users)
    service = add_service(actor=None, case=case, type="hardship_allowance",
                          provider="UBND xã", status="planned",
                          date=timezone.localdate() + dt.timedelta(days=30))
    return Sent("case_worker", _case_url("service_status", case, service.pk), {
        "status": "delivered", "amount": "một triệu"}, {"id_amount", "id_status"}, [],
        ["một triệu"], lambda: type(service).objects.get(pk=service.pk).status == "planned")


def trafficking_undecided_date_and_exploitation_backwards(tree: Any, users: Any,
                                                          formats: Any) -> Sent:
    """A decision date that is not a date; an exploitation that ends before it began."""
    case = _case(tree, users)
    return Sent("case_worker", _case_url("trafficking_add", case), {
        "status": "unknown", "decided_by": "unknown", "decided_on": "tháng trước",
        "recruitment_country": "unknown", "recruiter_relation": "unknown",
        "exploitation_country": "unknown", "exploitation_place": "Khu chế xuất Mộc Bài",
        "exploitation_start": "2025-06-01", "exploitation_end": "2025-03-01",
        "return_means": "unknown", "border_gate": "unknown"},
        {"id_decided_on", "id_exploitation_end"}, [], ["Khu chế xuất Mộc Bài"],
        lambda: not case.trafficking_events.exists())


def speaker_unnamed_trained_in_the_future(tree: Any, users: Any, formats: Any) -> Sent:
    """No name; trained on a day still to come."""
    from ctip.outreach.models import Speaker

    later = timezone.localdate() + dt.timedelta(days=20)
    return Sent("commune_officer", reverse("outreach:speaker_create"), {
        "unit": tree.commune_a.pk, "full_name": "", "kind": "communicator", "user": "",
        "phone": "0912 111 222", "training": "Lớp kỹ năng truyền thông",
        "trained_on": later.isoformat()}, {"id_full_name", "id_trained_on"},
        [later.strftime("%d/%m/%Y")], ["Lớp kỹ năng truyền thông"],
        lambda: not Speaker.objects.exists())


def member_listed_twice_with_a_bad_date(tree: Any, users: Any, formats: Any) -> Sent:
    """A joining date that is not a date; a name already on the list."""
    from ctip.community.actions import add_member
    from tests.community.test_clubs import new_club

    club = new_club(tree.commune_a)
    add_member(actor=None, club=club, full_name="Nguyễn Thị Lan", role="tổ viên")
    return Sent("commune_officer", reverse("community:member_add", args=[club.pk]), {
        "full_name": "Nguyễn  Thị Lan", "role": "Tổ viên", "joined_on": "2026-02-31"},
        {"id_joined_on", "id_full_name"}, ["Nguyễn Thị Lan"], ["2026-02-31"],
        lambda: club.members.count() == 1)


def club_status_unknown_dated_before_founding(tree: Any, users: Any, formats: Any) -> Sent:
    """A status that is not one of the list; a date before the club was founded."""
    from tests.community.test_clubs import new_club

    club = new_club(tree.commune_a, founded=dt.date(2024, 3, 8))
    return Sent("commune_officer", reverse("community:club_status", args=[club.pk]), {
        "status": "không-có", "changed_on": "2024-01-15", "reason": "Hết kinh phí"},
        {"id_status", "id_changed_on"}, ["08/03/2024"], ["Hết kinh phí"],
        lambda: type(club).objects.get(pk=club.pk).status == "active")
def new_report_period_too_long_for_a_campaign_elsewhere(tree: Any, users: Any,
                                                       formats: Any) -> Sent:
    """A period longer than any period; a campaign report of commune A for a campaign of one
    of its branches, which the commune does not take part in."""
    from ctip.reports.models import Report
    from tests.core.test_every_error_at_once import sibling_campaign

    campaign = sibling_campaign(tree)
    return Sent("province_officer", reverse("reports:report_list"), {
        "unit": tree.commune_a.pk, "report_type": ReportType.objects.get(code="campaign-30-7").pk,
        "period": "quý 3/2026 " + "x" * 40, "campaign": campaign.pk},
        {"id_period", "id_campaign"}, ["Tháng hành động"], ["quý 3/2026"],
        lambda: not Report.objects.exists())


def return_too_long_by_its_submitter(tree: Any, users: Any, formats: Any) -> Sent:
    """A comment over its limit; returned by the officer who submitted the report."""
    report = _draft(tree)
    report = report_actions.submit(actor=users["province_officer"], report=report)
    return Sent("province_officer", reverse("reports:report_return", args=[report.pk]), {
        "comment": "Cần bổ sung số liệu tháng 8. " + "x" * 5000}, {"id_comment"},
        [tree.province.name], ["Cần bổ sung số liệu tháng 8."],
        lambda: type(report).objects.get(pk=report.pk).status == "submitted")


KINDS = [activity_locked_and_untitled, activity_numbers_and_untitled, activity_edit_locked,
         campaign_untitled_backwards_and_plan_not_a_document,
         situation_untitled_and_implausible_date, escalation_note_too_long_in_locked_period,
         public_report_undescribed_in_locked_period, club_unnamed_founded_in_locked_period,
         exchange_without_counterpart_in_locked_period, unit_unnamed_with_a_code_taken,
         user_unnamed_with_a_username_taken, commendation_without_reason_or_person,
         topic_of_no_kind_named_as_another, material_untitled_and_not_a_material,
         visit_with_notes_too_long_before_the_case, follow_up_without_what_in_locked_month,
         service_without_provider_before_the_case,
         case_referral_contact_too_long_before_the_case,
         case_answer_empty_before_the_referral,
         situation_referral_contact_too_long_before_received,
         narrative_number_and_results_too_long,
         attachment_caption_too_long_and_not_a_document,
         consent_undated_with_a_program_as_evidence,
         case_closed_without_reason_in_locked_month, person_unnamed_born_in_the_future,
         identity_unnamed_with_letters_in_the_number, case_opened_undated_assigning_herself,
         workers_of_another_unit_and_no_reason_chosen,
         case_kind_changed_in_locked_month_with_an_unknown_risk,
         service_delivered_in_the_future_with_a_bad_amount,
         trafficking_undecided_date_and_exploitation_backwards,
         speaker_unnamed_trained_in_the_future, member_listed_twice_with_a_bad_date,
         club_status_unknown_dated_before_founding,
         new_report_period_too_long_for_a_campaign_elsewhere,
         return_too_long_by_its_submitter]


@pytest.mark.parametrize("build", KINDS, ids=[f.__name__ for f in KINDS])
def test_a_field_error_and_a_rule_error_come_back_together(
        build: Any, tree: Any, users: Any, formats: Any, client: Any,
        client_for: Any) -> None:
    sent = build(tree, users, formats)
    browser = client_for(users[sent.role]) if sent.role else client
    response = browser.post(sent.url, sent.data, REMOTE_ADDR="203.0.113.7")
    assert response.status_code in (200, 400, 422), response.status_code
    html = response.content.decode()
    box = summary(html) if sent.role else public_summary(html)
    links = set(re.findall(r'<a href="#(id_[a-z_0-9-]+)"', box))
    assert sent.links <= links, (links, box)
    assert all(word in box for word in sent.rule_words), box
    # the summary comes first, before the fields it links to
    assert all(html.index(box) < html.index(f'id="{name}"') for name in sent.links)
    assert all(text in html for text in sent.kept)
    assert sent.nothing_saved()


def test_an_unlock_too_long_of_a_period_unlocked_meanwhile_learns_both(
        tree: Any, users: Any) -> None:
    """The unlock form's own check (the reason's length) and ``unlock``'s rule (the lock still
    held) in one answer. The page offers the form only for a lock still held, so the lock is
    lifted between the page and the form's check, as by a second reviewer."""
    from ctip.reports.forms import UnlockForm
    from ctip.reports.models import PeriodLock

    _lock_july(tree, users)
    lock = PeriodLock.objects.get()
    report_actions.unlock(actor=users["province_officer"], lock=lock, reason="Sửa số liệu")
    form = UnlockForm({"reason": "Nhập lại " + "x" * 2000},
                      given={"lock": PeriodLock.objects.get()})
    assert not form.is_valid()
    assert list(form.errors) == ["reason", "__all__"], form.errors
    assert "2000" in form.errors["reason"][0]
    assert form.non_field_errors() == [_("This period is already unlocked.")]


def public_summary(html: str) -> str:
    start = html.index('class="error-summary"')
    return html[start:html.index("</div>", start)]


def test_a_step_on_a_closed_situation_says_it_is_closed_at_once(
        tree: Any, users: Any, client_for: Any) -> None:
    """An empty note on a closed situation: its page has no forms any more, so the answer
    goes back to it saying why, instead of a form error that cannot be seen."""
    from ctip.cases.actions import close_situation, create_situation

    found = create_situation(actor=None, unit=tree.commune_a, category="recruitment",
                             description="Tin tuyển dụng lạ.", source="officer")
    close_situation(actor=None, situation=found, outcome="Đã xác minh: không có rủi ro.")
    client = client_for(users["commune_officer"])
    response = client.post(reverse("cases:situation_note", args=[found.pk]),
                           {"note-note": ""}, follow=True)
    html = response.content.decode()
    assert response.redirect_chain, "the page of a closed situation has no form to show"
    assert f"Tin báo {found.code} đã đóng." in html
    assert not found.events.filter(kind="note").exists()


# --- The mechanism itself ---------------------------------------------------------------------

def test_a_rule_runs_only_on_the_inputs_it_needs() -> None:
    rules = Rules()
    seen: list[str] = []

    @rules.rule("start", "end", field="end")
    def _order(start: int, end: int) -> None:
        seen.append("order")
        if end < start:
            raise ActionError("Kết thúc trước khi bắt đầu.")

    @rules.rule("name")
    def _name(name: str, today: int = 0) -> dict[str, str]:
        seen.append(f"name {today}")
        return {"name": name.strip()}

    with pytest.raises(ActionError) as refused:
        rules.check({"start": 5, "end": 3, "name": " Lan ", "today": 7})
    assert refused.value.errors == [("end", "Kết thúc trước khi bắt đầu.")]
    assert seen == ["order", "name 7"]
    seen.clear()
    # the end failed its own validation: the order is not checked, the name is
    assert rules.check({"start": 5, "name": " Lan "}) == {"name": "Lan"}
    assert seen == ["name 0"]


def test_the_form_runs_the_rules_only_when_a_field_failed() -> None:
    from django import forms

    from ctip.core.rules import RulesForm

    rules = Rules()
    calls: list[int] = []

    @rules.rule("count", field="count")
    def _small(count: int) -> None:
        calls.append(count)
        if count > 3:
            raise ActionError("Quá nhiều.")

    class Form(RulesForm, forms.Form):
        count = forms.IntegerField()
        name = forms.CharField()

    Form.rules = rules
    assert Form({"count": "9", "name": "x"}).is_valid()  # the action will check
    assert calls == []
    form = Form({"count": "9", "name": ""})
    assert not form.is_valid()
    assert form.errors["count"] == ["Quá nhiều."] and "name" in form.errors
    assert calls == [9]


def _lock_this_month(tree: Any, users: Any) -> None:
    """Commune A's report of this month approved: today's records there are locked."""
    today = timezone.localdate()
    first = today.replace(day=1)
    last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    report = report_actions.create_or_get_draft(
        actor=None, unit=tree.commune_a, report_type=ReportType.objects.get(code="monthly"),
        start=first, end=last)
    report_actions.update_narrative(actor=None, report=report, number="12/BC-HPN")
    report = report_actions.submit(actor=users["commune_officer"], report=report)
    report_actions.approve(actor=users["province_officer"], report=report)

