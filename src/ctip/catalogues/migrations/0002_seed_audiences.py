# The target groups a new database starts with, seeded by ``outreach``'s 0002 before they moved
# here (decision 0068). A database that has target groups already keeps them as they are.

from django.db import migrations

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
    Audience = apps.get_model("catalogues", "Audience")
    if Audience.objects.exists():
        return
    Audience.objects.bulk_create(Audience(code=code, name=name, order=order)
                                 for order, (code, name) in enumerate(AUDIENCES))


class Migration(migrations.Migration):
    dependencies = [("catalogues", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
