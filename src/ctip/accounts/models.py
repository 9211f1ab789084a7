from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ctip.accounts.capabilities import Role


class User(AbstractUser):
    """A person who signs in. Their home unit places them in the tree for user management."""

    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    home_unit = models.ForeignKey(
        "org.Unit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
        verbose_name=_("home unit"),
    )
    must_change_password = models.BooleanField(_("must change password"), default=False)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    if TYPE_CHECKING:
        # Attached to the request's user by django_otp.middleware.OTPMiddleware (django-otp has
        # no type hints): whether this session has passed the second sign-in step.
        def is_verified(self) -> bool: ...

    def __str__(self) -> str:
        return self.full_name or self.username

    def get_full_name(self) -> str:
        """The person's name as she wrote it (one field, Vietnamese order), which Django and
        Wagtail show wherever they name a user (the CMS's history, lists and comments)."""
        return self.full_name.strip() or super().get_full_name()

    def get_short_name(self) -> str:
        """The given name: the last word of a Vietnamese full name ("Hoa" of "Lê Thị Hoa")."""
        parts = self.full_name.split()
        return parts[-1] if parts else super().get_short_name()


class RoleAssignmentQuerySet(models.QuerySet["RoleAssignment"]):
    def active(self) -> RoleAssignmentQuerySet:
        return self.filter(revoked_at__isnull=True)


class RoleAssignment(models.Model):
    """A role held by a user over a unit and everything below it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="role_assignments"
    )
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    unit = models.ForeignKey(
        "org.Unit", on_delete=models.PROTECT, related_name="role_assignments",
        verbose_name=_("unit"),
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    granted_at = models.DateTimeField(_("granted at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )

    objects = RoleAssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "unit"],
                condition=Q(revoked_at__isnull=True),
                name="accounts_one_active_assignment",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.unit}"


class SignInFailure(models.Model):
    """Failed sign-ins for one typed username from one address within one hour, counted.

    The audit trail gets one event for the first failure of such a triple (within a daily
    budget per address and overall, see ``ctip.accounts.lockout``), one when the pair is locked,
    and a summary event when a budget is spent; every further failure only adds to ``failures``
    here, so nobody can flood the permanent trail by typing wrong passwords. Rows whose username
    is empty are those summaries (per address, or overall when the address is empty too)."""

    username = models.CharField(_("username"), max_length=150, blank=True)
    ip_address = models.CharField(_("address"), max_length=45, blank=True)
    window_start = models.DateTimeField(_("hour"))
    failures = models.PositiveIntegerField(_("failed sign-ins"), default=0)
    first_at = models.DateTimeField(_("first"))
    last_at = models.DateTimeField(_("last"))
    audited = models.BooleanField(default=False)
    lock_recorded = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("failed sign-ins")
        verbose_name_plural = _("failed sign-ins")
        constraints = [
            models.UniqueConstraint(fields=["username", "ip_address", "window_start"],
                                    name="accounts_signinfailure_one_per_hour"),
        ]
        indexes = [models.Index(fields=["window_start", "ip_address"],
                                name="accounts_signinfail_window")]

    def __str__(self) -> str:
        return f"{self.username or '*'} @ {self.ip_address or '*'}: {self.failures}"


class EnrolmentCode(models.Model):
    """A one-time code an administrator gives a user so that she can register her
    authenticator app (two-step sign-in). Only its hash is stored; it expires, and it is spent
    by the registration or after too many wrong tries."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="enrolment_codes")
    code_hash = models.CharField(max_length=256)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("enrolment code")
        verbose_name_plural = _("enrolment codes")

    def __str__(self) -> str:
        return f"enrolment code #{self.pk} for {self.user_id}"
