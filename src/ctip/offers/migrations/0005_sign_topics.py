# The outreach topics that teach a sign, which offers' 0003 added when the topics were
# ``outreach``'s (decision 0068). A database migrated before has their table already.

import modelcluster.fields
from django.db import migrations

from ctip.core.migration_ops import AddFieldIfMissing


class Migration(migrations.Migration):

    dependencies = [
        ("catalogues", "0001_initial"),
        ("offers", "0004_default_sign_links"),
    ]

    operations = [
        AddFieldIfMissing(
            model_name="warningsign",
            name="topics",
            field=modelcluster.fields.ParentalManyToManyField(
                blank=True, related_name="warning_signs", to="catalogues.topic",
                verbose_name="outreach topics that teach it"),
        ),
    ]
