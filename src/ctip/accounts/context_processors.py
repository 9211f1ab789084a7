from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from ctip.accounts.policy import navigation_for


def shell(request: HttpRequest) -> dict[str, Any]:
    """What the base layout needs: the language switcher and the navigation the user may use."""
    return {
        "LANGUAGES": settings.LANGUAGES,
        "nav_items": navigation_for(request.user) if hasattr(request, "user") else [],
    }
