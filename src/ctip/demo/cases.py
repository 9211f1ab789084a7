"""Demo situations in every state (some overdue), referrals, and support cases with plans,
services, visits and follow-ups. Every person is invented."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from ctip.accounts.models import User
from ctip.cases import actions
from ctip.cases.models import Agency, Situation
from ctip.org.models import Unit


def build_cases(province: Unit, officer: Any) -> None:
    if Situation.objects.filter(unit_path__subtree=province.path).exists():
        return
    today = timezone.localdate()
    duc_hoa = Unit.objects.get(parent=province, name="Xã Đức Hòa")
    branch = Unit.objects.get(parent=duc_hoa, name="Chi hội ấp Mỹ Lộc")
    hung_dien = Unit.objects.get(parent=province, name="Xã Hưng Điền")
    worker = User.objects.get(username="hotro.xa")
    commune_officer = User.objects.get(username="canbo.xa")
    branch_head = User.objects.get(username="chihoi.truong")
    police = Agency.objects.get(code="cong-an-xa")
    health = Agency.objects.get(code="so-y-te")

    # received, not yet handled
    actions.create_situation(
        actor=branch_head, unit=branch, category="recruitment", urgency="high", source="member",
        description="Một tài khoản Facebook đăng tuyển nữ phục vụ nhà hàng ở nước ngoài, lương "
        "30 triệu đồng, bao vé máy bay; nhiều chị em trong ấp đã nhắn tin hỏi.")
    # overdue: the deadline passed while still being verified
    overdue = actions.create_situation(
        actor=commune_officer, unit=duc_hoa, category="missing", urgency="urgent",
        source="hotline", description="Gia đình báo con gái 17 tuổi mất liên lạc ba ngày sau "
        "khi đi theo người quen lên thành phố làm việc.")
    actions.start_verification(actor=commune_officer, situation=overdue)
    # received long enough ago that its stored deadline passed 5 hours ago (the deadline
    # stays the one fixed at receipt, as ``cases.deadlines`` keeps it)
    due = timezone.now() - dt.timedelta(hours=5)
    Situation.objects.filter(pk=overdue.pk).update(
        due_at=due, created_at=due - dt.timedelta(microseconds=overdue.deadline_us or 0))
    # escalated to the province
    escalated = actions.create_situation(
        actor=commune_officer, unit=duc_hoa, category="suspected_trafficking",
        urgency="urgent", source="officer",
        description="Nhóm ba phụ nữ được hứa việc làm ở Campuchia, đã được đưa tới gần cửa "
        "khẩu; người môi giới giữ giấy tờ tùy thân.")
    actions.escalate(actor=commune_officer, situation=escalated,
                     note="Đề nghị Hội tỉnh phối hợp Công an tỉnh")
    # referred, waiting for an answer; then one closed
    referred = actions.create_situation(
        actor=officer, unit=hung_dien, category="foreign_marriage", urgency="normal",
        source="member", description="Môi giới vận động một cô gái kết hôn với người nước "
        "ngoài qua mai mối, đòi đặt cọc.")
    actions.refer(actor=officer, situation=referred, agency=police,
                  referred_on=today, contact="Tổ công tác xã")
    closed = actions.create_situation(
        actor=commune_officer, unit=duc_hoa, category="domestic_violence", urgency="normal",
        source="member", description="Hàng xóm báo tiếng cãi vã và đánh đập nhiều đêm.")
    referral = actions.refer(actor=commune_officer, situation=closed, agency=police,
                             referred_on=today)
    actions.record_answer(actor=commune_officer, referral=referral,
                          answer="Đã hòa giải, nhắc nhở người chồng",
                          answered_on=today)
    actions.close_situation(actor=commune_officer, situation=closed,
                            outcome="Gia đình được tổ hòa giải theo dõi hằng tháng")

    # support cases for invented people
    people = [
        ("Nguyễn Thị Mộng Cầm", 1998, "returned_victim", ["no_job", "poverty"]),
        ("Lê Thị Thu Sương", 2003, "high_risk", ["no_job", "no_legal_knowledge"]),
        ("Trần Thị Hoài Thương", 1995, "being_identified", ["violence"]),
    ]
    for i, (name, year, kind, risks) in enumerate(people):
        person = actions.create_person(
            actor=worker, unit=duc_hoa, full_name=name, birth_year=year,
            phone=f"09{i}8{i}7{i}6{i}5{i}", address="Ấp Mỹ Lộc, Xã Đức Hòa",
            ethnic_group="01", citizenship="VN")
        actions.record_consent(actor=worker, person=person, purpose="support",
                               given_on=today - dt.timedelta(days=60), given_by="person")
        # assigned by the system: a worker who assigns herself breaks the glass
        case = actions.open_case(
            actor=None, unit=duc_hoa, person=person, kind=kind, workers=[worker],
            risk_factors=risks, opened_on=today - dt.timedelta(days=55),
            needs="Cần việc làm ổn định, hỗ trợ tâm lý và giấy tờ tùy thân.",
            plan="Giới thiệu học nghề may; vay vốn ủy thác; thăm hỏi hằng tháng.")
        actions.add_service(actor=worker, case=case, type="psychological",
                            provider="Trung tâm Công tác xã hội tỉnh",
                            date=today - dt.timedelta(days=40), status="delivered")
        actions.add_service(actor=worker, case=case, type="hardship_allowance",
                            provider="UBND xã Đức Hòa", date=today - dt.timedelta(days=30),
                            amount=1_500_000, status="delivered")
        actions.add_service(actor=worker, case=case, type="vocational",
                            provider="Trường trung cấp nghề", date=today + dt.timedelta(days=20))
        actions.log_visit(actor=worker, case=case, kind="visit",
                          date=today - dt.timedelta(days=14),
                          notes="Gia đình hợp tác; cần thêm hỗ trợ đi lại.")
        actions.add_follow_up(actor=worker, case=case, due_on=today + dt.timedelta(days=3 + i),
                              what="Gọi điện hỏi thăm và nhắc lịch học nghề")
        _trafficking(worker, case, kind, today, i)
        if i == 0:
            actions.record_consent(actor=worker, person=person, purpose="referral",
                                   agency=health, given_on=today - dt.timedelta(days=50),
                                   given_by="person")
            actions.refer(actor=worker, case=case, agency=health,
                          referred_on=today - dt.timedelta(days=45))


def _trafficking(worker: Any, case: Any, kind: str, today: dt.date, i: int) -> None:
    """The trafficking process of the invented victims (decision 0031): the first was taken
    twice (a scam compound in Cambodia, earlier a forced marriage in China); the one being
    identified does not yet know who recruited her."""
    if kind == "high_risk":
        return
    if i == 0:
        actions.record_consent(actor=worker, person=case.person, purpose="statistics",
                               given_on=today - dt.timedelta(days=58), given_by="person")
        actions.record_trafficking_event(
            actor=worker, case=case, status="actual", decided_by="commune_committee",
            decided_on=today - dt.timedelta(days=240),
            recruitment_methods=["friends"], recruitment_country="VN",
            recruitment_province="80", recruited_on=today - dt.timedelta(days=1500),
            recruiter_relation="acquaintance", means_of_control=["resold", "confinement"],
            exploitation=["forced_marriage"], exploitation_country="CN",
            exploitation_start=today - dt.timedelta(days=1490),
            exploitation_end=today - dt.timedelta(days=1100),
            returned_on=today - dt.timedelta(days=1095), return_means="handed_over",
            border_gate="mong_cai")
    actions.record_trafficking_event(
        actor=worker, case=case, status="actual" if i == 0 else "possible",
        decided_by="border_guard" if i == 0 else "unknown",
        decided_on=today - dt.timedelta(days=58) if i == 0 else None,
        recruitment_methods=["social_network", "online_ad"], recruitment_country="VN",
        recruitment_province="80", recruited_on=today - dt.timedelta(days=300 + 30 * i),
        recruiter_relation="stranger" if i == 0 else "unknown",
        means_of_control=["debt", "documents", "confinement", "physical_abuse"],
        exploitation=["scam_compound"], exploitation_country="KH",
        exploitation_place="Khu phức hợp gần cửa khẩu Bavet",
        exploitation_start=today - dt.timedelta(days=290 + 30 * i),
        exploitation_end=today - dt.timedelta(days=62), returned_on=today - dt.timedelta(days=60),
        return_means="rescued", border_gate="moc_bai")
