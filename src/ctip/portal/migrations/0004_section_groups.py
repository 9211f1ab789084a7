"""Per-section groups and workflows for the sections that exist, and the holders of the
bulletin roles put in them (see ``ctip.portal.permissions``)."""

from django.db import migrations


def seed(apps, schema_editor):
    # a migration's function: it imports the app's code when it runs, not when the graph loads
    from ctip.portal.permissions import ensure_groups

    ensure_groups(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0003_section_unit_and_groups"),
        ("accounts", "0001_initial"),
    ]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
