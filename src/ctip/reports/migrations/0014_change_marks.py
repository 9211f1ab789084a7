"""The marks of the rows written in the tables a kept duty reads (``reports.marks.CHANGES``,
decision 0094).

The table is made here; its triggers are installed with the write marks' after the migrations
(``rollups.after_migrate``).
"""

import ctip.org.paths
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('reports', '0013_write_marks'),
    ]

    operations = [
        migrations.CreateModel(
            name='ChangeMark',
            fields=[
                ('id', models.BigAutoField(primary_key=True, serialize=False)),
                ('unit_path', ctip.org.paths.TreePathField(blank=True, db_index=False, max_length=255)),
                ('down', models.BooleanField(default=False)),
            ],
            options={
                'default_permissions': (),
            },
        ),
    ]
