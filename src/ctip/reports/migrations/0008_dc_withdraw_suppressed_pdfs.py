"""Report PDFs built with the old per-table suppression are withdrawn (decision 0019): their
exact large counts beside today's perturbed ones would let a reader subtract. The file is
deleted and the export marked failed with the reason; the report itself is untouched, and its
PDF is built again, protected by the disclosure-control layer, with one click."""

from django.db import migrations
from django.core.files.storage import default_storage

REASON = ("Tệp PDF này được tạo theo cách bảo vệ số liệu cũ nên đã được gỡ bỏ. "
          "Hãy tạo lại tệp PDF.")


def withdraw(apps, schema_editor) -> None:  # noqa: ANN001

    Export = apps.get_model("reports", "Export")
    for export in Export.objects.using(schema_editor.connection.alias).exclude(file=""):
        name = export.file.name
        if name and default_storage.exists(name):
            default_storage.delete(name)
        export.file = ""
        export.status = "failed"
        export.error = REASON
        export.save(update_fields=["file", "status", "error"])


class Migration(migrations.Migration):

    dependencies = [
        ("reports", "0007_dc_report_cell_keys"),
    ]

    operations = [
        migrations.RunPython(withdraw, migrations.RunPython.noop),
    ]
