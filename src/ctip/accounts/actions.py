"""Writes about users and roles. Each is one transaction with its audit event."""

from __future__ import annotations

import secrets
from typing import Any

from axes.utils import reset as axes_reset
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp import match_token
from django_otp.models import Device

from ctip.accounts.capabilities import ROLE_CAPABILITIES, Role
from ctip.accounts.models import RoleAssignment, User
from ctip.accounts.policy import NotInScope, capabilities_at, forget, grants_of, require
from ctip.accounts.signals import access_narrowed, roles_changed
from ctip.audit.actions import record, record_refusal
from ctip.core.errors import ActionError, RuleErrors
from ctip.core.rules import Rules
from ctip.core.text import nfc
from ctip.org.models import Unit
from ctip.org.paths import is_within
from ctip.org.rules import ensure_open

USERNAME_ALLOWED = set("abcdefghijklmnopqrstuvwxyz0123456789._-")
USERNAME_MAX = 150


def _check_role(role: str) -> None:
    if role not in ROLE_CAPABILITIES:
        raise ActionError(_("Unknown role."), field="role")


def _check_can_grant(actor: Any, role: str, unit: Unit) -> None:
    """Nobody grants outside their subtree or a capability they do not hold there."""
    _check_role(role)
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


# A new user's rules, declared once (decision 0050): ``create_user`` runs them, and the user
# form runs those whose inputs are valid when one of its fields fails (given: the actor).
USER_RULES = Rules()


@USER_RULES.rule("home_unit", field="home_unit")
def _home_unit_open(home_unit: Unit) -> None:
    ensure_open(home_unit)


@USER_RULES.rule("actor", "role", "home_unit", field="role")
def _may_grant(actor: Any, role: str, home_unit: Unit) -> None:
    _check_can_grant(actor, role, home_unit)


@USER_RULES.rule("username", field="username")
def _username_free(username: str) -> dict[str, str]:
    username = username.strip().lower()
    if not (username and set(username) <= USERNAME_ALLOWED and len(username) <= USERNAME_MAX):
        raise ActionError(_("A username has at most %(max)d characters: lower-case letters "
                            "without accents, digits, dots, hyphens and underscores.")
                          % {"max": USERNAME_MAX})
    if User.objects.filter(username=username).exists():
        raise ActionError(_("The username “%(username)s” is taken.") % {"username": username})
    return {"username": username}


@transaction.atomic
def create_user(
    *, actor: Any, username: str, full_name: str, home_unit: Unit, role: str,
    password: str | None = None, phone: str = "", email: str = "",
    must_change_password: bool = True,
) -> tuple[User, str]:
    """Create a user with a first role at their home unit. Returns the user and the password.
    Every rule broken is reported at once."""
    errors = RuleErrors()
    username = USER_RULES.run(errors, {"actor": actor, "home_unit": home_unit, "role": role,
                                       "username": username}).get("username", username)
    password = password or generate_password()
    user = User(username=username, full_name=nfc(full_name).strip(), home_unit=home_unit,
                phone=phone.strip(), email=email.strip(),
                must_change_password=must_change_password)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        errors.add(" ".join(exc.messages), field="password")
    errors.raise_if_any()
    user.set_password(password)
    user.save()
    record(actor=actor, action="user.created", target=user, unit_path=home_unit.path,
           changes={"username": username, "home_unit": home_unit})
    grant_role(actor=actor, user=user, role=role, unit=home_unit)
    return user, password


def _check_manages_user(actor: Any, user: User) -> None:
    """Officers manage the users whose home unit lies in their own subtree."""
    if actor is None:
        return
    if user.home_unit is None:
        raise NotInScope("user without a home unit")
    require(actor, "user.manage", user.home_unit)


