"""What other apps show on the own-account page (``/accounts/profile/``), by name.

A part is a name and a function of the signed-in user giving the plain values its template
shows (``ctip.api`` adds her access tokens as ``tokens``; the API sits above the accounts, so it
registers itself here when its app is ready). The page is kept per set of the values it shows
(``accounts.kept``, decision 0089): whatever a part shows must come from its values.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_parts: dict[str, Callable[[Any], Any]] = {}


def add_part(name: str, values_of: Callable[[Any], Any]) -> None:
    _parts[name] = values_of


def parts_of(user: Any) -> dict[str, Any]:
    return {name: values_of(user) for name, values_of in _parts.items()}
