from django.db import migrations

AGENCIES = [
    ("cong-an-xa", "Công an xã, phường", "police"),
    ("cong-an-tinh", "Công an tỉnh (Phòng Cảnh sát hình sự)", "police"),
    ("bien-phong", "Đồn Biên phòng", "border_guard"),
    ("so-y-te", "Sở Y tế (tiếp nhận nạn nhân theo Điều 27)", "health"),
    ("tram-y-te", "Trạm y tế xã, phường", "health"),
    ("lao-dong", "Cơ quan lao động, việc làm", "labour"),
    ("tro-giup-phap-ly", "Trung tâm Trợ giúp pháp lý nhà nước", "justice"),
    ("tu-phap-xa", "Công chức tư pháp xã", "justice"),
    ("bao-tro-xa-hoi", "Cơ sở bảo trợ xã hội", "social"),
]
# category, urgency, hours to escalate or refer
RULES = [("suspected_trafficking", u, h) for u, h in
         (("urgent", 12), ("high", 24), ("normal", 24))] + \
    [("missing", u, h) for u, h in (("urgent", 12), ("high", 24), ("normal", 48))] + \
    [("sexual_abuse", u, h) for u, h in (("urgent", 12), ("high", 24), ("normal", 48))] + \
    [("returned", u, h) for u, h in (("urgent", 24), ("high", 48), ("normal", 72))]


def seed(apps, schema_editor):
    Agency = apps.get_model("cases", "Agency")
    DeadlineRule = apps.get_model("cases", "DeadlineRule")
    for order, (code, name, sector) in enumerate(AGENCIES):
        Agency.objects.update_or_create(code=code, defaults={
            "name": name, "sector": sector, "order": order})
    for category, urgency, hours in RULES:
        DeadlineRule.objects.update_or_create(category=category, urgency=urgency,
                                              defaults={"hours": hours})


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
