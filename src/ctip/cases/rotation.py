"""Re-encrypting every encrypted column with the newest key (``ctip keys rotate``)."""

from __future__ import annotations

from django.apps import apps
from django.db import connection, transaction

from ctip.audit.actions import record
from ctip.cases import crypto
from ctip.cases.fields import EncryptedTextField


def rotate_all(batch_size: int = 500) -> dict[str, int]:
    counts: dict[str, int] = {}
    quote = connection.ops.quote_name
    with transaction.atomic():
        crypto.check_keys_against_canary()
        for model in apps.get_app_config("cases").get_models():
            columns = [str(f.column) for f in model._meta.concrete_fields
                       if isinstance(f, EncryptedTextField)]
            if model.__name__ == "KeyCanary":
                columns = ["token"]
            if not columns:
                continue
            table = quote(str(model._meta.db_table))
            select = ", ".join(quote(str(c)) for c in columns)
            done = 0
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT id, {select} FROM {table}")  # noqa: S608
                rows = cursor.fetchall()
                for row in rows:
                    values = [crypto.rotate(v) if v else v for v in row[1:]]
                    assignments = ", ".join(f"{quote(c)} = %s" for c in columns)
                    cursor.execute(f"UPDATE {table} SET {assignments} WHERE id = %s",  # noqa: S608
                                   [*values, row[0]])
                    done += 1
            counts[model._meta.label] = done
        record(actor=None, action="keys.rotated", changes=counts)
    return counts
