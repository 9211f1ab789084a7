"""What the default signs warn of in the trafficking process (``defaults.DEFAULT_LINKS``), for
the signs the editors have not mapped yet."""

from typing import Any

from django.db import migrations

from ctip.offers.defaults import DEFAULT_LINKS

FIELDS = ("recruitment_methods", "exploitation", "means_of_control")


def seed(apps: Any, schema_editor: Any) -> None:
    WarningSign = apps.get_model("offers", "WarningSign")
    for sign in WarningSign.objects.filter(code__in=list(DEFAULT_LINKS)):
        if any(getattr(sign, name) for name in FIELDS):
            continue  # mapped by the editors: theirs wins
        for name in FIELDS:
            setattr(sign, name, DEFAULT_LINKS[sign.code].get(name, []))
        sign.save(update_fields=list(FIELDS))


class Migration(migrations.Migration):
    dependencies = [("offers", "0003_sign_links")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
