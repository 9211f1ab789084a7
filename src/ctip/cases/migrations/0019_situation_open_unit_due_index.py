"""The inbox's index holds the open situations alone: (handling unit, deadline, time of
recording, key, state) where the state is not closed. Each section's page is then read in the
inbox's order from the handling unit's part of it and the walk stops at the page's end; the
(handling unit, state, deadline) index of 0018 could not give that order, "not closed" being no
equality, and PostgreSQL walked the deadline index of every situation instead (decision
0065). It replaces the index of 0018."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0018_situation_unit_state_due_created_index'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='situation',
            name='cases_sit_unit_state_due_at',
        ),
        migrations.AddIndex(
            model_name='situation',
            index=models.Index(condition=models.Q(('state', 'closed'), _negated=True),
                               fields=['handling_unit', 'due_at', 'created_at', 'id', 'state'],
                               name='cases_sit_open_unit_due'),
        ),
    ]
