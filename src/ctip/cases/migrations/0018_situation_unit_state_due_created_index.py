"""The index of the situations by handling unit, state and deadline also holds the time of
recording, so that the inbox picks each section's most urgent rows, in their order, from the
index alone and reads only those rows (decision 0059)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0017_situation_unit_state_due_index'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='situation',
            name='cases_sit_unit_state_due',
        ),
        migrations.AddIndex(
            model_name='situation',
            index=models.Index(fields=['handling_unit', 'state', 'due_at', 'created_at'],
                               name='cases_sit_unit_state_due_at'),
        ),
    ]
