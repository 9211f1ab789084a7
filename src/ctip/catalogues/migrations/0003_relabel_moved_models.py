# What named the catalogues by their app now names them by ``catalogues`` (decision 0068): their
# content types (and so their permissions) and the records a submission key points to, which a
# repeated submission reads back by that label. The audit trail keeps the label an event was
# written with: its events are chained and never rewritten.
#
# A ``migrate`` that stopped before this migration has already created the new content types
# (Django creates them after every ``migrate``), beside the old ones that the permissions, the
# groups' grants and the logs point to. The two are then merged into the old one, which keeps
# its id and takes the new label: nothing is left under the old label for
# ``remove_stale_contenttypes`` to delete with its permissions.

from django.db import migrations

MODELS = ("audience", "movement", "topic")


def _move_grants(through, field, source, target):
    """The rows of a many-to-many table that point to ``source`` point to ``target``; a row
    that ``target`` already has is dropped."""
    other = next(f.name for f in through._meta.fields
                 if f.is_relation and f.name != field and f.name != "id")
    held = set(through.objects.filter(**{field: target}).values_list(f"{other}_id", flat=True))
    for row in through.objects.filter(**{field: source}):
        if getattr(row, f"{other}_id") in held:
            row.delete()
        else:
            setattr(row, field, target)
            row.save(update_fields=[field])


def merge(apps, kept, dropped):
    """Everything that points to the content type ``dropped`` points to ``kept``, which is then
    the only one."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    for permission in Permission.objects.filter(content_type=dropped):
        twin = Permission.objects.filter(content_type=kept, codename=permission.codename).first()
        if twin is None:
            permission.content_type = kept
            permission.save(update_fields=["content_type"])
            continue
        for rel in Permission._meta.related_objects:
            if rel.many_to_many:
                field = next(f.name for f in rel.through._meta.fields
                             if f.is_relation and f.related_model is Permission)
                _move_grants(rel.through, field, permission, twin)
        permission.delete()
    for rel in ContentType._meta.related_objects:
        if rel.related_model is Permission or rel.many_to_many:
            continue
        rel.related_model._base_manager.filter(**{rel.field.name: dropped}).update(
            **{rel.field.name: kept})
    dropped.delete()


def relabel(apps, schema_editor, old="outreach", new="catalogues"):
    ContentType = apps.get_model("contenttypes", "ContentType")
    SubmissionKey = apps.get_model("core", "SubmissionKey")
    for model in MODELS:
        before = ContentType.objects.filter(app_label=old, model=model).first()
        after = ContentType.objects.filter(app_label=new, model=model).first()
        if before is not None:
            if after is not None:
                merge(apps, kept=before, dropped=after)
            before.app_label = new
            before.save(update_fields=["app_label"])
        SubmissionKey.objects.filter(target_type=f"{old}.{model}").update(
            target_type=f"{new}.{model}")


def unlabel(apps, schema_editor):
    relabel(apps, schema_editor, old="catalogues", new="outreach")


class Migration(migrations.Migration):
    dependencies = [
        ("catalogues", "0002_seed_audiences"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("core", "0002_api_submission_key"),
    ]
    operations = [migrations.RunPython(relabel, unlabel)]
