"""The unit path of each service's case, on the service (decision 0070).

The nation's indicator table by province found the services delivered in a period by their
case's unit, so it joined the year's services (a fifth of 600,000) to the 200,000 cases for
their path, and grouped them by the province of that path: the largest source of the table
(about 370 ms under load). The path is now a column of the service, kept by database triggers
(``reports.rollups``, which fills it in the rebuild after this migration): set from the case
when a service is written, and moved with the case when the case moves. The indexes hold what
the indicator reads: by status and date (the nation's, a fifth of the services) and, for the
delivered ones, by path and date (a province's or a commune's), with statistics on the child a
service falls under (as ``reports`` 0010 for the other fact tables).
"""

from django.db import migrations

import ctip.org.paths

DATED = "cases_service_dated"
PATH = "cases_service_path"
PARTS = (3, 4)


def create(apps, schema_editor):
    schema_editor.execute(f"DROP INDEX IF EXISTS {DATED}")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX {DATED} ON cases_service (status, date) "
            "INCLUDE (case_path, type, amount, record_key)")
        schema_editor.execute(
            f"CREATE INDEX {PATH} ON cases_service (case_path varchar_pattern_ops, date) "
            "INCLUDE (type, amount, record_key) WHERE status = 'delivered'")
        for part in PARTS:
            schema_editor.execute(
                f"CREATE STATISTICS IF NOT EXISTS cases_service_child{part} "
                f"ON (split_part(case_path, '/', {part})) FROM cases_service")
    else:
        schema_editor.execute(
            f"CREATE INDEX {DATED} ON cases_service "
            "(status, date, case_path, type, amount, record_key)")
        schema_editor.execute(
            f"CREATE INDEX {PATH} ON cases_service (case_path, date, type, amount, "
            "record_key) WHERE status = 'delivered'")


def drop(apps, schema_editor):
    schema_editor.execute(f"DROP INDEX IF EXISTS {PATH}")
    schema_editor.execute(f"DROP INDEX IF EXISTS {DATED}")
    if schema_editor.connection.vendor == "postgresql":
        for part in PARTS:
            schema_editor.execute(f"DROP STATISTICS IF EXISTS cases_service_child{part}")
        schema_editor.execute(
            f"CREATE INDEX {DATED} ON cases_service (status, date) "
            "INCLUDE (case_id, type, amount, record_key)")
    else:
        schema_editor.execute(
            f"CREATE INDEX {DATED} ON cases_service "
            "(status, date, case_id, type, amount, record_key)")


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0020_case_first_served_on"),
    ]

    operations = [
        migrations.AddField(
            model_name="service",
            name="case_path",
            field=ctip.org.paths.TreePathField(blank=True, db_index=False, editable=False,
                                               max_length=255, null=True),
        ),
        migrations.RunPython(create, drop),
    ]
