"""A covering index for the situation indicators: the situations of a subtree in a period.

``reports.indicators`` reads the category, urgency and time of every situation of a subtree
received in a period. With only the ``unit_path`` index each row was read from the table
(encrypted texts and all), and every situation of the subtree was read to keep a year: among
50,000 situations the province's year took about 300 ms on SQLite, 85 ms with this index (see
``benchmarks/reports``). The index starts with the time, as ``outreach`` 0004 does and for the
same reasons; PostgreSQL compares paths with ``varchar_pattern_ops`` (see ``outreach`` 0003)
and ``INCLUDE``s the columns read; as there, PostgreSQL also gets the index path first.

Database only, no model state: nothing for ``makemigrations`` to see.
"""

from django.db import migrations

INDEX = "cases_situation_report"
PATH_INDEX = "cases_situation_report_path"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON cases_situation "
            "(created_at, unit_path varchar_pattern_ops) INCLUDE (category, urgency, id)")
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {PATH_INDEX} ON cases_situation "
            "(unit_path varchar_pattern_ops, created_at) INCLUDE (category, urgency, id)")
    else:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON cases_situation "
            "(created_at, unit_path, category, urgency)")


def drop(apps, schema_editor):
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")
    schema_editor.execute(f"DROP INDEX IF EXISTS {PATH_INDEX}")


class Migration(migrations.Migration):
    dependencies = [("cases", "0004_encrypt_follow_up_text")]
    operations = [migrations.RunPython(create, drop)]
