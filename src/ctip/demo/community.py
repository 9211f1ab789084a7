"""Demo clubs and prevention models with lineage, a paused and a dissolved one, a member
list, meetings recorded as activities, and a cross-border exchange. Written for the demo."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ctip.catalogues.models import Audience, Topic
from ctip.community import actions
from ctip.community.models import Club, ClubType
from ctip.demo.dates import latest
from ctip.org.models import Unit
from ctip.outreach.actions import create_activity
from ctip.outreach.models import Format


def build_community(province: Unit, officer: Any) -> None:
    if Club.objects.filter(unit_path__subtree=province.path).exists():
        return
    types = {t.code: t for t in ClubType.objects.all()}
    audiences = {a.code: a for a in Audience.objects.all()}
    communes = {u.name: u for u in Unit.objects.filter(parent=province)}
    duc_hoa, hung_dien = communes["Xã Đức Hòa"], communes["Xã Hưng Điền"]
    tan_an, hau_nghia = communes["Phường Tân An"], communes["Xã Hậu Nghĩa"]
    origin = actions.create_club(
        actor=officer, unit=hung_dien, name="Tổ truyền thông phòng, chống mua bán người vùng "
        "biên", club_type=types["anti-trafficking"], founded_on=dt.date(2022, 3, 8),
        is_prevention_model=True, member_count=0,
        target_groups=[audiences["border-residents"], audiences["high-risk-women"]],
        results="Mỗi quý tổ chức sinh hoạt tại các ấp giáp biên; lập nhóm Zalo cảnh báo.")
    replica = actions.create_club(
        actor=officer, unit=duc_hoa, name="Câu lạc bộ phụ nữ nói không với việc nhẹ lương cao",
        club_type=types["anti-trafficking"], founded_on=dt.date(2023, 6, 1),
        is_prevention_model=True, replicated_from=origin,
        target_groups=[audiences["youth"], audiences["migrant-workers"]])
    actions.create_club(
        actor=officer, unit=tan_an, name="Nhóm thanh niên di cư an toàn khu phố 3",
        club_type=types["communication-team"], founded_on=dt.date(2024, 9, 15),
        is_prevention_model=True, replicated_from=replica)
    actions.create_club(
        actor=officer, unit=hau_nghia, name="Mô hình phòng ngừa mua bán người ấp Hòa Bình",
        club_type=types["anti-trafficking"], founded_on=dt.date(2025, 2, 20),
        is_prevention_model=True, replicated_from=origin)
    family = actions.create_club(
        actor=officer, unit=duc_hoa, name="Câu lạc bộ Gia đình hạnh phúc ấp Mỹ Lộc",
        club_type=types["happy-family"], founded_on=dt.date(2019, 5, 10))
    for name, role in (("Phạm Thị Lan", "Chủ nhiệm"), ("Ngô Thị Hạnh", "Thư ký"),
                       ("Trịnh Thị Mai", "")):
        actions.add_member(actor=officer, club=family, full_name=name, role=role)
    credit = actions.create_club(
        actor=officer, unit=duc_hoa, name="Tổ vay vốn ủy thác ấp Tân Phước",
        club_type=types["entrusted-credit"], founded_on=dt.date(2018, 1, 12), member_count=32)
    actions.change_club_status(actor=officer, club=credit, status="paused",
                               changed_on=latest(2, 1),
                               reason="Chờ nguồn vốn mới của Ngân hàng Chính sách xã hội")
    law = actions.create_club(
        actor=officer, unit=tan_an, name="Câu lạc bộ pháp luật khu phố Bình Yên",
        club_type=types["law"], founded_on=dt.date(2017, 4, 3), member_count=15)
    actions.change_club_status(actor=officer, club=law, status="dissolved",
                               changed_on=dt.date(2025, 8, 1),
                               reason="Sáp nhập sinh hoạt vào Câu lạc bộ Gia đình hạnh phúc")
    meeting = Format.objects.get(code="meeting")
    law_topic = Topic.objects.filter(kind="law").first()
    for month in (3, 6, 9):
        create_activity(actor=officer, unit=duc_hoa, date=latest(month, 10),
                        format=meeting, club=replica, title=f"Sinh hoạt câu lạc bộ tháng {month}",
                        participants_women=18, participants_men=2,
                        topics=[law_topic] if law_topic else [])
    border = Unit.objects.get(pk=hung_dien.pk)
    actions.create_exchange(
        actor=officer, unit=border, date=latest(5, 20),
        counterpart_country="Campuchia", counterpart_area="Xã giáp biên thuộc tỉnh Svay Rieng",
        participants=24, topics=list(Topic.objects.filter(kind__in=["trick", "hotline"])),
        information_shared="Trao đổi các dấu hiệu tuyển lao động lừa đảo và đầu mối liên lạc "
        "khi phát hiện người bị đưa qua biên giới.",
        follow_up="Gặp lại mỗi sáu tháng; trao đổi danh sách đường dây nóng hai bên.")
