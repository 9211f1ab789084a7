"""A follow-up's text is encrypted at rest, like every other narrative about a person."""

from django.db import migrations

import ctip.cases.fields

TOKEN_PREFIX = "gAAAAA"  # every Fernet token starts with its version byte and timestamp


def _plain(value: str) -> str | None:
    """The text behind a token of ours, or None when ``value`` is not one (plain text that
    merely starts like a token included)."""
    # a migration's function: it imports the app's code when it runs, not when the graph loads
    from ctip.cases import crypto

    if not value.startswith(TOKEN_PREFIX):
        return None
    try:
        return crypto.decrypt(value)
    except crypto.KeyError_:  # not a token these keys wrote (``ctip check`` proves the keys)
        return None


def _convert(apps, schema_editor, *, forward: bool) -> None:  # noqa: ANN001
    # a migration's function: it imports the app's code when it runs, not when the graph loads
    from ctip.cases import crypto

    connection = schema_editor.connection
    table = connection.ops.quote_name("cases_followup")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, what FROM {table}")  # noqa: S608
        rows = cursor.fetchall()
        for pk, what in rows:
            if not what:
                continue
            plain = _plain(what)
            if forward and plain is None:
                new = crypto.encrypt(what)
            elif not forward and plain is not None:
                # back to the 300-character column it was: longer texts are cut, not refused
                new = plain[:300]
            else:
                continue
            cursor.execute(f"UPDATE {table} SET what = %s WHERE id = %s", [new, pk])  # noqa: S608


def encrypt(apps, schema_editor) -> None:  # noqa: ANN001
    _convert(apps, schema_editor, forward=True)


def decrypt(apps, schema_editor) -> None:  # noqa: ANN001
    _convert(apps, schema_editor, forward=False)


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0003_notification"),
    ]

    operations = [
        migrations.AlterField(
            model_name="followup",
            name="what",
            field=ctip.cases.fields.EncryptedTextField(verbose_name="what"),
        ),
        migrations.RunPython(encrypt, decrypt),
    ]
