from django.db import migrations

UNIT_TYPES = [
    # code, Vietnamese name, English name, usual level, historical
    ("central", "Trung ương Hội", "Central Union", 0, False),
    ("province", "Tỉnh, thành phố", "Province or city", 1, False),
    ("district", "Quận, huyện, thị xã (trước 7/2025)", "District (before July 2025)", 2, True),
    ("commune", "Xã, phường, đặc khu", "Commune, ward or special zone", 2, False),
    ("branch", "Chi hội", "Branch", 3, False),
    ("group", "Tổ hội, tổ phụ nữ", "Group", 4, False),
    ("department", "Ban, phòng chuyên môn", "Department", 2, False),
    ("affiliated", "Đơn vị trực thuộc", "Affiliated unit", 2, False),
]


def seed(apps, schema_editor):
    UnitType = apps.get_model("org", "UnitType")
    for code, name, name_en, level, historical in UNIT_TYPES:
        UnitType.objects.update_or_create(
            code=code,
            defaults={"name": name, "name_en": name_en, "level": level,
                      "is_historical": historical},
        )


class Migration(migrations.Migration):
    dependencies = [("org", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