@transaction.atomic
def grant_role(*, actor: Any, user: User, role: str, unit: Unit) -> RoleAssignment:
    _check_role(role)
    _check_manages_user(actor, user)
    ensure_open(unit)
    _check_can_grant(actor, role, unit)
    if RoleAssignment.objects.active().filter(user=user, role=role, unit=unit).exists():
        raise ActionError(_("%(user)s already holds this role at %(unit)s.")
                          % {"user": user, "unit": unit.name})
    try:
        with transaction.atomic():  # a concurrent identical grant meets the unique constraint
            assignment = RoleAssignment.objects.create(
                user=user, role=role, unit=unit, granted_at=timezone.now(),
                granted_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
    except IntegrityError as exc:
        raise ActionError(_("%(user)s already holds this role at %(unit)s.")
                          % {"user": user, "unit": unit.name}) from exc
    forget(user)
    record(actor=actor, action="user.role_granted", target=user, unit_path=unit.path,
           changes={"role": role, "unit": unit})
    roles_changed.send(sender=User, user=user)
    return assignment


@transaction.atomic
def revoke_role(*, actor: Any, assignment: RoleAssignment) -> None:
    passed = assignment
    assignment = RoleAssignment.objects.select_for_update().get(pk=assignment.pk)
    if assignment.revoked_at is not None:
        return
    _check_manages_user(actor, assignment.user)
    _check_can_grant(actor, assignment.role, assignment.unit)
    if getattr(actor, "pk", None) == assignment.user_id and assignment.role in (
        Role.SYSTEM_ADMIN,
    ):
        raise ActionError(_("You cannot revoke your own administrator role."))
    assignment.revoked_at = timezone.now()
    assignment.revoked_by = actor if getattr(actor, "is_authenticated", False) else None
    assignment.save(update_fields=["revoked_at", "revoked_by"])
    forget(assignment.user)
    if RoleAssignment.user.is_cached(passed):  # the caller's copy of the user
        forget(passed.user)
    if getattr(actor, "pk", None) == assignment.user_id:
        forget(actor)
    record(actor=actor, action="user.role_revoked", target=assignment.user,
           unit_path=assignment.unit.path,
           changes={"role": assignment.role, "unit": assignment.unit})
    _end_assignments(actor, assignment.user, "role_revoked")
    roles_changed.send(sender=User, user=assignment.user)


def _end_assignments(actor: Any, user: User, why: str) -> None:
    """Case assignments follow the current role: those no remaining role covers end, in the
    same transaction (a revoked or moved case worker keeps none of her old cases). The cases
    app does it on ``access_narrowed``, so accounts need not know where cases live."""
    forget(user)
    access_narrowed.send(sender=User, actor=actor, user=user, why=why)


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
    require(actor, "user.manage", home)
    above = any(
        "user.manage" in g.capabilities and is_within(home.path, g.unit_path)
        and home.path != g.unit_path
        for g in grants_of(actor)
    )
    if not above:
        raise ActionError(
            _("Only an administrator of a higher unit can reset this password."))
    for assignment in RoleAssignment.objects.active().filter(user=user).select_related("unit"):
        require(actor, "user.manage", assignment.unit)


def _check_holds_all_roles_of(actor: Any, user: User) -> None:
    """Whoever sets a password can sign in as that user, so they must already hold every
    permission that user holds, where the user holds it."""
    if actor is None:
        return
    for assignment in RoleAssignment.objects.active().filter(user=user).select_related("unit"):
        if ROLE_CAPABILITIES[assignment.role] - capabilities_at(actor, assignment.unit):
            raise ActionError(
                _("You cannot reset this password: the account holds permissions that you do "
                  "not hold yourself. Ask a system administrator."))


def can_reset_password(actor: Any, user: User) -> bool:
    """Whether ``reset_password`` would accept this actor for this user (to offer the button)."""
    try:
        _check_higher_unit(actor, user)
        _check_holds_all_roles_of(actor, user)
    except (ActionError, NotInScope):
        return False
    return True


@transaction.atomic
def reset_password(*, actor: Any, user: User) -> str:
    """Set a temporary password that must be changed at the next sign-in; return it once.

    The reset also lifts a lockout after failed sign-ins, so the user can sign in with it."""
    _check_higher_unit(actor, user)
    _check_holds_all_roles_of(actor, user)
    password = generate_password()
    user.set_password(password)
    user.must_change_password = True
    user.save(update_fields=["password", "must_change_password"])
    cleared = axes_reset(username=user.get_username())
    record(actor=actor, action="user.password_reset", target=user,
           unit_path=user.home_unit.path if user.home_unit else "",
           changes={"lockout_lifted": bool(cleared)})
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
    if not active:
        _end_assignments(actor, user, "deactivated")


@transaction.atomic
def change_own_password(*, user: User, old_password: str, new_password: str) -> None:
    errors = RuleErrors()
    errors.check(user.check_password(old_password), _("The current password is not right."),
                 field="old_password")
    if errors.check(new_password != old_password,
                    _("Choose a new password that differs from the current one."),
                    field="new_password"):
        try:
            validate_password(new_password, user)
        except ValidationError as exc:
            errors.add(" ".join(exc.messages), field="new_password")
    errors.raise_if_any()
    user.set_password(new_password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
    record(actor=user, action="user.password_changed", target=user,
           unit_path=user.home_unit.path if user.home_unit else "")


def record_user_viewed(*, actor: Any, user: User) -> None:
    """Looking at an account (contact details, roles) leaves a trace too."""
    record(actor=actor, action="user.viewed", target=user, unit_path=_home_path(user))


# --- Two-step sign-in -----------------------------------------------------------------------


def _home_path(user: User) -> str:
    return user.home_unit.path if user.home_unit_id and user.home_unit else ""


def verify_otp(*, user: User, token: str) -> Device | None:
    """Check a sign-in code against the user's confirmed devices; record the outcome."""
    device = match_token(user, token)
    if device is None:
        record_refusal(actor=user, action="auth.otp_failed", target_label=user.get_username(),
                       unit_path=_home_path(user), changes={"stage": "sign-in"})
    else:
        record(actor=user, action="auth.otp_verified", target=user, unit_path=_home_path(user))
    return device
