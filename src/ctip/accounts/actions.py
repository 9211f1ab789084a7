"""Writes about users and roles. Each is one transaction with its audit event."""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ctip.accounts.capabilities import ROLE_CAPABILITIES, Role
from ctip.accounts.models import RoleAssignment, User
from ctip.accounts.policy import capabilities_at, forget, grants_of, require
from ctip.audit.actions import record
from ctip.core.errors import ActionError
from ctip.core.text import nfc
from ctip.org.actions import ensure_open
from ctip.org.models import Unit

USERNAME_ALLOWED = set("abcdefghijklmnopqrstuvwxyz0123456789._-")


def _check_can_grant(actor: Any, role: str, unit: Unit) -> None:
    """Nobody grants outside their subtree or a capability they do not hold there."""
    if actor is None:
        return
    require(actor, "user.manage", unit)
    missing = ROLE_CAPABILITIES[role] - capabilities_at(actor, unit)
    if missing:
        raise ActionError(
            _("You cannot grant the role “%(role)s” at “%(unit)s”: it includes permissions "
              "you do not hold there yourself.") % {"role": Role(role).label, "unit": unit.name}
        )


def generate_password() -> str:
    return secrets.token_urlsafe(12)


@transaction.atomic
def create_user(
    *, actor: Any, username: str, full_name: str, home_unit: Unit, role: str,
    password: str | None = None, phone: str = "", email: str = "",
    must_change_password: bool = True,
) -> tuple[User, str]:
    """Create a user with a first role at their home unit. Returns the user and the password."""
    ensure_open(home_unit)
    _check_can_grant(actor, role, home_unit)
    username = username.strip().lower()
    if not username or not set(username) <= USERNAME_ALLOWED:
        raise ActionError(
            _("A username uses only lower-case letters without accents, digits, dots, hyphens "
              "and underscores."), field="username")
    if User.objects.filter(username=username).exists():
        raise ActionError(_("The username “%(username)s” is taken.") % {"username": username},
                          field="username")
    password = password or generate_password()
    user = User(username=username, full_name=nfc(full_name).strip(), home_unit=home_unit,
                phone=phone.strip(), email=email.strip(),
                must_change_password=must_change_password)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ActionError(" ".join(exc.messages), field="password") from exc
    user.set_password(password)
    user.save()
    record(actor=actor, action="user.created", target=user, unit_path=home_unit.path,
           changes={"username": username, "home_unit": home_unit})
    grant_role(actor=actor, user=user, role=role, unit=home_unit)
    return user, password


@transaction.atomic
def grant_role(*, actor: Any, user: User, role: str, unit: Unit) -> RoleAssignment:
    if role not in ROLE_CAPABILITIES:
        raise ActionError(_("Unknown role."))
    ensure_open(unit)
    _check_can_grant(actor, role, unit)
    if RoleAssignment.objects.active().filter(user=user, role=role, unit=unit).exists():
        raise ActionError(_("%(user)s already holds this role at %(unit)s.")
                          % {"user": user, "unit": unit.name})
    assignment = RoleAssignment.objects.create(
        user=user, role=role, unit=unit, granted_at=timezone.now(),
        granted_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    forget(user)
    record(actor=actor, action="user.role_granted", target=user, unit_path=unit.path,
           changes={"role": role, "unit": unit})
    return assignment


@transaction.atomic
def revoke_role(*, actor: Any, assignment: RoleAssignment) -> None:
    assignment = RoleAssignment.objects.select_for_update().get(pk=assignment.pk)
    if assignment.revoked_at is not None:
        return
    _check_can_grant(actor, assignment.role, assignment.unit)
    if getattr(actor, "pk", None) == assignment.user_id and assignment.role in (
        Role.SYSTEM_ADMIN,
    ):
        raise ActionError(_("You cannot revoke your own administrator role."))
    assignment.revoked_at = timezone.now()
    assignment.revoked_by = actor if getattr(actor, "is_authenticated", False) else None
    assignment.save(update_fields=["revoked_at", "revoked_by"])
    forget(assignment.user)
    record(actor=actor, action="user.role_revoked", target=assignment.user,
           unit_path=assignment.unit.path,
           changes={"role": assignment.role, "unit": assignment.unit})


def _check_higher_unit(actor: Any, user: User) -> None:
    """``actor`` must manage users at a unit strictly above the user's home unit, and over
    every unit where the user holds a role."""
    if actor is None:
        return
    if actor.pk == user.pk:
        raise ActionError(_("Use “Change password” for your own account."))
    home = user.home_unit
    if home is None:
        raise ActionError(_("This account has no home unit; ask a system administrator."))
    above = any(
        "user.manage" in g.capabilities and home.path.startswith(g.unit_path)
        and home.path != g.unit_path
        for g in grants_of(actor)
    )
    require(actor, "user.manage", home)
    if not above:
        raise ActionError(
            _("Only an administrator of a higher unit can reset this password."))
    for assignment in RoleAssignment.objects.active().filter(user=user).select_related("unit"):
        require(actor, "user.manage", assignment.unit)


@transaction.atomic
def reset_password(*, actor: Any, user: User) -> str:
    """Set a temporary password that must be changed at the next sign-in; return it once."""
    _check_higher_unit(actor, user)
    password = generate_password()
    user.set_password(password)
    user.must_change_password = True
    user.save(update_fields=["password", "must_change_password"])
    record(actor=actor, action="user.password_reset", target=user,
           unit_path=user.home_unit.path if user.home_unit else "")
    return password


@transaction.atomic
def set_active(*, actor: Any, user: User, active: bool) -> None:
    _check_higher_unit(actor, user)
    if user.is_active == active:
        return
    user.is_active = active
    user.save(update_fields=["is_active"])
    record(actor=actor, action="user.activated" if active else "user.deactivated",
           target=user, unit_path=user.home_unit.path if user.home_unit else "")


@transaction.atomic
def change_own_password(*, user: User, old_password: str, new_password: str) -> None:
    if not user.check_password(old_password):
        raise ActionError(_("The current password is not right."), field="old_password")
    try:
        validate_password(new_password, user)
    except ValidationError as exc:
        raise ActionError(" ".join(exc.messages), field="new_password") from exc
    user.set_password(new_password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
    record(actor=user, action="user.password_changed", target=user,
           unit_path=user.home_unit.path if user.home_unit else "")
