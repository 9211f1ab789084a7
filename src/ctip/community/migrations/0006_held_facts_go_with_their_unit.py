# Exchanges go with their unit when it moves (decision 0100). Those of a unit moved before kept
# the path it had then: they are given their unit's path now.

from django.db import migrations

from ctip.org.migration_ops import unit_paths_given


class Migration(migrations.Migration):

    dependencies = [
        ("org", "0003_minority_ethnic_minority_flag"),
        ("community", "0005_catalogue_relations"),
    ]

    operations = [unit_paths_given("community", "Exchange")]
