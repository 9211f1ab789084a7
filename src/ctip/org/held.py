"""A record's copy of a unit's path, checked against the unit as it is when the record is
written (decision 0102).

Every record handled at a unit now, or held there (``paths.MOVING``), keeps a copy of the
unit's path: who may open it and which figures count it are decided from that copy, and a move
of the unit rewrites it (``units.actions._repath_subtree``). A page reads the unit (the form's
choices, the record being edited) before the action that writes; a move that commits in
between leaves the page holding the old path. Written as it was, the new record, or the record
saved whole, would carry the place the unit left: outside the scope of the officers who now
hold it, counted in the province it left, and allowed by a scope check made against the old
place.

So every save of such a model checks each copied path it writes against its source as stored
now: the unit's path (``unit_path`` against ``unit``, ``handling_path`` against
``handling_unit``), or the path of the record it copies (a referral's case or situation:
``TreePathField.copies``). What the row will hold is checked, the fields not saved as stored;
a save that changes neither a path nor its relations passes (a path already wrong stays
savable: ``ctip units check`` names it). A copy that differs is refused with ``UnitMoved``, an
``ActionError`` that the form shows beside what she typed; nothing is written, and the page she
reloads reads the unit where it is now. The activity import's ``bulk_create``, which sends no
signal, calls ``check_rows`` itself.

A move locks its units and the records that go with them, then rewrites them. On PostgreSQL
the source is read ``FOR KEY SHARE`` (the lock the foreign key's own check takes at commit,
taken earlier) and a stored row ``FOR NO KEY UPDATE`` (the lock its ``UPDATE`` takes anyway): a
move under way is waited for and its paths are read, and a move that starts later waits for
the writer and then carries the new row too. On SQLite every write transaction holds the
database from its start (``transaction_mode`` ``IMMEDIATE``): the check and the write see the
same tree.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import connections
from django.db.models.signals import pre_save
from django.utils.translation import gettext_lazy as _

from ctip.core.errors import ActionError
from ctip.org.paths import MOVING, records_handled_at, unit_field_of

MESSAGE = _("This unit was moved in the tree while you were working. Nothing was saved: "
            "check where it is now and save again.")


class UnitMoved(ActionError):
    """A record written with a copy of a unit's path read before the unit moved."""

    def __init__(self, relation: str) -> None:
        super().__init__(MESSAGE, field=relation)


def _sources(model: Any) -> list[tuple[str, list[tuple[str, str]]]]:
    """Each copied path of ``model`` that has a source, with its sources in order: (path
    field, [(relation, the related row's path field), …]): its unit, else the records it
    copies, the first of which that is set."""
    found = []
    for _model, name in records_handled_at(lambda m: m is model, MOVING):
        unit = unit_field_of(model, name)
        pairs = ([(unit, "path")] if unit is not None else
                 [(relation, "unit_path") for relation in model._meta.get_field(name).copies])
        if pairs:
            found.append((name, pairs))
    return found


#: model → [(path field, [(relation, the related row's path field), …])], in order
_GUARDED: dict[Any, list[tuple[str, list[tuple[str, str]]]]] = {}

#: PostgreSQL: the source read under a lock that a move's lock of it waits for (and that
#: waits for the move): the same lock the foreign key's check takes at commit, taken earlier;
#: the record's own row under the lock its UPDATE takes anyway
SOURCE_LOCK = "FOR KEY SHARE"
ROW_LOCK = "FOR NO KEY UPDATE"


def _read(model: Any, pk: Any, names: list[str], using: str, lock: str) -> tuple[Any, ...] | None:
    """The columns of ``names`` of row ``pk`` as stored now (locked on PostgreSQL)."""
    connection = connections[using]
    quote, meta = connection.ops.quote_name, model._meta
    columns = ", ".join(quote(meta.get_field(name).column) for name in names)
    sql = (f"SELECT {columns} FROM {quote(meta.db_table)} "  # noqa: S608  (names from the model, quoted)
           f"WHERE {quote(meta.pk.column)} = %s")
    if connection.vendor == "postgresql":
        sql += " " + lock
    with connection.cursor() as cursor:
        cursor.execute(sql, [pk])
        return cursor.fetchone()


