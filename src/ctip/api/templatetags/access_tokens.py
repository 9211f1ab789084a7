"""``{% access_tokens_of user as access_tokens %}``: her 50 newest access tokens, for the
section of the own-account page that lists them, by a query compiled once per process
(``ctip.core.prepared``, decision 0071)."""

from __future__ import annotations

from typing import Any

from django import template

from ctip.api.models import AccessToken
from ctip.core.prepared import PreparedQuery

register = template.Library()

LISTED = 50

_tokens_of = PreparedQuery(lambda user_id: AccessToken.objects.filter(user_id=user_id).only(
    "pk", "name", "prefix", "expires_at", "last_used_at", "revoked_at").order_by(
    "-created_at", "-pk")[:LISTED])


@register.simple_tag
def access_tokens_of(user: Any) -> list[AccessToken]:
    """Hers alone: the query's one argument is her id."""
    return _tokens_of(user.pk) if getattr(user, "is_authenticated", False) else []
