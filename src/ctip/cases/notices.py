"""Notifications about accounts: a sign-in locked after repeated failures is told, on the
home page, to those who can reset the account's password (``accounts.signals.sign_in_locked``,
connected in ``CasesConfig.ready``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ctip.accounts.capabilities import ROLE_CAPABILITIES, Role
from ctip.accounts.lockout import day_start
from ctip.accounts.models import RoleAssignment, User
from ctip.cases.models import Notification


def _administrators_of(user: User) -> list[User]:
    managers = [r for r, caps in ROLE_CAPABILITIES.items() if "user.manage" in caps]
    assignments = RoleAssignment.objects.active().filter(user__is_active=True)
    if user.home_unit is not None:
        assignments = assignments.filter(unit_id__in=user.home_unit.ancestor_ids(),
                                         role__in=managers)
    else:
        assignments = assignments.filter(role=Role.SYSTEM_ADMIN)
    ids = set(assignments.exclude(user=user).values_list("user_id", flat=True))
    return list(User.objects.filter(pk__in=ids))


def notify_administrators(*, username: str, address: str, until: dt.datetime | None,
                          **_signal: Any) -> None:
    """A notification on the home page of those who can reset the account's password, once a
    day per account. Unknown usernames are only in the audit trail: nobody can act on them."""
    user = User.objects.filter(username=username).select_related("home_unit").first()
    if user is None:
        return
    url = reverse("accounts:user_detail", args=[user.pk])
    since = day_start(timezone.now())
    with translation.override(settings.LANGUAGE_CODE):
        title = _("Repeated failed sign-ins for %(username)s") % {"username": username}
        body = _("Sign-in for this account from %(address)s was locked after %(limit)d failed "
                 "tries, until %(until)s. The account is not locked from other addresses. If "
                 "it was not her, consider resetting her password.") % {
            "address": address or "?", "limit": settings.AXES_FAILURE_LIMIT,
            "until": timezone.localtime(until).strftime("%H:%M %d/%m/%Y") if until else "?"}
    for admin in _administrators_of(user):
        if Notification.objects.filter(user=admin, kind=Notification.Kind.SIGN_IN, url=url,
                                       created_at__gte=since).exists():
            continue
        Notification.objects.create(user=admin, kind=Notification.Kind.SIGN_IN, title=title,
                                    body=body, url=url)
