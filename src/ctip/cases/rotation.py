"""Re-encrypting every encrypted value, and recomputing every value derived from a field key,
with the newest key (``ctip keys rotate``).

What depends on the field keys:

- every ``EncryptedTextField`` of the cases app (Fernet tokens), and the key canary;
- ``Person.name_key``, the keyed hash of the folded name used to find duplicates
  (``crypto.search_key``: an HMAC whose key is derived from the newest field key).

The rotation is resumable: it walks each table by id in batches, each batch in its own
transaction, and leaves alone a row already readable by the newest key alone whose derived
values are already right. Interrupted (Ctrl+C, a crash, a restart), it is simply run again.
Until it has finished, duplicate checks look a name up under every configured key
(``crypto.search_keys``), so nothing is missed in between.
"""

from __future__ import annotations

from collections.abc import Callable

from cryptography.fernet import Fernet, InvalidToken
from django.apps import apps
from django.db import connection, transaction

from ctip.audit.actions import record
from ctip.cases import crypto
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


def _derived(label: str) -> dict[str, tuple[str, Callable[[dict[str, str]], str]]]:
    """Columns computed from decrypted values with a key: ``{column: (source, function)}``."""
    if label == "cases.Person":
        return {"name_key": ("full_name", _name_key)}
    return {}


def _name_key(row: dict[str, str]) -> str:
    # an anonymised person keeps no name key (``anonymise_person``)
    if row.get("anonymised_at") or not row.get("full_name"):
        return ""
    return crypto.search_key(fold(row["full_name"]))


def rotate_all(batch_size: int = 500,
               progress: Callable[[str, int], None] | None = None) -> dict[str, int]:
    """Bring every encrypted and derived value to the newest key; return the rows changed per
    model. Safe to interrupt and to run again."""
    crypto.check_keys_against_canary()
    newest = Fernet(crypto.current_keys()[0])
    quote = connection.ops.quote_name
    counts: dict[str, int] = {}
    for label, (table, columns) in encrypted_columns().items():
        derived = _derived(label)
        extra = ["anonymised_at"] if label == "cases.Person" else []
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


def _row_update(values: dict[str, object], columns: list[str],
                derived: dict[str, tuple[str, Callable[[dict[str, str]], str]]],
                newest: Fernet) -> dict[str, str]:
    update: dict[str, str] = {}
    plain: dict[str, str] = {}
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
    plain["anonymised_at"] = "1" if values.get("anonymised_at") else ""
    for column, (_source, compute) in derived.items():
        expected = compute(plain)
        if values[column] != expected:
            update[column] = expected
    return update
