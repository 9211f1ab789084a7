"""What other apps show on the own-account page (``/accounts/profile/``), by name.

A part is a name and a function of the signed-in user giving the plain values its template
shows (``ctip.api`` adds her access tokens as ``tokens``; the API sits above the accounts, so it
registers itself here when its app is ready). The page is kept per set of the values it shows
(``accounts.kept``, decision 0089): whatever a part shows must come from its values.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ctip.accounts.kept import RESERVED

_parts: dict[str, Callable[[Any], Any]] = {}


#: the page's own values (``accounts.views.profile``), which a part may not take
OWN = frozenset({"username", "full_name", "unit", "overview", "has_device"})


def add_part(name: str, values_of: Callable[[Any], Any]) -> None:
    if name in OWN or name in RESERVED or _parts.get(name, values_of) is not values_of:
        raise ValueError(f"the own-account page already has a value named {name!r}")
    _parts[name] = values_of


def parts_of(user: Any) -> dict[str, Any]:
    return {name: values_of(user) for name, values_of in _parts.items()}
