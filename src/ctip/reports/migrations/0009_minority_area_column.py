"""The ethnic minority area column of the activity roll-ups (issue 11, point 4). The triggers
that count it, reading ``org.Unit.is_ethnic_minority``, are installed again after the
migrations with a rebuild that fills it for the activities already recorded
(``reports.rollups.after_migrate``)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('reports', '0008_dc_withdraw_suppressed_pdfs'),
        ('org', '0003_minority_ethnic_minority_flag'),
    ]

    operations = [
        migrations.AddField(
            model_name='activitymonth',
            name='minority',
            field=models.IntegerField(default=0),
        ),
    ]
