# The target groups were seeded here too; they are ``catalogues``' now, and seeded there
# (decision 0068).

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


def seed(apps, schema_editor):
    Format = apps.get_model("outreach", "Format")
    for order, (code, name, online, meeting) in enumerate(FORMATS):
        Format.objects.update_or_create(code=code, defaults={
            "name": name, "is_online": online, "is_meeting": meeting, "order": order})


class Migration(migrations.Migration):
    dependencies = [("outreach", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
