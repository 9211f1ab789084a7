"""Her 50 newest access tokens, for the section of the own-account page that lists them
(``api/token_section.html``, added to the page as its part ``tokens``), by a query compiled
once per process (``ctip.core.prepared``, decision 0071), as plain rows: the page is kept per
set of the values it shows (decision 0089)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from ctip.api.models import AccessToken, usable
from ctip.core.prepared import PreparedQuery

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


def tokens_listed(user: Any) -> list[TokenRow]:
    """Hers alone: the query's one argument is her id. Plain rows, no model instances."""
    if not getattr(user, "is_authenticated", False):
        return []
    now = timezone.now()
    return [TokenRow(row["id"], row["name"], row["prefix"], row["expires_at"],
                     row["last_used_at"], row["revoked_at"],
                     usable(row["revoked_at"], row["expires_at"], now))
            for row in _tokens_of.rows(user.pk)]
