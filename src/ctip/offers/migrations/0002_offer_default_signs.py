"""The default library of warning signs (issue #19.2), and the right to keep it for the
bulletin-wide editors and publishers (the province's), not for a commune's section groups."""

from typing import Any

from django.db import migrations

from ctip.offers.defaults import DEFAULT_SIGNS
from ctip.portal.permissions import EDITORS, PUBLISHERS

CODENAMES = ("add_warningsign", "change_warningsign", "delete_warningsign", "view_warningsign")


def seed(apps: Any, schema_editor: Any) -> None:
    WarningSign = apps.get_model("offers", "WarningSign")
    for order, sign in enumerate(DEFAULT_SIGNS, start=1):
        WarningSign.objects.get_or_create(code=sign["code"], defaults={
            "title": sign["title"], "explanation": sign["explanation"],
            "weight": sign["weight"], "sort_order": order * 10,
            "phrases": "\n".join(sign["phrases"]),
            "patterns": "\n".join(sign.get("patterns", [])),
            "questions": "\n".join(sign.get("questions", [])),
            "pay_threshold": sign.get("pay_threshold"),
            "pay_context": "\n".join(sign.get("pay_context", [])),
        })
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    content_type, _c = ContentType.objects.get_or_create(app_label="offers", model="warningsign")
    permissions = [Permission.objects.get_or_create(
        content_type=content_type, codename=codename,
        defaults={"name": codename.replace("_", " ").capitalize()})[0] for codename in CODENAMES]
    for name in (EDITORS, PUBLISHERS):
        group, _c = Group.objects.get_or_create(name=name)
        group.permissions.add(*permissions)


def unload(apps: Any, schema_editor: Any) -> None:
    apps.get_model("offers", "WarningSign").objects.filter(
        code__in=[s["code"] for s in DEFAULT_SIGNS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("offers", "0001_offer_signs"),
        ("portal", "0004_section_groups"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(seed, unload)]
