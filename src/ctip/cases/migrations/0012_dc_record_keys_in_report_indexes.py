"""The covering indexes of the person indicators (``0005``-``0007`` and ``0010``, decision 0017) hold the
record key too, so that summing the keys beside the counts (decision 0019) still reads the
indexes alone."""

from django.db import migrations

SITUATION = "cases_situation_report"
SITUATION_PATH = "cases_situation_report_path"
CASE = "cases_case_report"
SERVICE = "cases_service_report"


def _indexes(schema_editor, key: str) -> None:
    for name in (SITUATION, SITUATION_PATH, CASE, SERVICE):
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
    extra = f", {key}" if key else ""
    if schema_editor.connection.vendor == "postgresql":
        for name, columns in ((SITUATION, "created_at, unit_path varchar_pattern_ops"),
                              (SITUATION_PATH, "unit_path varchar_pattern_ops, created_at")):
            schema_editor.execute(
                f"CREATE INDEX {name} ON cases_situation ({columns}) "
                f"INCLUDE (category, urgency, escalated_after_us, deadline_us{extra}, id)")
        schema_editor.execute(
            f"CREATE INDEX {CASE} ON cases_supportcase (unit_path varchar_pattern_ops, "
            f"opened_on) INCLUDE (closed_on, kind{extra}, id)")
        schema_editor.execute(
            f"CREATE INDEX {SERVICE} ON cases_service (case_id) "
            f"INCLUDE (status, date, type, amount{extra})")
    else:
        schema_editor.execute(
            f"CREATE INDEX {SITUATION} ON cases_situation "
            f"(created_at, unit_path, category, urgency, escalated_after_us, deadline_us{extra})")
        schema_editor.execute(
            f"CREATE INDEX {CASE} ON cases_supportcase "
            f"(unit_path, opened_on, closed_on, kind{extra})")
        schema_editor.execute(
            f"CREATE INDEX {SERVICE} ON cases_service "
            f"(case_id, status, date, type, amount{extra})")


def create(apps, schema_editor):
    _indexes(schema_editor, "record_key")


def drop(apps, schema_editor):
    _indexes(schema_editor, "")


class Migration(migrations.Migration):
    dependencies = [("cases", "0011_dc_record_keys")]
    operations = [migrations.RunPython(create, drop)]
