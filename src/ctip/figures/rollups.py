"""The roll-ups as the fact apps read them, without importing ``reports`` (decision 0053).

``reports.rollups`` keeps the roll-up tables with database triggers; the levels it cuts them
by are here, and ``reports`` registers its tables when its app is ready (``provide``). A fact
app asks ``table("activity_month")`` for the rows of ``reports.models.ActivityMonth``.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Manager

#: The roll-up levels kept: 1 = province (paths cut to two segments), 2 = commune (three).
LEVELS = (1, 2)

_TABLES: dict[str, Manager[Any]] = {}


def level_for(unit: Any, by_child: bool) -> int | None:
    """The roll-up level that answers ``unit``'s subtree (and its children when ``by_child``),
    or ``None`` when that lies deeper than the roll-ups go. Counted on the unit's path, which
    is what the roll-ups are cut by."""
    needed = unit.path.count("/") - 2 + (1 if by_child else 0)
    if needed > LEVELS[-1]:
        return None
    return max(LEVELS[0], needed)


def provide(name: str, manager: Manager[Any]) -> None:
    """Register a roll-up table under ``name`` (``reports`` does, in its ``ready``)."""
    _TABLES[name] = manager


def table(name: str) -> Manager[Any]:
    """The roll-up table registered as ``name``."""
    try:
        return _TABLES[name]
    except KeyError:
        raise ImproperlyConfigured(
            f"no roll-up table {name!r}: the reports app registers it when it is ready") from None
