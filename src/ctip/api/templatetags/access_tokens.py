"""``{% access_tokens_of user as access_tokens %}``: her 50 newest access tokens, for the
section of the own-account page that lists them, by a query compiled once per process
(``ctip.core.prepared``, decision 0071), as plain rows: the section is rendered once per set of
rows (``{% per_inputs %}``, decision 0081)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django import template

from ctip.api.models import AccessToken
from ctip.core.prepared import PreparedQuery

register = template.Library()

LISTED = 50

_tokens_of = PreparedQuery(lambda user_id: AccessToken.objects.filter(user_id=user_id).only(
    "pk", "name", "prefix", "expires_at", "last_used_at", "revoked_at").order_by(
    "-created_at", "-pk")[:LISTED])


@dataclass(frozen=True)
class TokenRow:
    pk: int
    name: str
    prefix: str
    expires_at: datetime.datetime
    last_used_at: datetime.datetime | None
    revoked_at: datetime.datetime | None
    usable: bool  # not revoked, not expired: now


@register.simple_tag
def access_tokens_of(user: Any) -> list[TokenRow]:
    """Hers alone: the query's one argument is her id."""
    if not getattr(user, "is_authenticated", False):
        return []
    return [TokenRow(t.pk, t.name, t.prefix, t.expires_at, t.last_used_at, t.revoked_at,
                     t.is_usable) for t in _tokens_of(user.pk)]
