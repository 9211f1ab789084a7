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
``TreePathField.copies``). A copy that differs is refused with an ``ActionError`` that the
form shows beside what she typed; nothing is written, and the page she reloads reads the unit
where it is now. The activity import's ``bulk_create``, which sends no signal, calls
``check_rows`` itself.

On SQLite every write transaction holds the database from its start (``transaction_mode``
``IMMEDIATE``), so an action's check and its write see the same tree. On PostgreSQL a move
that commits after the check but before the writer commits is not seen; the move locks every
record it carries, so the window is the writer's own last statements, and ``ctip units check``
names any path left behind (decision 0102).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models.signals import pre_save
from django.utils.translation import gettext_lazy as _

from ctip.core.errors import ActionError
from ctip.org.paths import MOVING, records_handled_at, unit_field_of

MESSAGE = _("This unit was moved in the tree while you were working. Nothing was saved: "
            "check where it is now and save again.")


def _sources(model: Any) -> list[tuple[str, str, str]]:
    """(path field, relation, the related row's path field) for each copied path of ``model``
    that has a source: its unit, else the first of the records it copies that is set."""
    found = []
    for _model, name in records_handled_at(lambda m: m is model, MOVING):
        field = model._meta.get_field(name)
        unit = unit_field_of(model, name)
        if unit is not None:
            found.append((name, unit, "path"))
        else:
            found += [(name, relation, "unit_path") for relation in field.copies]
    return found


_GUARDED: dict[Any, list[tuple[str, str, str]]] = {}


def _current(model: Any, relation: str, source_field: str, pk: Any, using: str) -> Any:
    related = model._meta.get_field(relation).related_model
    return (related._base_manager.using(using).filter(pk=pk)
            .values_list(source_field, flat=True).first())


def _stale(instance: Any, using: str, written: set[str] | None,
           known: dict[tuple[Any, str, Any], Any]) -> str | None:
    """The relation whose path ``instance`` would write stale, if any (``written``: the
    fields saved, ``None`` for all; ``known``: the sources' paths read so far)."""
    model = type(instance)
    done: set[str] = set()
    for name, relation, source_field in _GUARDED.get(model, ()):
        if name in done or (written is not None and name not in written
                            and relation not in written):
            continue
        pk = getattr(instance, model._meta.get_field(relation).attname)
        if pk is None:  # copied from the next relation that is set
            continue
        done.add(name)
        key = (model, relation, pk)
        if key not in known:
            known[key] = _current(model, relation, source_field, pk, using)
        if getattr(instance, name) != known[key]:
            return relation
    return None


def _check_saved(sender: Any, instance: Any, raw: bool = False, using: str = "default",
                 update_fields: Iterable[str] | None = None, **_kwargs: Any) -> None:
    if raw:  # rows loaded as they were dumped (``loaddata``)
        return
    written = set(update_fields) if update_fields is not None else None
    relation = _stale(instance, using, written, {})
    if relation is not None:
        raise ActionError(MESSAGE, field=relation)


def check_rows(rows: Iterable[Any], using: str = "default") -> None:
    """``_check_saved`` for rows inserted without signals (``bulk_create``): one query per
    source among them."""
    known: dict[tuple[Any, str, Any], Any] = {}
    for row in rows:
        relation = _stale(row, using, None, known)
        if relation is not None:
            raise ActionError(MESSAGE, field=relation)


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
    return dict(_GUARDED)
