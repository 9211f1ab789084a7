# The shared catalogues, moved from ``outreach`` (decision 0068). Their tables keep the names
# ``outreach`` gave them; a database migrated before already has them, with their rows.

from django.db import migrations, models

from ctip.core.migration_ops import CreateModelIfMissing


class Migration(migrations.Migration):

    initial = True

    dependencies = []

    operations = [
        CreateModelIfMissing(
            name='Audience',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.SlugField(unique=True, verbose_name='code')),
                ('name', models.CharField(max_length=150, verbose_name='name')),
                ('order', models.PositiveSmallIntegerField(default=100, verbose_name='order')),
                ('archived', models.BooleanField(default=False, verbose_name='archived')),
            ],
            options={
                'db_table': 'outreach_audience',
                'verbose_name': 'audience',
                'verbose_name_plural': 'audiences',
                'ordering': ['order', 'name'],
                'abstract': False,
            },
        ),
        CreateModelIfMissing(
            name='Movement',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=300, verbose_name='name')),
                ('kind', models.CharField(choices=[('movement', 'emulation movement'), ('campaign', 'campaign')], default='movement', max_length=20, verbose_name='kind')),
                ('description', models.TextField(blank=True, verbose_name='description')),
                ('archived', models.BooleanField(default=False, verbose_name='archived')),
            ],
            options={
                'db_table': 'outreach_movement',
                'verbose_name': 'movement',
                'verbose_name_plural': 'movements',
                'ordering': ['name'],
            },
        ),
        CreateModelIfMissing(
            name='Topic',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=300, verbose_name='name')),
                ('name_folded', models.CharField(db_index=True, editable=False, max_length=300)),
                ('kind', models.CharField(choices=[('law', 'law and policy'), ('trick', "traffickers' tricks"), ('hotline', 'hotline and help'), ('migration', 'safe migration and work abroad'), ('marriage', 'marriage with foreigners'), ('other', 'other')], default='other', max_length=20, verbose_name='kind')),
                ('description', models.TextField(blank=True, verbose_name='description')),
                ('archived', models.BooleanField(default=False, verbose_name='archived')),
            ],
            options={
                'db_table': 'outreach_topic',
                'verbose_name': 'topic',
                'verbose_name_plural': 'topics',
                'ordering': ['kind', 'name'],
            },
        ),
    ]
