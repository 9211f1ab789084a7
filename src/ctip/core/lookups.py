"""An ``__in`` lookup on integer fields that a number too large for the database cannot break.

Django already turns ``pk=2**63`` into "no such row" (``IntegerFieldOverflow``), but not
``pk__in=[2**63]`` nor ``unit__in=[2**63]``: on SQLite the driver raises ``OverflowError`` and
the page answers 500. A multiple-choice field (``ModelMultipleChoiceField``) and any selector
filtering by ids from a query string run that lookup, so it is fixed once here, for every
integer field and every relation to one: values outside the database's range match nothing and
are left out (registered by ``CoreConfig.ready``).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db.models import ForeignObject, IntegerField
from django.db.models.fields.related_lookups import RelatedIn
from django.db.models.lookups import In


def _drop_out_of_range(self: Any, connection: Any) -> None:
    """Leave out of ``self.rhs`` the integers the database cannot hold."""
    if not self.rhs_is_direct_value():
        return
    field = self.lhs.output_field
    field = getattr(field, "target_field", field)  # a relation: the field it points to
    try:
        low, high = connection.ops.integer_field_range(field.get_internal_type())
    except KeyError:  # not an integer field
        return
    values = list(self.rhs)
    kept = [v for v in values if not isinstance(v, int) or isinstance(v, bool) or (
        (low is None or v >= low) and (high is None or v <= high))]
    if len(kept) != len(values):
        if not kept:
            raise EmptyResultSet
        self.rhs = kept


class IntegerFieldIn(In):
    lookup_name = "in"

    def process_rhs(self, compiler: Any, connection: Any) -> Any:
        _drop_out_of_range(self, connection)
        return super().process_rhs(compiler, connection)


class RelatedIntegerIn(RelatedIn):
    lookup_name = "in"

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        _drop_out_of_range(self, connection)
        return super().as_sql(compiler, connection)


def register() -> None:
    IntegerField.register_lookup(IntegerFieldIn)
    ForeignObject.register_lookup(RelatedIntegerIn)
