"""The speakers' months indexed by the month first (decision 0075).

"Active speakers" in a period is the set of speakers whose months in the period sum above zero.
The index led by the speaker made the nation's year a scan of every month of every speaker
(890,000 rows at nation scale, 180,000 of them in the year); led by the month, the year's part
is read from the index alone.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("outreach", "0007_catalogue_relations"),
        ("reports", "0010_child_key_statistics"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="speakermonth",
            index=models.Index(fields=["month", "speaker", "n"], name="reports_spkmonth_month"),
        ),
    ]
