"""A covering index for the indicators: the activities of a subtree in a period, summed.

``reports.indicators`` sums the done activities of a subtree in a period by format (counts,
participants by sex, online reach) and by area (the unit's flags). With only the
``(unit_path, date)`` index every matching row is read from the table: among 1,000,000
activities the province's year (about 200,000 rows) took over a second on SQLite, half a
second on PostgreSQL (a bitmap scan of the ``date`` index, then the table). This index holds
every column those queries read, so they are answered from the index alone (see
``benchmarks/reports``). It starts with the date: SQLite (without STAT4 statistics) plans a
period of a subtree on the ``date`` index whatever else exists, and for a province or the nation
the period is the selective part; the path is then checked on the index entry. A small subtree
(a commune) is still served by ``0003``'s ``(unit_path, date)`` index where the planner prefers
it. On PostgreSQL the path is compared with ``varchar_pattern_ops`` (see ``0003``) and the
summed columns are ``INCLUDE``d, with ``id`` (what ``COUNT`` reads; SQLite's indexes hold the
rowid anyway). PostgreSQL, which has the statistics to choose, also gets the same index path
first (``outreach_act_report_path``): among 10,000,000 activities of the nation, a province's
year is 55,000 of the year's 2,000,000 rows and a commune's month a few dozen, and reading them
by path took 72 ms instead of 400 (the whole nation by province still reads the date-first one).

Database only, no model state (like ``0003``): nothing for ``makemigrations`` to see.
"""

from django.db import migrations

INDEX = "outreach_act_report"
PATH_INDEX = "outreach_act_report_path"
SUMMED = ("status, format_id, unit_id, participants_women, participants_men, "
          "participants_total, online_views, online_shares")


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON outreach_activity "
            f"(date, unit_path varchar_pattern_ops) INCLUDE (id, {SUMMED})")
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {PATH_INDEX} ON outreach_activity "
            f"(unit_path varchar_pattern_ops, date) INCLUDE (id, {SUMMED})")
    else:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON outreach_activity (date, unit_path, {SUMMED})")


def drop(apps, schema_editor):
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")
    schema_editor.execute(f"DROP INDEX IF EXISTS {PATH_INDEX}")


class Migration(migrations.Migration):
    dependencies = [("outreach", "0003_activity_subtree_period_index")]
    operations = [migrations.RunPython(create, drop)]
