"""Statistics on the child a fact falls under, for the planner (decision 0064).

The tables by child group a subtree's rows by the id of the child they fall under
(``reports.indicators.ChildKey``: on PostgreSQL ``split_part(unit_path, '/', n)``). Without
statistics on that expression PostgreSQL takes it to have as many values as the paths
themselves (tens of thousands at nation scale), so it planned to sort the nation's 100,000
situations of a year on disk instead of adding them up in a hash table of 34 provinces × 10
categories. These statistics give it the number of provinces (``n`` 3, the central union's
children) and of communes (``n`` 4, a province's) the rows of each fact table grouped in SQL
fall under. PostgreSQL only; ``ANALYZE`` (here, and autovacuum's after) keeps them.
"""

from django.db import migrations

TABLES = ("cases_situation", "cases_referral", "cases_supportcase", "community_club",
          "outreach_speaker", "outreach_commendation", "outreach_activity")
PARTS = (3, 4)


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        for part in PARTS:
            schema_editor.execute(
                f"CREATE STATISTICS IF NOT EXISTS {table}_child{part} "
                f"ON (split_part(unit_path, '/', {part})) FROM {table}")
        schema_editor.execute(f"ANALYZE {table}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        for part in PARTS:
            schema_editor.execute(f"DROP STATISTICS IF EXISTS {table}_child{part}")


class Migration(migrations.Migration):

    dependencies = [
        ("reports", "0009_minority_area_column"),
        ("cases", "0020_case_first_served_on"),
        ("community", "0004_club_history"),
        ("outreach", "0006_activity_planned_sums_index"),
    ]

    operations = [migrations.RunPython(create, drop)]
