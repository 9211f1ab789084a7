# Activities and commendations go with their unit when it moves (decision 0100). Those of a unit
# moved before kept the path it had then: give them their unit's path now. The roll-up triggers
# are off while migrations run, and the roll-ups are rebuilt after them (decision 0018).

from django.db import migrations
from django.db.models import F, OuterRef, Subquery


def forwards(apps, schema_editor):
    unit = apps.get_model("org", "Unit")
    for name in ("Activity", "Commendation"):
        model = apps.get_model("outreach", name)
        model._base_manager.exclude(unit_path=F("unit__path")).update(unit_path=Subquery(
            unit.objects.filter(pk=OuterRef("unit_id")).values("path")[:1]))


class Migration(migrations.Migration):

    dependencies = [
        ("org", "0003_minority_ethnic_minority_flag"),
        ("outreach", "0007_catalogue_relations"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True)]
