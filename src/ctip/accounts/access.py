"""Declaring what each view needs. Deny by default: a test fails for any view without one.

- ``@requires("unit.view")``: sign-in plus the capability somewhere; object scope is then checked
  by the selector, which raises ``NotInScope`` → 404 (and an audit event of the refusal).
- ``@signed_in``: any signed-in user (their own profile, the home page).
- ``@public``: anyone, including the public.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Concatenate, ParamSpec, cast

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase

from ctip.accounts.policy import NotInScope, has_capability
from ctip.audit.actions import record_refusal
from ctip.core.access import ACCESS_ATTR as ACCESS_ATTR  # re-exported: declared below accounts
from ctip.core.access import public as public

if TYPE_CHECKING:
    from ctip.core.typing import AuthedRequest

# The gate itself (the wrapper below), carried up by the decorators stacked over it, so a test
# can tell which layers a request passes before the gate decides (tests/access_matrix.py).
GATE_ATTR = "ctip_access_gate"
P = ParamSpec("P")
# A view behind @requires/@signed_in may take an ``AuthedRequest`` (its user is signed in); the
# wrapped view takes any request, and answers with the sign-in redirect itself when needed.
SignedInView = Callable[Concatenate["AuthedRequest", P], HttpResponseBase]
WrappedView = Callable[Concatenate[HttpRequest, P], HttpResponseBase]


def _refuse(request: HttpRequest, reason: str) -> None:
    home = getattr(request.user, "home_unit", None)
    record_refusal(
        actor=request.user,
        action="access.refused",
        target_label=request.path[:255],
        unit_path=home.path if home is not None else "",
        changes={"reason": reason, "method": request.method},
    )
    raise Http404


def requires(capability: str, *alternatives: str
             ) -> Callable[[SignedInView[P]], WrappedView[P]]:
    """Sign-in plus the capability (or any one of the alternatives) somewhere in the tree."""
    wanted = (capability, *alternatives)

    def decorator(view: SignedInView[P]) -> WrappedView[P]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not any(has_capability(request.user, c) for c in wanted):
                _refuse(request, f"missing capability {' or '.join(wanted)}")
            try:
                return view(cast("AuthedRequest", request), *args, **kwargs)
            except NotInScope as exc:
                _refuse(request, f"out of scope ({exc})")
                raise  # unreachable: _refuse raises Http404

        setattr(wrapper, ACCESS_ATTR, wanted if alternatives else capability)
        setattr(wrapper, GATE_ATTR, wrapper)
        return wrapper

    return decorator


def signed_in(view: SignedInView[P]) -> WrappedView[P]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        try:
            return view(cast("AuthedRequest", request), *args, **kwargs)
        except NotInScope as exc:
            _refuse(request, f"out of scope ({exc})")
            raise

    setattr(wrapper, ACCESS_ATTR, "signed_in")
    setattr(wrapper, GATE_ATTR, wrapper)
    return wrapper


