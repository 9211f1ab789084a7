"""Report PDFs built before small counts were hidden in them are withdrawn: the file is
deleted and the export marked failed with the reason, so that nothing offers the raw numbers
for download any more. The report itself is untouched; its PDF is built again with one click."""

from django.db import migrations
from django.core.files.storage import default_storage

REASON = ("Tệp PDF này được tạo trước khi các số liệu nhỏ về người được ẩn, nên đã được gỡ bỏ. "
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
        ("reports", "0003_campaign_reports_and_reminders"),
    ]

    operations = [
        migrations.RunPython(withdraw, migrations.RunPython.noop),
    ]
