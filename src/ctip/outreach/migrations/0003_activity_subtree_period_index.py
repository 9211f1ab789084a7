"""PostgreSQL only: an index that serves "the activities of a subtree in a period".

The ``subtree`` lookup compares paths byte-wise with ``~>=~`` / ``~<~`` (see ``ctip.org.paths``),
and only an index with the ``varchar_pattern_ops`` operator class serves those operators. The
model's ``outreach_act_path_date`` index has the default operator class, so PostgreSQL cannot
use it for a subtree: for a commune's year it combined the ``unit_path`` and ``date`` indexes
and read 200,000 index entries (114 ms; 4 ms with this index, among 1,000,000 activities; see
``benchmarks/outreach``). SQLite compares text byte-wise anyway and uses the model's index.

Database only, no model state: nothing for ``makemigrations`` to see. Once ``models.py``
declares ``outreach_act_path_date`` with ``opclasses=["varchar_pattern_ops", ""]``, this index
is redundant and a later migration can drop it.
"""

from django.db import migrations

INDEX = "outreach_act_subtree_period"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} "
            "ON outreach_activity (unit_path varchar_pattern_ops, date)")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("outreach", "0002_seed_catalogues")]
    operations = [migrations.RunPython(create, drop)]
