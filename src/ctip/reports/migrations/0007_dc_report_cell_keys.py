from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("reports", "0006_lock_area_flags_below"),
    ]

    operations = [
        migrations.AddField(
            model_name="report", name="cell_keys",
            field=models.JSONField(blank=True, default=dict, editable=False),
        ),
    ]
