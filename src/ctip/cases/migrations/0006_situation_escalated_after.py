"""When each situation was first escalated, as microseconds after it was recorded.

"Escalated within the deadline" compared the first escalation event of every situation of the
period with the deadline rule in Python, one row per situation (10,000 for a province's year,
100,000 for the nation's). The delay is now a column of the situation, kept by database
triggers on the events (``reports.rollups``; ``reports`` 0005 installs them and fills the
column), so the comparison is a sum in SQL. The covering index of ``0005`` takes the column
too, so the indicator still reads the index alone.
"""

from django.db import migrations, models

INDEX = "cases_situation_report"
PATH_INDEX = "cases_situation_report_path"


def _indexes(schema_editor, included: str) -> None:
    """Replace both report indexes by ones that hold ``included`` besides the key."""
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")
    schema_editor.execute(f"DROP INDEX IF EXISTS {PATH_INDEX}")
    if schema_editor.connection.vendor == "postgresql":
        for name, key in ((INDEX, "created_at, unit_path varchar_pattern_ops"),
                          (PATH_INDEX, "unit_path varchar_pattern_ops, created_at")):
            schema_editor.execute(
                f"CREATE INDEX {name} ON cases_situation ({key}) INCLUDE ({included}, id)")
    else:
        schema_editor.execute(
            f"CREATE INDEX {INDEX} ON cases_situation (created_at, unit_path, {included})")


def create(apps, schema_editor):
    _indexes(schema_editor, "category, urgency, escalated_after_us")


def drop(apps, schema_editor):
    _indexes(schema_editor, "category, urgency")


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0005_situation_report_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="situation",
            name="escalated_after_us",
            field=models.BigIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(create, drop),
    ]
