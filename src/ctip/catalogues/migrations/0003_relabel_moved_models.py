# What named the catalogues by their app now names them by ``catalogues`` (decision 0068): their
# content types (and so their permissions) and the records a submission key points to, which a
# repeated submission reads back by that label. The audit trail keeps the label an event was
# written with: its events are chained and never rewritten.

from django.db import migrations

MODELS = ("audience", "movement", "topic")


def relabel(apps, schema_editor, old="outreach", new="catalogues"):
    ContentType = apps.get_model("contenttypes", "ContentType")
    SubmissionKey = apps.get_model("core", "SubmissionKey")
    for model in MODELS:
        if not ContentType.objects.filter(app_label=new, model=model).exists():
            ContentType.objects.filter(app_label=old, model=model).update(app_label=new)
        SubmissionKey.objects.filter(target_type=f"{old}.{model}").update(
            target_type=f"{new}.{model}")


def unlabel(apps, schema_editor):
    relabel(apps, schema_editor, old="catalogues", new="outreach")


class Migration(migrations.Migration):
    dependencies = [
        ("catalogues", "0002_seed_audiences"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("core", "0002_api_submission_key"),
    ]
    operations = [migrations.RunPython(relabel, unlabel)]
