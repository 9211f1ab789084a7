"""Roll-ups kept by the database: monthly sums of the activities per province and commune,
months of activity per speaker, and the situations' escalation delay (see
``ctip.reports.rollups``). The tables are created here; the triggers are installed and the
roll-ups computed from the records already there by the ``post_migrate`` handler of the
reports app, after every migration has run (a trigger in place would stop SQLite from
rebuilding the tables it names)."""

import ctip.org.paths
import django.db.models.deletion
from django.db import migrations, models




def uninstall(apps, schema_editor):
    # a migration's function: it imports the app's code when it runs, not when the graph loads
    from ctip.reports import rollups

    rollups.uninstall(schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ('outreach', '0004_activity_report_index'),
        ('reports', '0004_withdraw_unsuppressed_pdfs'),
        ('cases', '0006_situation_escalated_after'),
        ('org', '0002_seed_unit_types'),
    ]

    operations = [
        migrations.CreateModel(
            name='ActivityMonth',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('level', models.PositiveSmallIntegerField()),
                ('path', ctip.org.paths.TreePathField(db_index=False, max_length=255)),
                ('month', models.DateField()),
                ('n', models.IntegerField(default=0)),
                ('women', models.BigIntegerField(default=0)),
                ('men', models.BigIntegerField(default=0)),
                ('total', models.BigIntegerField(default=0)),
                ('views', models.BigIntegerField(default=0)),
                ('shares', models.BigIntegerField(default=0)),
                ('border', models.IntegerField(default=0)),
                ('remote', models.IntegerField(default=0)),
                ('any_area', models.IntegerField(default=0)),
                ('delta', models.BooleanField(default=True)),
                ('format', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='outreach.format')),
            ],
            options={
                'indexes': [models.Index(fields=['level', 'path', 'month', 'format'], name='reports_actmonth_key', opclasses=['', 'varchar_pattern_ops', '', '']), models.Index(condition=models.Q(('delta', True)), fields=['level', 'path', 'month', 'format'], name='reports_actmonth_new')],
            },
        ),
        migrations.CreateModel(
            name='SpeakerMonth',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('month', models.DateField()),
                ('n', models.IntegerField(default=0)),
                ('delta', models.BooleanField(default=True)),
                ('speaker', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='outreach.speaker')),
            ],
            options={
                'indexes': [models.Index(fields=['speaker', 'month', 'n'], name='reports_spkmonth_key'), models.Index(condition=models.Q(('delta', True)), fields=['speaker', 'month'], name='reports_spkmonth_new')],
            },
        ),
        migrations.RunPython(migrations.RunPython.noop, uninstall),
    ]
