"""A partial index of the planned activities (``selectors.list_totals``).

The activity list's totals come from the roll-ups (``reports.models.ActivityMonth``), which
keep the done activities only; the planned ones (the coming week's, a few in a hundred) are
summed from the records, and this index keeps that read to them instead of every activity of
the period. The status comes first: with the path first, SQLite (which plans a path range
without statistics of this index) took the ``(unit_path, date)`` index instead and read every
activity of the province's year.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("outreach", "0004_activity_report_index")]
    operations = [
        migrations.AddIndex(
            model_name="activity",
            index=models.Index(condition=models.Q(("status", "planned")),
                               fields=["status", "unit_path", "date"],
                               name="outreach_act_planned",
                               opclasses=["", "varchar_pattern_ops", ""]),
        ),
    ]
