"""The partial index of the planned activities with the columns the activity list sums
(``selectors.list_totals``): the sums are read from the index alone, not from the records
(at a province of 1,000,000 activities, 23,000 planned ones were read row by row; decision
0051). It replaces the index of migration 0005.
"""

from django.db import migrations, models

SUMS = ["participants_women", "participants_men", "participants_total", "online_views",
        "online_shares"]


class Migration(migrations.Migration):
    dependencies = [("outreach", "0005_activity_planned_index")]
    operations = [
        migrations.RemoveIndex(model_name="activity", name="outreach_act_planned"),
        migrations.AddIndex(
            model_name="activity",
            index=models.Index(condition=models.Q(("status", "planned")),
                               fields=["status", "unit_path", "date", *SUMS],
                               name="outreach_act_planned_sums",
                               opclasses=["", "varchar_pattern_ops", "", *([""] * len(SUMS))]),
        ),
    ]
