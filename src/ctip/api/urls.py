"""The API's URLs, each stamped with the access its operations declare.

``tests/test_url_access.py`` reads ``ctip_access`` on every URL's view. A ninja URL serves one
path with several operations (GET and POST ...); its declaration is the capabilities any of its
operations needs (each operation checks its own with ``needs``). An operation without a
``needs`` leaves its URL undeclared, and that test fails."""

from __future__ import annotations

from functools import partial, wraps
from typing import Any

from django.http import HttpRequest
from django.urls import URLPattern
from django.utils.translation import gettext as _

from ctip.accounts.access import ACCESS_ATTR
from ctip.api.auth import Needs
from ctip.api.errors import PROBLEM, problem
from ctip.api.main import api


def _path_view(callback: Any) -> Any:
    for cell in getattr(callback, "__closure__", None) or ():
        if hasattr(cell.cell_contents, "operations"):
            return cell.cell_contents
    return None


def declared(callback: Any) -> Any:
    """The access of a ninja URL's operations, or None if one of them declares none."""
    if getattr(callback, ACCESS_ATTR, None) is not None:
        return getattr(callback, ACCESS_ATTR)
    if isinstance(callback, partial) and callback.func.__name__ == "default_home":
        return "public"  # /api/v1/ itself: a redirect to the documentation
    path_view = _path_view(callback)
    if path_view is None:
        return None
    wanted: list[str] = []
    for operation in path_view.operations:
        declared_here = getattr(operation.view_func, ACCESS_ATTR, None)
        if declared_here == "public":
            wanted.append("public")
            continue
        needs = [a for a in operation.auth_callbacks if isinstance(a, Needs)]
        if not needs:
            return None
        for need in needs:
            wanted += [c for c in need.capabilities if c not in wanted]
    if "public" in wanted:
        return "public" if len(wanted) == 1 else None
    if wanted == ["signed_in"]:
        return "signed_in"
    return wanted[0] if len(wanted) == 1 else tuple(wanted)


def _problem_405(view: Any) -> Any:
    """ninja answers a method the path does not serve with Django's plain 405: make it a
    problem+json like every other error of the API."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and not response.get("Content-Type", "").startswith(
                PROBLEM):
            return problem(405, "method", _("This address does not accept %(method)s.")
                           % {"method": request.method}, headers={"Allow": response["Allow"]})
        return response

    return wrapper


def _stamped(patterns: list[Any]) -> list[Any]:
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            access = declared(pattern.callback)
            pattern.callback = _problem_405(pattern.callback)
            if access is not None:
                setattr(pattern.callback, ACCESS_ATTR, access)
    return patterns


_patterns, app_name, namespace = api.urls
urlpatterns = _stamped(list(_patterns))
