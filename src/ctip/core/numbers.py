"""Whole numbers as the pages write them, thousands grouped ("12.000"), for pages that write
hundreds of them."""

from __future__ import annotations

from collections.abc import Callable

from django.utils import numberformat
from django.utils.formats import get_format


def grouped_writer() -> Callable[[int], str]:
    """A function writing a whole number with its thousands grouped in the active language's
    format, as ``humanize``'s ``intcomma`` does, the format looked up once here rather than
    for every number (``intcomma`` looks up three settings of the language per number; a
    province's progress table writes six hundred)."""
    separator = str(get_format("THOUSAND_SEPARATOR"))
    grouping = get_format("NUMBER_GROUPING")
    if grouping == 3:
        return lambda n: f"{n:,}".replace(",", separator)
    decimal = str(get_format("DECIMAL_SEPARATOR"))
    return lambda n: numberformat.format(n, decimal, grouping=grouping,
                                         thousand_sep=separator, force_grouping=True)
