"""The escalation delay read to the microsecond on SQLite.

SQLite's date functions round a fraction of a second to milliseconds, so the roll-up trigger
counted an escalation at ``06:59:59.999999`` a second late (``reports.rollups``,
``_Dialect.micros``). The trigger's text changes, and with it the delays already stored: this
migration has nothing of its own to do. Any migration to apply makes the reports app drop its
triggers before and install them again after, recomputing every roll-up from the records
(``reports.apps``), which writes the delays again with the corrected trigger's arithmetic.
On PostgreSQL, whose trigger is unchanged, the same rebuild runs: it recomputes the same
numbers, in the one transaction of the migration.
"""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("reports", "0011_speaker_month_by_month"),
    ]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop),
    ]
