# The relations to the shared catalogues, which community's 0002 added when the catalogues were
# ``outreach``'s (decision 0068). A database migrated before has their tables already.

from django.db import migrations, models

from ctip.core.migration_ops import AddFieldIfMissing


class Migration(migrations.Migration):

    dependencies = [
        ("catalogues", "0001_initial"),
        ("community", "0004_club_history"),
    ]

    operations = [
        AddFieldIfMissing(
            model_name="club",
            name="target_groups",
            field=models.ManyToManyField(blank=True, related_name="clubs",
                                         to="catalogues.audience",
                                         verbose_name="target groups"),
        ),
        AddFieldIfMissing(
            model_name="club",
            name="movements",
            field=models.ManyToManyField(blank=True, related_name="clubs",
                                         to="catalogues.movement", verbose_name="movements"),
        ),
        AddFieldIfMissing(
            model_name="exchange",
            name="topics",
            field=models.ManyToManyField(blank=True, related_name="exchanges",
                                         to="catalogues.topic", verbose_name="topics"),
        ),
    ]
