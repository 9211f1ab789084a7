"""An ``__in`` lookup on integer fields that a number too large for the database cannot break.

Django already turns ``pk=2**63`` into "no such row" (``IntegerFieldOverflow``), but not
``pk__in=[2**63]``: on SQLite the driver raises ``OverflowError`` and the page answers 500. A
multiple-choice field (``ModelMultipleChoiceField``) and any selector filtering by ids from a
query string run that lookup, so it is fixed once here, for every integer field: values outside
the database's range match nothing and are left out (registered by ``CoreConfig.ready``).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db.models import IntegerField
from django.db.models.lookups import In


class IntegerFieldIn(In):
    lookup_name = "in"

    def process_rhs(self, compiler: Any, connection: Any) -> Any:
        if self.rhs_is_direct_value():
            internal_type = self.lhs.output_field.get_internal_type()
            low, high = connection.ops.integer_field_range(internal_type)
            values = list(self.rhs)
            kept = [v for v in values if not isinstance(v, int) or (
                (low is None or v >= low) and (high is None or v <= high))]
            if len(kept) != len(values):
                if not kept:
                    raise EmptyResultSet
                self.rhs = kept
        return super().process_rhs(compiler, connection)


def register() -> None:
    IntegerField.register_lookup(IntegerFieldIn)
