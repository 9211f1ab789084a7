"""Re-encrypting every encrypted value, and recomputing every value derived from a field key,
with the newest key (``ctip keys rotate``).

What depends on the field keys:

- every ``EncryptedTextField`` of the cases app (Fernet tokens), and the key canary;
- ``Person.name_key``, the keyed hash of the folded name used to find duplicates
  (``crypto.search_key``: an HMAC whose key is derived from the newest field key);
- ``Situation.import_key``, the keyed hash that recognises a situation imported from a
  register twice (its unit, the day it was received, its category, its summary).

The rotation is resumable: it walks each table by id in batches, each batch in its own
transaction, and leaves alone a row already readable by the newest key alone whose derived
values are already right. Interrupted (Ctrl+C, a crash, a restart), it is simply run again.
Until it has finished, duplicate checks look a name up under every configured key
(``crypto.search_keys``), so nothing is missed in between.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from django.apps import apps
from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from ctip.audit.actions import record
from ctip.cases import crypto
from ctip.cases.actions import import_key_source
from ctip.cases.fields import EncryptedTextField
from ctip.core.text import fold


def encrypted_columns() -> dict[str, tuple[str, list[str]]]:
    """``{model label: (table, [encrypted columns])}`` for every model holding encrypted
    values (also used by ``ctip restore`` to test the keys against a backup)."""
    result: dict[str, tuple[str, list[str]]] = {}
    for model in apps.get_models():
        columns = [str(f.column) for f in model._meta.concrete_fields
                   if isinstance(f, EncryptedTextField)]
        if model._meta.label == "cases.KeyCanary":
            columns = ["token"]
        if columns:
            result[model._meta.label] = (str(model._meta.db_table), columns)
    return result


Row = dict[str, Any]


def _derived(label: str) -> tuple[list[str], dict[str, Callable[[Row], str]]]:
    """The columns computed with a key from a row's decrypted values, and the plain columns
    they need besides: ``([column read], {column: function of the row})``."""
    if label == "cases.Person":
        return ["anonymised_at"], {"name_key": _name_key}
    if label == "cases.Situation":
        return ["unit_id", "created_at", "category"], {"import_key": _import_key}
    return [], {}


def _name_key(row: Row) -> str:
    # an anonymised person keeps no name key (``anonymise_person``)
    if row.get("anonymised_at") or not row.get("full_name"):
        return ""
    return crypto.search_key(fold(row["full_name"]))


def _import_key(row: Row) -> str:
    if not row["import_key"]:  # recorded in ctip, not imported from a register
        return ""
    received = row["created_at"]  # an imported situation was received at noon of its day
    if isinstance(received, str):
        received = parse_datetime(received)
    if timezone.is_naive(received):  # SQLite hands back UTC without its zone
        received = timezone.make_aware(received, dt.UTC)
    return crypto.search_key(import_key_source(
        row["unit_id"], timezone.localdate(received), row["category"], row["description"]))


def rotate_all(batch_size: int = 500,
               progress: Callable[[str, int], None] | None = None) -> dict[str, int]:
    """Bring every encrypted and derived value to the newest key; return the rows changed per
    model. Safe to interrupt and to run again."""
    crypto.check_keys_against_canary()
    newest = Fernet(crypto.current_keys()[0])
    quote = connection.ops.quote_name
    counts: dict[str, int] = {}
    for label, (table, columns) in encrypted_columns().items():
        extra, derived = _derived(label)
        select = [*columns, *derived, *extra]
        changed = 0
        last_id: int | None = None
        while True:
            with transaction.atomic():
                sql = (f"SELECT id, {', '.join(quote(c) for c in select)} FROM {quote(table)} "  # noqa: S608
                       f"{'WHERE id > %s' if last_id is not None else ''} ORDER BY id LIMIT %s")
                params = [last_id, batch_size] if last_id is not None else [batch_size]
                with connection.cursor() as cursor:
                    cursor.execute(sql, params)
                    rows = cursor.fetchall()
                    for raw in rows:
                        values = dict(zip(select, raw[1:], strict=True))
                        update = _row_update(values, columns, derived, newest)
                        if update:
                            assignments = ", ".join(f"{quote(c)} = %s" for c in update)
                            cursor.execute(
                                f"UPDATE {quote(table)} SET {assignments} WHERE id = %s",  # noqa: S608
                                [*update.values(), raw[0]])
                            changed += 1
            if not rows:
                break
            last_id = rows[-1][0]
            if progress is not None:
                progress(label, changed)
        counts[label] = changed
    record(actor=None, action="keys.rotated", target_label="field keys", changes=counts)
    return counts


def _row_update(values: Row, columns: list[str], derived: dict[str, Callable[[Row], str]],
                newest: Fernet) -> dict[str, str]:
    update: dict[str, str] = {}
    plain: Row = {column: value for column, value in values.items() if column not in columns}
    for column in columns:
        token = values[column]
        if not token:
            plain[column] = ""
            continue
        assert isinstance(token, str)  # noqa: S101
        try:
            plain[column] = newest.decrypt(token.encode()).decode()
        except InvalidToken:
            plain[column] = crypto.decrypt(token)
            update[column] = crypto.encrypt(plain[column])
    for column, compute in derived.items():
        expected = compute(plain)
        if values[column] != expected:
            update[column] = expected
    return update
