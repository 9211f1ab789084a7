"""Materialised tree paths and the one lookup that finds a subtree.

A path is ``/<id>/<id>/.../`` from the root. The subtree of a path ``P`` (``P`` included) is every
path that starts with ``P``. We query it as a byte-order range ``P <= path < P'`` where ``P'`` is
``P`` with its final ``/`` replaced by ``0`` (the next byte), so a plain B-tree index answers it:

- SQLite compares TEXT with the BINARY collation, which is byte order;
- PostgreSQL's ``~>=~`` / ``~<~`` operators compare byte-wise whatever the database collation, and
  are served by the ``varchar_pattern_ops`` index Django creates for indexed CharFields.

A plain ``LIKE 'P%'`` would work on PostgreSQL but not use the index on SQLite, and it cannot use
an index when ``P`` comes from an outer query (``OuterRef``), which the range form can.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import BooleanField, Expression, F, Lookup, Value


def upper_bound(path: str) -> str:
    """The smallest string greater than every path that starts with ``path``."""
    if not path.endswith("/"):
        raise ValueError(f"a tree path ends with '/': {path!r}")
    return path[:-1] + "0"


def is_within(path: str, root: str) -> bool:
    """The same test in Python: ``path`` is ``root`` or below it (both end with ``/``, so
    ``/1/2/`` is not within ``/1/23/``)."""
    return path.startswith(root)


def byte_order(connection: Any) -> tuple[str, str]:
    """The operators ``>=`` and ``<`` comparing byte-wise on ``connection``."""
    return ("~>=~", "~<~") if connection.vendor == "postgresql" else (">=", "<")


#: What a stored copy of a unit's path means, when the unit moves in the tree (``place=``):
#: ``"now"``, where the record is handled now (a case, a person, a situation, a report, a club):
#: it goes with its unit, since who may open it is decided from it, and a merger hands it to
#: the successor; ``"held"``, what happened at the unit (an activity, an exchange, a
#: commendation): it goes with its unit, whose officers reach it from the unit's path now, and
#: stays with a unit that closes; ``"then"``, a record of the past as it was written (an audit
#: event, a mark, a period lock's own path): it stays (decision 0008);
#: ``"derived"``, a copy of another row's path that a trigger keeps (a service's case's path).
PLACES = ("now", "held", "then", "derived")
#: the places whose paths a move of their unit rewrites (decision 0100)
MOVING = ("now", "held")


def place_of(field: Any) -> str | None:
    """The ``place`` a path field declares (``None``: not declared); a unit's path inherited
    from ``org.models.UnitFact`` by its model's ``PATH_PLACE``."""
    place = getattr(field, "place", None)
    if place is None and field.name == "unit_path":
        place = getattr(getattr(field, "model", None), "PATH_PLACE", None)
    return place


def records_handled_at(model_filter: Any = None,
                       places: tuple[str, ...] = ("now",)) -> list[tuple[Any, str]]:
    """Every (model, field name) whose stored path is ``"now"`` (or one of ``places``;
    ``MOVING``: every record that goes with its unit when it moves), of every installed model,
    read when asked: this layer imports none."""
    return [(model, field.name) for model in apps.get_models()
            for field in model._meta.concrete_fields
            if isinstance(field, TreePathField) and place_of(field) in places
            and (model_filter is None or model_filter(model))]


def unit_field_of(model: Any, path_field: str) -> str | None:
    """The foreign key to the unit whose path ``path_field`` copies (``unit_path``: ``unit``,
    ``handling_path``: ``handling_unit``), if the model has one; ``None`` for a path copied
    from another record (``TreePathField.copies``) or with no unit of its own."""
    stem = path_field.removesuffix("_path")
    for name in (stem, f"{stem}_unit"):
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        related = getattr(field, "related_model", None)
        if related is not None and related._meta.label == "org.Unit":
            return name
    return None


class TreePathField(models.CharField):
    """A materialised path; supports ``field__subtree=path`` (the path and all below it).

    A copy of a unit's path on another model declares its ``place`` (``PLACES``); the
    migrations' historical fields do not need it, and it is not part of the field's
    definition in them (``deconstruct``)."""

    def __init__(self, *args: Any, place: str | None = None, copies: tuple[str, ...] = (),
                 **kwargs: Any) -> None:
        if place is not None and place not in PLACES:
            raise ValueError(f"place must be one of {PLACES}: {place!r}")
        self.place = place
        # a copy of a related record's ``unit_path``: the first of these relations that is set
        # (a referral's case, else its situation), for ``ctip units check``
        self.copies = copies
        kwargs.setdefault("max_length", 255)
        kwargs.setdefault("db_index", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if not getattr(self, "db_index", True):   # the default here is an index: say when not
            kwargs["db_index"] = False
        return name, path, args, kwargs


@TreePathField.register_lookup
class Subtree(Lookup):
    lookup_name = "subtree"

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        lhs, lhs_tuple = self.process_lhs(compiler, connection)
        rhs, rhs_tuple = self.process_rhs(compiler, connection)
        lhs_params: list[Any] = list(lhs_tuple)
        rhs_params: list[Any] = list(rhs_tuple)
        ge, lt = byte_order(connection)
        bound_params: list[Any]
        if self.rhs_is_direct_value():
            bound_sql, bound_params = "%s", [upper_bound(str(self.rhs))]
        else:
            bound_sql = f"(SUBSTR({rhs}, 1, LENGTH({rhs}) - 1) || '0')"
            bound_params = [*rhs_params, *rhs_params]
        sql = f"({lhs} {ge} {rhs} AND {lhs} {lt} {bound_sql})"
        params: list[Any] = [*lhs_params, *rhs_params, *lhs_params, *bound_params]
        return sql, params


class NarrowSubtree(Expression):
    """``unit_path__subtree=path`` (the same range), for a unit known to be small.

    On SQLite each bound is wrapped in ``likelihood(…, 0.01)``. SQLite keeps no histograms, so
    it cannot tell the chosen commune's range from the viewer's scope (the whole province, also
    a range on ``unit_path``, earlier in the query): it used the first, and read every activity
    of the province. The hint makes it seek the (unit_path, date) index on the commune's range.
    PostgreSQL gets the plain range."""

    output_field = BooleanField()
    likelihood = 0.01

    def __init__(self, path: str) -> None:
        super().__init__(output_field=BooleanField())
        self.operands: list[Any] = [F("unit_path"), Value(path), Value(upper_bound(path))]

    def get_source_expressions(self) -> list[Any]:
        return self.operands

    def set_source_expressions(self, exprs: Any) -> None:
        self.operands = list(exprs)

    def _bounds(self, compiler: Any) -> tuple[str, str, str, list[Any]]:
        (column, c), (low, lo), (high, hi) = (compiler.compile(e) for e in self.operands)
        return column, low, high, [*c, *lo, *c, *hi]

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        column, low, high, params = self._bounds(compiler)
        ge, lt = byte_order(connection)
        return f"({column} {ge} {low} AND {column} {lt} {high})", params

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        column, low, high, params = self._bounds(compiler)
        p = self.likelihood
        return (f"(likelihood({column} >= {low}, {p}) AND likelihood({column} < {high}, {p}))",
                params)
