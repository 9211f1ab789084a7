"""An index of the situations by their handling unit with their state and deadline, so that
the inbox counts the sections of a unit and the late ones of its children from the index alone
(decision 0051)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0016_situation_path_state_due_index'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='situation',
            index=models.Index(fields=['handling_unit', 'state', 'due_at'],
                               name='cases_sit_unit_state_due'),
        ),
    ]
