"""Repair the slugs Wagtail's transliteration garbled, with redirects from the old addresses
(``ctip.portal.slug_repair``; decision record 0030)."""

from typing import Any

from django.db import migrations


def repair(apps: Any, schema_editor: Any) -> None:
    # a migration's function: it imports the app's code when it runs, not when the graph loads
    from ctip.portal.slug_repair import repair_garbled_slugs

    repair_garbled_slugs(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0004_section_groups"),
        ("wagtailredirects", "0008_add_verbose_name_plural"),
    ]

    operations = [migrations.RunPython(repair, migrations.RunPython.noop)]
