from django.db import migrations

CLUB_TYPES = [
    ("happy-family", "Câu lạc bộ Gia đình hạnh phúc"),
    ("law", "Câu lạc bộ pháp luật"),
    ("anti-trafficking", "Câu lạc bộ phòng, chống mua bán người"),
    ("communication-team", "Tổ truyền thông cộng đồng"),
    ("savings-loan", "Tổ tiết kiệm và vay vốn, tổ liên kết"),
    ("entrusted-credit", "Tổ vay vốn ủy thác"),
    ("culture-sports", "Nhóm văn hóa, thể thao"),
]


def seed(apps, schema_editor):
    ClubType = apps.get_model("community", "ClubType")
    for order, (code, name) in enumerate(CLUB_TYPES):
        ClubType.objects.update_or_create(code=code, defaults={"name": name, "order": order})


class Migration(migrations.Migration):
    dependencies = [("community", "0002_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
