"""The activity update trigger no longer reads the path alone: a path rewritten without its
unit (a restructuring, a repair) moves the roll-ups' sums in one statement each way
(``rollups.shift_activities``, decision 0100). No table changes; applying a migration
reinstalls the triggers and rebuilds the roll-ups (``rollups.after_migrate``)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('reports', '0014_change_marks'),
    ]

    operations = []
