"""Registering an authenticator app (two-step sign-in) needs a one-time enrolment code.

Without it, whoever first signed in with a stolen password could register her own phone and
own the account for good (trust on first use). An administrator who could reset the user's
password issues the code (``issue_code``) and gives it to her in person or by phone; the first
system administrator gets hers from ``ctip createadmin``, the demo users from ``ctip demo``.

The code is shown once and only its hash is stored; it expires after
``CTIP_ENROLMENT_CODE_HOURS`` and is void after ``MAX_TRIES`` wrong entries. Until it is
confirmed the setup page creates nothing and shows no secret; after it, an unconfirmed device is
created and its secret shown, and the device counts only once a code from the app confirms it.
Issuing, wrong entries and the registration are audited.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from ctip.accounts.actions import can_reset_password
from ctip.accounts.models import EnrolmentCode, User
from ctip.audit.actions import record, record_refusal
from ctip.core.codes import normalise, random_code
from ctip.core.errors import ActionError

CODE_GROUPS = (4, 4, 4)
MAX_TRIES = 5


def _home_path(user: User) -> str:
    return user.home_unit.path if user.home_unit_id and user.home_unit else ""


def _active(user: User) -> Any:
    return EnrolmentCode.objects.filter(
        user=user, used_at__isnull=True, revoked_at__isnull=True,
        expires_at__gt=timezone.now(), failed_attempts__lt=MAX_TRIES)


def can_issue(actor: Any, user: User) -> bool:
    """Who could reset the user's password may issue her a code (the same trust: with both
    the password and the code one owns the account)."""
    return actor is None or can_reset_password(actor, user)


@transaction.atomic
def issue_code(*, actor: Any, user: User) -> str:
    """A new code for ``user``, returned once; earlier unused codes stop working."""
    if not can_issue(actor, user):
        raise ActionError(_("You cannot issue an enrolment code for this account: ask an "
                            "officer of the unit above who holds all of its permissions."))
    now = timezone.now()
    EnrolmentCode.objects.filter(user=user, used_at__isnull=True,
                                 revoked_at__isnull=True).update(revoked_at=now)
    code = random_code(sum(CODE_GROUPS), CODE_GROUPS)
    expires = now + dt.timedelta(hours=settings.CTIP_ENROLMENT_CODE_HOURS)
    issued = EnrolmentCode.objects.create(
        user=user, code_hash=make_password(code), issued_by=actor if actor else None,
        issued_at=now, expires_at=expires)
    record(actor=actor, action="user.enrolment_code_issued", target=user,
           unit_path=_home_path(user), changes={"code": issued.pk, "expires_at": expires})
    return code


def check_code(*, user: User, typed: str) -> EnrolmentCode | None:
    """The user's active code if ``typed`` is it; a wrong entry counts against the code."""
    wanted = normalise(typed, CODE_GROUPS)
    with transaction.atomic():
        active = _active(user).select_for_update().order_by("-issued_at").first()
        if active is not None and wanted is not None and check_password(wanted,
                                                                        active.code_hash):
            return active
        if active is not None:
            active.failed_attempts += 1
            active.save(update_fields=["failed_attempts"])
    record_refusal(actor=user, action="auth.enrolment_code_failed",
                   target_label=user.get_username(), unit_path=_home_path(user),
                   changes={"code": active.pk if active else None})
    return None


def start(*, user: User, code: EnrolmentCode) -> TOTPDevice:
    """A new, unconfirmed device for the app (earlier unconfirmed ones are dropped)."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


def pending(user: User, code_pk: Any, device_pk: Any) -> tuple[EnrolmentCode, TOTPDevice] | None:
    """The code and device of a registration under way, if both are still valid."""
    code = _active(user).filter(pk=code_pk).first()
    device = TOTPDevice.objects.filter(user=user, pk=device_pk, confirmed=False).first()
    return (code, device) if code is not None and device is not None else None


def confirm(*, user: User, code: EnrolmentCode, device: TOTPDevice, token: str) -> bool:
    """Confirm the device with one code from the app, spending the enrolment code."""
    with transaction.atomic():
        spent = _active(user).select_for_update().filter(pk=code.pk).first()
        locked = TOTPDevice.objects.select_for_update().filter(
            pk=device.pk, user=user, confirmed=False).first()
        if spent is None or locked is None:  # spent or replaced meanwhile (a second click)
            return False
        confirmed = locked.verify_token(token)
        if confirmed:
            locked.confirmed = True
            locked.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user=user, confirmed=False).delete()
            spent.used_at = timezone.now()
            spent.save(update_fields=["used_at"])
            record(actor=user, action="user.otp_enabled", target=user,
                   unit_path=_home_path(user), changes={"enrolment_code": spent.pk})
    if not confirmed:
        record_refusal(actor=user, action="auth.otp_failed", target_label=user.get_username(),
                       unit_path=_home_path(user), changes={"stage": "setup"})
    return confirmed
