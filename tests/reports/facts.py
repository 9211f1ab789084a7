"""Facts for the report tests, recorded through the real actions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from ctip.cases import actions as cases
from ctip.cases.models import Agency, Situation, SupportCase
from ctip.community import actions as community
from ctip.community.models import Club, ClubType
from ctip.outreach.actions import create_commendation
from ctip.units.actions import update_unit
from tests.cases.case_helpers import open_case
from tests.conftest import IN_2026, at, log_activity


@dataclass
class Facts:
    escalated: Situation
    waiting: Situation
    victim_case: SupportCase
    identified_case: SupportCase
    model_a: Club
    replica_b: Club


def record_facts(tree: Any, users: Any, formats: Any) -> Facts:
    update_unit(actor=None, unit=tree.branch_a1, is_border=True)
    # awareness work, 2026 (and one in 2025 and one in another province, never counted here)
    log_activity(tree.branch_a1, formats["meeting"], date=dt.date(2026, 7, 15))  # 20 w, 5 m
    log_activity(tree.commune_a, formats["zalo"], date=dt.date(2026, 7, 20), women=None,
                 men=None, online_views=300, online_shares=12, title="Bài đăng Zalo")
    log_activity(tree.commune_b, formats["meeting"], date=dt.date(2026, 3, 10), women=30,
                 men=10, title="Sinh hoạt chi hội khu phố")
    log_activity(tree.branch_b1, formats["law-day"], date=dt.date(2026, 2, 10), women=40,
                 men=0, title="Ngày pháp luật")
    log_activity(tree.commune_a, formats["meeting"], date=dt.date(2025, 7, 15),
                 title="Năm trước")
    log_activity(tree.other_commune, formats["meeting"], date=dt.date(2026, 7, 15),
                 title="Tỉnh khác")
    # clubs and models
    law = ClubType.objects.get(code="anti-trafficking")
    model_a = community.create_club(actor=None, unit=tree.commune_a, name="Mô hình Ấp an toàn",
                                    club_type=law, founded_on=dt.date(2026, 2, 1),
                                    is_prevention_model=True, member_count=15)
    replica_b = community.create_club(actor=None, unit=tree.branch_b1,
                                      name="Mô hình Khu phố an toàn", club_type=law,
                                      founded_on=dt.date(2026, 5, 1), is_prevention_model=True,
                                      replicated_from=model_a, member_count=12)
    community.create_club(actor=None, unit=tree.branch_a2, name="CLB Gia đình hạnh phúc",
                          club_type=ClubType.objects.get(code="happy-family"),
                          founded_on=dt.date(2024, 3, 8), member_count=30)
    # situations: one escalated at once (in time), one waiting
    # (received in 2026 whatever the date of the run: the tests count them in the year 2026)
    with at(IN_2026):
        escalated = cases.create_situation(
            actor=users["branch_head"], unit=tree.branch_a1, category="suspected_trafficking",
            urgency="urgent", source="member", description="Lời mời việc nhẹ lương cao.")
        cases.escalate(actor=users["commune_officer"], situation=escalated)
        waiting = cases.create_situation(
            actor=None, unit=tree.commune_b, category="returned", source="officer",
            description="Một người từ nước ngoài trở về.")
    # received in October (a referral cannot be dated before the situation was received)
    Situation.objects.filter(pk=waiting.pk).update(
        created_at=dt.datetime(2026, 10, 20, 3, 0, tzinfo=dt.UTC))
    waiting.refresh_from_db()
    cases.refer(actor=None, situation=waiting, agency=Agency.objects.get(code="cong-an-xa"),
                referred_on=dt.date(2026, 11, 1))
    # support cases and services
    victim_case = open_case(tree.commune_a, users["case_worker"], opened_on=dt.date(2026, 1, 10))
    cases.add_service(actor=None, case=victim_case, type="medical", provider="Trạm y tế xã",
                      date=dt.date(2026, 2, 1), status="delivered")
    cases.add_service(actor=None, case=victim_case, type="loan_support", provider="NHCSXH",
                      date=dt.date(2026, 3, 1), status="delivered", amount=5_000_000)
    cases.add_service(actor=None, case=victim_case, type="job_placement", provider="TT DVVL",
                      date=dt.date(2026, 4, 1), status="delivered")
    cases.add_service(actor=None, case=victim_case, type="psychological", provider="Hội",
                      date=dt.date(2026, 12, 1), status="planned")
    identified_case = open_case(tree.branch_b1, None, kind="being_identified",
                                full_name="Lê Thị Lan", opened_on=dt.date(2026, 6, 1))
    high_risk = open_case(tree.commune_b, None, kind="high_risk", full_name="Võ Thị Thu",
                          opened_on=dt.date(2025, 5, 1))
    cases.add_service(actor=None, case=high_risk, type="entrusted_loan", provider="Hội",
                      date=dt.date(2026, 8, 1), status="delivered", amount=10_000_000)
    cases.close_case(actor=None, case=high_risk, outcome="reintegrated", reason="Ổn định",
                     closed_on=dt.date(2026, 9, 1))
    create_commendation(actor=None, unit=tree.commune_a, recipient_kind="unit",
                        reason="Làm tốt công tác tuyên truyền", level="province",
                        decided_on=dt.date(2026, 6, 1))
    return Facts(escalated, waiting, victim_case, identified_case, model_a, replica_b)
