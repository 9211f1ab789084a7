"""The mark of a view anyone may open, below every app so ``core``'s own views can carry it.

The rest of the access declarations (``@requires``, ``@signed_in``) need the roles and the audit
trail and live in ``ctip.accounts.access``, which re-exports these two names.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.http.response import HttpResponseBase

ACCESS_ATTR = "ctip_access"
V = TypeVar("V", bound=Callable[..., HttpResponseBase])


def public(view: V) -> V:
    setattr(view, ACCESS_ATTR, "public")
    return view
