# The relations to the shared catalogues, which outreach's 0001 created when the catalogues were
# its own (decision 0068). A database migrated before has their columns and tables already.

import django.db.models.deletion
from django.db import migrations, models

from ctip.core.migration_ops import AddFieldIfMissing


class Migration(migrations.Migration):

    dependencies = [
        ("catalogues", "0001_initial"),
        ("outreach", "0006_activity_planned_sums_index"),
    ]

    operations = [
        AddFieldIfMissing(
            model_name="activity",
            name="movement",
            field=models.ForeignKey(blank=True, null=True,
                                    on_delete=django.db.models.deletion.PROTECT,
                                    related_name="activities", to="catalogues.movement",
                                    verbose_name="movement"),
        ),
        AddFieldIfMissing(
            model_name="activity",
            name="topics",
            field=models.ManyToManyField(blank=True, related_name="activities",
                                         to="catalogues.topic", verbose_name="topics"),
        ),
        AddFieldIfMissing(
            model_name="activity",
            name="audiences",
            field=models.ManyToManyField(blank=True, related_name="activities",
                                         to="catalogues.audience", verbose_name="audiences"),
        ),
        AddFieldIfMissing(
            model_name="material",
            name="topic",
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT,
                                    related_name="materials", to="catalogues.topic"),
            preserve_default=False,
        ),
    ]