def _source_path(model: Any, relation: str, source_field: str, pk: Any, using: str,
                 known: dict[tuple[Any, str, Any], Any]) -> Any:
    key = (model, relation, pk)
    if key not in known:
        related = model._meta.get_field(relation).related_model
        row = _read(related, pk, [source_field], using, SOURCE_LOCK)
        known[key] = None if row is None else row[0]
    return known[key]


def _stale(instance: Any, using: str, update_fields: Iterable[str] | None,
           known: dict[tuple[Any, str, Any], Any]) -> str | None:
    """The relation whose source's path ``instance`` would not carry once saved, if any.

    What the row holds after the save is compared: the fields saved from the instance, the
    others as stored. A save of a stored row that changes neither a path nor its relations
    is not checked (a path already wrong, which ``ctip units check`` names, stays savable);
    a new row, or one whose path or relation changes, must carry its source's path now.
    ``known``: the sources' paths read so far."""
    model = type(instance)
    meta = model._meta
    guarded = _GUARDED.get(model, ())
    written = (None if update_fields is None
               else {meta.get_field(name).name for name in update_fields})
    names = [field for name, pairs in guarded for field in (name, *(r for r, _s in pairs))]
    if written is not None and written.isdisjoint(names):
        return None
    stored: dict[str, Any] | None = None
    if not instance._state.adding and instance.pk is not None:
        fields = list(dict.fromkeys(names))
        row = _read(model, instance.pk, fields, using, ROW_LOCK)
        if row is not None:
            stored = dict(zip(fields, row, strict=True))

    def after(name: str) -> Any:
        if stored is None or written is None or name in written:
            return getattr(instance, meta.get_field(name).attname)
        return stored[name]

    for name, pairs in guarded:
        path = after(name)
        relations = [(relation, source, after(relation)) for relation, source in pairs]
        if stored is not None and path == stored[name] and all(
                value == stored[relation] for relation, _source, value in relations):
            continue  # the save changes nothing of the place
        relation, source, pk = next(((r, s, v) for r, s, v in relations if v is not None),
                                    (None, None, None))
        if relation is None or source is None:
            continue
        current = _source_path(model, relation, source, pk, using, known)
        if current is not None and path != current:
            return relation
    return None


def _check_saved(sender: Any, instance: Any, raw: bool = False, using: str = "default",
                 update_fields: Iterable[str] | None = None, **_kwargs: Any) -> None:
    if raw:  # rows loaded as they were dumped (``loaddata``)
        return
    relation = _stale(instance, using, update_fields, {})
    if relation is not None:
        raise UnitMoved(relation)


def check_rows(rows: Iterable[Any], using: str = "default") -> None:
    """``_check_saved`` for new rows inserted without signals (``bulk_create``): one query per
    source among them."""
    known: dict[tuple[Any, str, Any], Any] = {}
    for row in rows:
        relation = _stale(row, using, None, known)
        if relation is not None:
            raise UnitMoved(relation)


def connect() -> None:
    """Check every model whose stored paths move with their unit (``OrgConfig.ready``)."""
    for model in {model for model, _name in records_handled_at(None, MOVING)}:
        sources = _sources(model)
        if sources:
            _GUARDED[model] = sources
            pre_save.connect(_check_saved, sender=model,
                             dispatch_uid=f"org-held-{model._meta.label}")


def guarded() -> dict[Any, list[tuple[str, str, str]]]:
    """The models checked, with their (path field, relation, source field): for the tests."""
    return {model: [(name, relation, source) for name, pairs in grouped
                    for relation, source in pairs] for model, grouped in _GUARDED.items()}
