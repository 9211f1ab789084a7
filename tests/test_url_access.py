"""Deny by default: every URL pattern's view declares what it needs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

from ctip.accounts.access import ACCESS_ATTR
from ctip.accounts.capabilities import CAPABILITIES

# Views of third-party apps mounted under our URLs, with how they are protected.
THIRD_PARTY: dict[str, str] = {
    "cms/": "Wagtail admin: every view requires sign-in (our sign-in page) and Wagtail's "
            "access_admin permission, held by the editor and publisher groups",
    "documents/": "Wagtail documents: served publicly unless a collection privacy rule says "
                  "otherwise, which Wagtail checks",
    "_util/authenticate_with_password/": "Wagtail page privacy: the password form of a "
                                         "restricted page, public by nature",
}


def walk(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.callback


def test_every_view_declares_its_access() -> None:
    undeclared = []
    unknown = []
    routes = list(walk(get_resolver().url_patterns))
    assert len(routes) > 10
    for route, view in routes:
        if any(route.startswith(p) for p in THIRD_PARTY):
            continue
        access = getattr(view, ACCESS_ATTR, None)
        if access is None:
            undeclared.append(f"{route} → {view.__module__}.{view.__name__}")
        elif isinstance(access, tuple):
            if not set(access) <= set(CAPABILITIES):
                unknown.append(f"{route}: {access}")
        elif access not in {"public", "signed_in"} and access not in CAPABILITIES:
            unknown.append(f"{route}: {access}")
    assert not undeclared, "views without a declared capability:\n" + "\n".join(undeclared)
    assert not unknown, "views declaring an unknown capability:\n" + "\n".join(unknown)


def test_the_walker_sees_an_undeclared_view(settings: Any) -> None:
    """The check above would catch a view added without a declaration."""
    from django.urls import path

    def naked(request: Any) -> None:  # pragma: no cover - never called
        return None

    found = [r for r, v in walk([path("naked/", naked)]) if not hasattr(v, ACCESS_ATTR)]
    assert found == ["naked/"]
