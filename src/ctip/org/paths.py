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


class TreePathField(models.CharField):
    """A materialised path; supports ``field__subtree=path`` (the path and all below it)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
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
