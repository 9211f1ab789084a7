from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0013_htcds_trafficking_process'),
    ]

    operations = [
        migrations.AlterField(
            model_name='notification',
            name='kind',
            field=models.CharField(choices=[('digest', 'daily digest of situations'), ('sign_in', 'repeated failed sign-ins'), ('cms_changes', 'changes requested on an article')], max_length=20, verbose_name='kind'),
        ),
    ]
