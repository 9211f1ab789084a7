"""Break glass worth its name (issue 12): a reason category, the reason encrypted at rest, the
unit at which the opener acted (review goes above it), and four-eyes anonymisation requests.

Reasons written before this migration were plain text: they are encrypted here, and the flags
get the case's unit as the opener's unit (the nearest guess; review then lies above it)."""

import ctip.cases.fields
import ctip.org.paths
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


TOKEN_PREFIX = "gAAAAA"  # every Fernet token starts with its version byte and timestamp


def _is_token(value: str) -> bool:
    # a migration's function: it imports the app's code when it runs, not when the graph loads
    from ctip.cases import crypto

    if not value.startswith(TOKEN_PREFIX):
        return False
    try:
        crypto.decrypt(value)
    except crypto.KeyError_:  # plain text that merely starts like a token
        return False
    return True


def encrypt_reasons(apps, schema_editor) -> None:  # noqa: ANN001
    # a migration's function: it imports the app's code when it runs, not when the graph loads
    from ctip.cases import crypto

    connection = schema_editor.connection
    table = connection.ops.quote_name("cases_breakglass")
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET actor_path = unit_path "  # noqa: S608
                       "WHERE actor_path = ''")
        cursor.execute(f"SELECT id, reason FROM {table}")  # noqa: S608
        for pk, reason in cursor.fetchall():
            if reason and not _is_token(reason):
                cursor.execute(f"UPDATE {table} SET reason = %s WHERE id = %s",  # noqa: S608
                               [crypto.encrypt(reason), pk])


def decrypt_reasons(apps, schema_editor) -> None:  # noqa: ANN001
    # a migration's function: it imports the app's code when it runs, not when the graph loads
    from ctip.cases import crypto

    connection = schema_editor.connection
    table = connection.ops.quote_name("cases_breakglass")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, reason FROM {table}")  # noqa: S608
        for pk, reason in cursor.fetchall():
            if reason and _is_token(reason):
                cursor.execute(f"UPDATE {table} SET reason = %s WHERE id = %s",  # noqa: S608
                               [crypto.decrypt(reason), pk])


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0008_signin_notification_kind'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='breakglass',
            name='actor_path',
            field=ctip.org.paths.TreePathField(db_index=True, default='', max_length=255),
        ),
        migrations.AddField(
            model_name='breakglass',
            name='category',
            field=models.CharField(choices=[('danger', 'immediate danger to the person'), ('authority', 'a request from a court or the police'), ('unreachable', 'the assigned case worker cannot be reached'), ('correction', 'a correction of her data was ordered'), ('other', 'other')], default='other', max_length=12, verbose_name='reason category'),
        ),
        migrations.AddField(
            model_name='breakglass',
            name='kind',
            field=models.CharField(choices=[('view', 'identity opened'), ('self_assign', 'assigned herself to the case')], default='view', max_length=12, verbose_name='what'),
        ),
        migrations.AlterField(
            model_name='breakglass',
            name='reason',
            field=ctip.cases.fields.EncryptedTextField(blank=True, verbose_name='reason'),
        ),
        migrations.CreateModel(
            name='AnonymisationRequest',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('unit_path', ctip.org.paths.TreePathField(db_index=True, max_length=255)),
                ('reason', ctip.cases.fields.EncryptedTextField(blank=True, verbose_name='reason')),
                ('requested_at', models.DateTimeField(auto_now_add=True)),
                ('state', models.CharField(choices=[('pending', 'waiting for approval'), ('approved', 'approved'), ('rejected', 'rejected')], db_index=True, default='pending', max_length=10, verbose_name='state')),
                ('decided_at', models.DateTimeField(blank=True, null=True)),
                ('decided_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('person', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='anonymisation_requests', to='cases.person')),
                ('requested_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'anonymisation request',
                'ordering': ['-requested_at', '-id'],
                'constraints': [models.UniqueConstraint(condition=models.Q(('state', 'pending')), fields=('person',), name='cases_one_pending_anonymisation')],
            },
        ),
        migrations.RunPython(encrypt_reasons, decrypt_reasons),
    ]
