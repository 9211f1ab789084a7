"""A partial index of the planned activities (``selectors.list_totals``).

The activity list's totals come from the roll-ups (``reports.models.ActivityMonth``), which
keep the done activities only; the planned ones (the coming week's, a few in a hundred) are
summed from the records, and this index keeps that read to them instead of every activity of
the period.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("outreach", "0004_activity_report_index")]
    operations = [
        migrations.AddIndex(
            model_name="activity",
            index=models.Index(condition=models.Q(("status", "planned")),
                               fields=["unit_path", "date"], name="outreach_act_planned",
                               opclasses=["varchar_pattern_ops", ""]),
        ),
    ]
