"""The tree's own rules that the writes of every app share: a closed unit takes no new work.

Below ``accounts`` and ``audit``, so that their writes and those of the fact apps check it
without importing the tree's pages and writes (``ctip.units``, decision 0053).
"""

from __future__ import annotations

from django.utils import formats
from django.utils.translation import gettext as _

from ctip.core.errors import ActionError
from ctip.org.models import Unit


def closed_message(unit: Unit) -> str:
    successors = list(unit.successors.all())
    closed = formats.date_format(unit.closed_on, "SHORT_DATE_FORMAT") if unit.closed_on else ""
    if successors:
        return _("The unit “%(name)s” was closed on %(date)s; its work continues in "
                 "%(successors)s.") % {
            "name": unit.name, "date": closed,
            "successors": ", ".join(f"“{s.name}”" for s in successors),
        }
    return _("The unit “%(name)s” was closed on %(date)s.") % {"name": unit.name, "date": closed}


def ensure_open(unit: Unit) -> None:
    if unit.closed_on is not None:
        raise ActionError(closed_message(unit))
