"""The day of each support case's first delivered service, and the services of a period found
by their date (decision 0064).

"Victims who received at least one support service" looked the services up for every victim's
case of the subtree, twice (the count and its key): 0.87 s of the nation's table by province on
PostgreSQL. The day is now a column of the case, kept by database triggers on the services
(``reports.rollups``, which rebuilds it after this migration) and held by the cases' report
index, so "served by the end of the period" is a comparison on rows already read. The services
delivered in a period were found by reading every service (no index by date): an index by
status and date that holds the columns the indicator reads.
"""

from django.db import migrations, models

CASE = "cases_case_report"
SERVICE = "cases_service_dated"


def _case_index(schema_editor, included: str) -> None:
    schema_editor.execute(f"DROP INDEX IF EXISTS {CASE}")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX {CASE} ON cases_supportcase (unit_path varchar_pattern_ops, "
            f"opened_on) INCLUDE ({included}, id)")
    else:
        schema_editor.execute(
            f"CREATE INDEX {CASE} ON cases_supportcase (unit_path, opened_on, {included})")


def create(apps, schema_editor):
    _case_index(schema_editor, "closed_on, kind, record_key, first_served_on")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX {SERVICE} ON cases_service (status, date) "
            "INCLUDE (case_id, type, amount, record_key)")
    else:
        schema_editor.execute(
            f"CREATE INDEX {SERVICE} ON cases_service "
            "(status, date, case_id, type, amount, record_key)")


def drop(apps, schema_editor):
    schema_editor.execute(f"DROP INDEX IF EXISTS {SERVICE}")
    _case_index(schema_editor, "closed_on, kind, record_key")


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0019_situation_open_unit_due_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="supportcase",
            name="first_served_on",
            field=models.DateField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(create, drop),
    ]
