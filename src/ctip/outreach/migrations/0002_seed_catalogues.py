from django.db import migrations

FORMATS = [
    # code, name, online, in-person gathering
    ("press", "Bài báo", False, False),
    ("radio-tv", "Phát thanh, truyền hình", False, False),
    ("loudspeaker", "Loa truyền thanh xã, phường", False, False),
    ("bulletin", "Bản tin của Hội", False, False),
    ("zalo", "Bài đăng nhóm Zalo", True, False),
    ("facebook", "Bài đăng trang Facebook", True, False),
    ("speaker-talk", "Buổi nói chuyện của báo cáo viên", False, True),
    ("meeting", "Sinh hoạt định kỳ chi, tổ hội, câu lạc bộ", False, True),
    ("law-day", "Ngày pháp luật", False, True),
    ("thematic-talk", "Nói chuyện chuyên đề", False, True),
    ("legal-counselling", "Tư vấn pháp luật", False, True),
    ("legal-aid-referral", "Giới thiệu trợ giúp pháp lý", False, True),
    ("contest", "Hội thi, triển lãm", False, True),
    ("home-visit", "Thăm hộ gia đình", False, True),
]
AUDIENCES = [
    ("members", "Hội viên"),
    ("women", "Phụ nữ"),
    ("youth", "Thanh niên"),
    ("high-risk-women", "Phụ nữ có nguy cơ cao"),
    ("migrant-workers", "Lao động di cư và gia đình"),
    ("marrying-foreigners", "Người sắp kết hôn với người nước ngoài"),
    ("pupils", "Học sinh"),
    ("parents", "Cha mẹ, người chăm sóc trẻ"),
    ("border-residents", "Cư dân khu vực biên giới"),
]


def seed(apps, schema_editor):
    Format = apps.get_model("outreach", "Format")
    Audience = apps.get_model("outreach", "Audience")
    for order, (code, name, online, meeting) in enumerate(FORMATS):
        Format.objects.update_or_create(code=code, defaults={
            "name": name, "is_online": online, "is_meeting": meeting, "order": order})
    for order, (code, name) in enumerate(AUDIENCES):
        Audience.objects.update_or_create(code=code, defaults={"name": name, "order": order})


class Migration(migrations.Migration):
    dependencies = [("outreach", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
