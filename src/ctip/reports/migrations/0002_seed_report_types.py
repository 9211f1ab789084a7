"""The report types every unit owes its parent (names as the Union writes them)."""

from django.db import migrations

TYPES = [
    ("monthly", "monthly", "Báo cáo tháng", 5),
    ("quarterly", "quarterly", "Báo cáo quý", 10),
    ("half", "half", "Báo cáo sơ kết 6 tháng", 15),
    ("annual", "annual", "Báo cáo tổng kết năm", 20),
    ("campaign-30-7", "campaign",
     "Báo cáo kết quả Tháng hành động phòng, chống mua bán người (30/7)", 10),
]


def seed(apps, schema_editor):
    ReportType = apps.get_model("reports", "ReportType")
    for code, kind, name, days in TYPES:
        ReportType.objects.update_or_create(
            code=code, defaults={"kind": kind, "name": name, "due_days_after_period": days})


def unseed(apps, schema_editor):
    apps.get_model("reports", "ReportType").objects.filter(
        code__in=[t[0] for t in TYPES]).delete()


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
