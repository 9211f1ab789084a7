"""The marks of the audit events that wrote something (``reports.marks``, decision 0093).

The table is made here; its trigger is installed with the roll-ups' after the migrations
(``rollups.after_migrate``), whose rebuild fills it from the trail.
"""

import ctip.org.paths
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('reports', '0012_escalation_delay_to_the_microsecond'),
    ]

    operations = [
        migrations.CreateModel(
            name='WriteMark',
            fields=[
                ('id', models.BigIntegerField(primary_key=True, serialize=False)),
                ('unit_path', ctip.org.paths.TreePathField(blank=True, db_index=False, max_length=255)),
                ('tree', models.BooleanField(default=False)),
            ],
            options={
                'default_permissions': (),
            },
        ),
    ]
