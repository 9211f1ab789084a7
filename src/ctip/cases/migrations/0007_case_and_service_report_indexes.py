"""Covering indexes for the support-case and service indicators.

After the activities and situations (``reports`` roll-ups, ``0006``), the cases and services
were the largest part of the nation table by province on SQLite (about 0.7 s each among 200,000
cases and 600,000 services, see ``benchmarks/README.md``): every case of the subtree was read
from the table for its kind and closing date, and every service of those cases for its status,
date, type and amount. These indexes hold those columns, so both queries read indexes only.
On PostgreSQL, which gains less (it hashes the join), the read columns are ``INCLUDE``d and the
path compared with ``varchar_pattern_ops`` as in ``0005``.

Database only, no model state (like ``0005``): nothing for ``makemigrations`` to see.
"""

from django.db import migrations

CASE_INDEX = "cases_case_report"
SERVICE_INDEX = "cases_service_report"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {CASE_INDEX} ON cases_supportcase "
            "(unit_path varchar_pattern_ops, opened_on) INCLUDE (closed_on, kind, id)")
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {SERVICE_INDEX} ON cases_service "
            "(case_id) INCLUDE (status, date, type, amount)")
    else:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {CASE_INDEX} ON cases_supportcase "
            "(unit_path, opened_on, closed_on, kind)")
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {SERVICE_INDEX} ON cases_service "
            "(case_id, status, date, type, amount)")


def drop(apps, schema_editor):
    schema_editor.execute(f"DROP INDEX IF EXISTS {CASE_INDEX}")
    schema_editor.execute(f"DROP INDEX IF EXISTS {SERVICE_INDEX}")


class Migration(migrations.Migration):
    dependencies = [("cases", "0006_situation_escalated_after")]
    operations = [migrations.RunPython(create, drop)]
