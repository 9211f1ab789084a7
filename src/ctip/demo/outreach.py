"""Demo outreach data: a topic library, movements, speakers, campaigns with targets and a few
hundred activities. All text is written for the demo."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from ctip.catalogues.models import Audience, Movement, Topic
from ctip.demo.dates import latest
from ctip.demo.files import pdf_leaflet, png_poster, wav_clip
from ctip.org.models import Unit
from ctip.outreach import actions
from ctip.outreach.models import Activity, Campaign, Format

TOPICS = [
    ("Luật Phòng, chống mua bán người số 53/2024/QH15", "law",
     "Những điểm mới của luật có hiệu lực từ 01/7/2025: quyền của nạn nhân, giữ bí mật thông "
     "tin, trách nhiệm của gia đình và cộng đồng."),
    ("Luật Bình đẳng giới", "law", "Quyền ngang nhau của nam và nữ trong gia đình, lao động "
     "và đời sống xã hội."),
    ("Luật Phòng, chống bạo lực gia đình", "law", "Nhận diện hành vi bạo lực gia đình và nơi "
     "tìm sự giúp đỡ."),
    ("Luật Hôn nhân và gia đình", "law", "Điều kiện kết hôn, kết hôn có yếu tố nước ngoài."),
    ("Việc nhẹ lương cao trên mạng xã hội", "trick", "Dấu hiệu của lời mời làm việc lừa đảo "
     "qua Facebook, Zalo, TikTok dẫn sang các cơ sở lừa đảo trực tuyến ở nước ngoài."),
    ("Môi giới hôn nhân với người nước ngoài", "marriage", "Rủi ro khi qua môi giới, cách "
     "kiểm tra thông tin và giữ liên lạc với gia đình."),
    ("Đường dây nóng 111", "hotline", "Tổng đài quốc gia bảo vệ trẻ em và tiếp nhận tin về mua "
     "bán người, miễn phí, hoạt động cả ngày đêm."),
    ("Đi làm việc ở nước ngoài an toàn", "migration", "Chọn doanh nghiệp được cấp phép, giữ "
     "hợp đồng và giấy tờ, biết địa chỉ cơ quan đại diện."),
]
MOVEMENTS = [
    ("Toàn dân bảo vệ an ninh Tổ quốc", "movement"),
    ("Xây dựng gia đình 5 không 3 sạch", "campaign"),
    ("Quần chúng tham gia tự quản đường biên, cột mốc", "movement"),
    ("Phụ nữ tích cực học tập, lao động sáng tạo, xây dựng gia đình hạnh phúc", "movement"),
]
TITLES = {
    "meeting": ["Sinh hoạt chi hội chuyên đề phòng, chống mua bán người",
                "Sinh hoạt tổ phụ nữ: nhận diện lời mời việc làm lừa đảo"],
    "speaker-talk": ["Nói chuyện về thủ đoạn lừa bán người qua biên giới",
                     "Báo cáo viên trao đổi về Luật Phòng, chống mua bán người"],
    "thematic-talk": ["Chuyên đề kết hôn có yếu tố nước ngoài an toàn"],
    "law-day": ["Ngày pháp luật: quyền của nạn nhân bị mua bán"],
    "loudspeaker": ["Phát thanh trên loa xã về đường dây nóng 111",
                    "Phát thanh cảnh báo việc nhẹ lương cao"],
    "zalo": ["Đăng tin cảnh báo tuyển dụng lừa đảo trên nhóm Zalo hội viên"],
    "facebook": ["Bài viết trên trang Facebook Hội về di cư an toàn"],
    "home-visit": ["Thăm hộ gia đình có người đi làm ăn xa"],
    "legal-counselling": ["Tư vấn pháp luật lưu động cho phụ nữ vùng biên"],
}
SPEAKERS = ["Nguyễn Thị Thanh Xuân", "Lê Thị Bích Trâm", "Trần Thị Ngọc Hân", "Phan Thị Diễm",
            "Hồ Thị Kim Loan", "Châu Thị Mỹ Tiên"]


def _topics(officer: Any) -> list[Topic]:
    topics = []
    for name, kind, description in TOPICS:
        topic = Topic.objects.filter(name=name).first() or actions.create_topic(
            actor=officer, name=name, kind=kind, description=description)
        topics.append(topic)
    if not topics[0].materials.exists():
        actions.add_material(actor=officer, topic=topics[0], title="Tờ gấp: điểm mới của luật",
                             upload=SimpleUploadedFile("to-gap-luat-53.pdf", pdf_leaflet(
                                 "Luat Phong, chong mua ban nguoi 2024",
                                 ["Tai lieu tuyen truyen (ban demo)", "Duong day nong: 111"])))
        actions.add_material(actor=officer, topic=topics[4], title="Áp phích cảnh báo",
                             upload=SimpleUploadedFile("ap-phich.png", png_poster()))
        actions.add_material(actor=officer, topic=topics[6], title="Bản tin loa 111",
                             upload=SimpleUploadedFile("loa-111.wav", wav_clip()))
    return topics


def build_outreach(province: Unit, officer: Any, rng: random.Random | None = None) -> None:
    rng = rng or random.Random(2026)  # noqa: S311  (demo data, not security)
    if Campaign.objects.filter(unit=province).exists():
        return
    topics = _topics(officer)
    movements = [Movement.objects.filter(name=n).first()
                 or actions.create_movement(actor=officer, name=n, kind=k)
                 for n, k in MOVEMENTS]
    today = timezone.localdate()
    year = today.year
    # the last July's peak (this year's once it has begun); the year's plan runs today
    peak_year = latest(7, 1, today).year
    peak = actions.create_campaign(
        actor=officer, unit=province,
        name=f"Đợt cao điểm hưởng ứng Ngày toàn dân phòng, chống mua bán người 30/7/{peak_year}",
        starts_on=dt.date(peak_year, 7, 1), ends_on=dt.date(peak_year, 7, 31),
        description="Tập trung tuyên truyền tại các xã biên giới và nhóm lao động di cư.")
    annual = actions.create_campaign(
        actor=officer, unit=province, name=f"Kế hoạch tuyên truyền phòng, chống mua bán người "
        f"năm {year}", starts_on=dt.date(year, 1, 1), ends_on=dt.date(year, 12, 31))
    communes = list(Unit.objects.filter(parent=province).order_by("name"))
    actions.set_targets(actor=officer, campaign=peak, targets={
        c: (rng.randint(3, 8), rng.randint(150, 400), rng.randint(0, 1)) for c in communes})
    actions.set_targets(actor=officer, campaign=annual, targets={
        c: (rng.randint(12, 30), rng.randint(600, 1500), rng.randint(0, 2)) for c in communes})
    formats = {f.code: f for f in Format.objects.all()}
    audiences = list(Audience.objects.all())
    busy = [c for c in communes if c.children.exists()]
    speakers: dict[int, list[Any]] = {}
    for i, commune in enumerate(busy):
        speakers[commune.pk] = [actions.create_speaker(
            actor=officer, unit=commune, full_name=name,
            kind="reporter" if j == 0 else "communicator",
            training="Tập huấn kỹ năng truyền thông phòng, chống mua bán người",
            trained_on=latest(3, 10, today)) for j, name in enumerate(SPEAKERS[i % 3::3][:2])]
    places = busy + [b for c in busy for b in c.children.all()]
    places += rng.sample([c for c in communes if c not in busy], 30)
    for n in range(400):
        unit = rng.choice(places)
        code = rng.choice(list(TITLES))
        fmt = formats[code]
        # the peak's July (up to today), or any day of the twelve months up to today
        if rng.random() < 0.4:
            date = min(dt.date(peak_year, 7, rng.randint(1, 31)), today)
        else:
            date = today - dt.timedelta(days=rng.randint(0, 364))
        campaign = (peak if peak.starts_on <= date <= peak.ends_on
                    else annual if date.year == year else None)
        women = rng.randint(8, 60) if fmt.is_meeting else None
        men = rng.randint(0, 20) if fmt.is_meeting else None
        commune_id = unit.pk if unit.pk in speakers else (unit.parent_id or 0)
        try:
            actions.create_activity(
                actor=officer, unit=unit, date=date, format=fmt, campaign=campaign,
                title=f"{rng.choice(TITLES[code])} ({n + 1})",
                topics=rng.sample(topics, rng.randint(1, 3)),
                audiences=rng.sample(audiences, rng.randint(1, 2)),
                speakers=(speakers.get(commune_id, [])[:1] if code == "speaker-talk" else []),
                movement=rng.choice([None, *movements]),
                participants_women=women, participants_men=men,
                participants_total=None if fmt.is_meeting else (
                    0 if fmt.is_online else rng.randint(200, 2000)),
                online_views=rng.randint(100, 3000) if fmt.is_online else 0,
                online_shares=rng.randint(0, 200) if fmt.is_online else 0,
                materials_handed_out=rng.randint(0, 50) if fmt.is_meeting else 0,
                audit=False)
        except Exception:  # noqa: S112  (an unlucky duplicate draw is skipped)
            continue
    activity = Activity.objects.filter(unit__in=busy).first()
    if activity is not None:
        actions.create_commendation(
            actor=officer, unit=activity.unit, recipient_kind="unit",
            reason="Tổ chức nhiều buổi sinh hoạt chuyên đề có đông hội viên tham dự",
            level="province", decided_on=max(latest(8, 15, today), activity.date),
            decision_number="45/QĐ-HPN",
            activity=activity)
        actions.create_commendation(
            actor=officer, unit=activity.unit, recipient_kind="person",
            person_name="Nguyễn Thị Thanh Xuân",
            reason="Báo cáo viên tích cực trong đợt cao điểm tháng 7", level="province",
            decided_on=latest(8, 15, today), decision_number="46/QĐ-HPN")
