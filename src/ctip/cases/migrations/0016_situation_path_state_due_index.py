"""An index of the situations by their handling unit's path with their state and deadline, so
that the open situations late in a subtree are counted from the index alone (decision 0051)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0015_situation_import_key'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='situation',
            index=models.Index(fields=['handling_path', 'state', 'due_at'],
                               name='cases_sit_path_state_due'),
        ),
    ]
