"""The roll-up triggers count an activity in the border / remote area when its unit *or a unit
above it* carries the flag (a branch of a border commune is in the border area), and move the
activities of a whole subtree when a unit's flags change.

No schema change: applying a migration drops the triggers before and installs the new ones
with a rebuild after (``reports.rollups.before_migrate`` / ``after_migrate``).
"""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("reports", "0005_rollups"),
        ("cases", "0010_lock_situation_deadline"),
    ]

    operations: list = []
