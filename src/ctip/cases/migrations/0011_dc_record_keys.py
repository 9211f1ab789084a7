"""A random record key on every fact that counts a person (situations, referrals, support cases,
services), for the cell-key perturbation of ``reports.privacy`` (decision 0019).

New rows draw their key in Python (``new_record_key``); existing rows get an independent random
key each here, in one UPDATE per table (``AddField`` alone would give them all the same one).
"""

from django.db import migrations, models

import ctip.cases.models

TABLES = ("cases_situation", "cases_referral", "cases_supportcase", "cases_service")


def fill(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    expression = ("floor(random() * 256)::int" if vendor == "postgresql"
                  else "abs(random()) % 256")
    with schema_editor.connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"UPDATE {table} SET record_key = {expression}")  # noqa: S608


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0010_lock_situation_deadline"),
    ]

    operations = [
        migrations.AddField(
            model_name=model, name="record_key",
            field=models.PositiveSmallIntegerField(
                default=ctip.cases.models.new_record_key, editable=False),
        ) for model in ("situation", "referral", "supportcase", "service")
    ] + [migrations.RunPython(fill, migrations.RunPython.noop)]
