"""Types for the static checker only; nothing here changes what runs.

``AuthedRequest`` is the request a view sees behind ``@requires``/``@signed_in``
(``ctip.accounts.access``): those decorators send anyone not signed in to the sign-in page
first, so ``request.user`` is always a ``User``, never ``AnonymousUser``. This is the pattern
django-stubs documents for views that need a signed-in user.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:  # a type only: core sits below accounts and never imports it when it runs
    from ctip.accounts.models import User


class AuthedRequest(HttpRequest):
    user: User
