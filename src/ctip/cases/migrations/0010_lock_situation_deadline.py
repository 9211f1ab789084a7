"""Store the deadline fixed when a situation is received (``Situation.deadline_us``).

"Escalated within the deadline" recomputed every situation's deadline from today's rules, so
a rule changed later rewrote past rates, and a situation the inbox had shown as late (by its
stored ``due_at``) could be counted on time. The deadline is now fixed when the situation is
received and stored; the indicator compares the first escalation with it
(``cases.deadlines``).

Existing situations get the best value there is: the stored ``due_at`` while it is still the
deadline fixed at receipt (received or being verified, not yet escalated or referred), else
the rule in force at this migration (the deadline of those was never stored). The covering
index of the indicator takes the new column (see 0006).
"""

import datetime as dt

from django.db import migrations, models

INDEX = "cases_situation_report"
PATH_INDEX = "cases_situation_report_path"
DEFAULT_HOURS = {"urgent": 24, "high": 72, "normal": 168}
HOUR_US = 3_600_000_000


def _indexes(schema_editor, included: str) -> None:
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")
    schema_editor.execute(f"DROP INDEX IF EXISTS {PATH_INDEX}")
    if schema_editor.connection.vendor == "postgresql":
        for name, key in ((INDEX, "created_at, unit_path varchar_pattern_ops"),
                          (PATH_INDEX, "unit_path varchar_pattern_ops, created_at")):
            schema_editor.execute(
                f"CREATE INDEX {name} ON cases_situation ({key}) INCLUDE ({included}, id)")
    else:
        schema_editor.execute(
            f"CREATE INDEX {INDEX} ON cases_situation (created_at, unit_path, {included})")


def fill(apps, schema_editor):
    Situation = apps.get_model("cases", "Situation")
    DeadlineRule = apps.get_model("cases", "DeadlineRule")
    rules = {(r.category, r.urgency): r.hours for r in DeadlineRule.objects.all()}
    for s in Situation.objects.filter(deadline_us__isnull=True).only(
            "pk", "category", "urgency", "state", "created_at", "due_at").iterator():
        if s.state in ("received", "verifying") and s.due_at is not None:
            us = (s.due_at - s.created_at) // dt.timedelta(microseconds=1)
        else:
            hours = rules.get((s.category, s.urgency),
                              DEFAULT_HOURS.get(s.urgency, DEFAULT_HOURS["normal"]))
            us = hours * HOUR_US
        Situation.objects.filter(pk=s.pk).update(deadline_us=us)
    _indexes(schema_editor, "category, urgency, escalated_after_us, deadline_us")


def unfill(apps, schema_editor):
    _indexes(schema_editor, "category, urgency, escalated_after_us")


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0009_ident_break_glass_reasons"),
    ]

    operations = [
        migrations.AddField(
            model_name="situation",
            name="deadline_us",
            field=models.BigIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(fill, unfill),
    ]
