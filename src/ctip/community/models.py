"""Clubs, groups and prevention models (directives 3–4), and cross-border exchanges."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from ctip.core.models import CatalogueEntry
from ctip.org.models import UnitFact


class ClubType(CatalogueEntry):
    class Meta(CatalogueEntry.Meta):
        verbose_name = _("club type")
        verbose_name_plural = _("club types")


class Club(UnitFact):
    """A club, group or prevention model, with its lineage (which model it replicates) and the
    club it has been merged into."""

    PATH_PLACE = "now"  # a club meets there now (org.paths.PLACES)

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        PAUSED = "paused", _("paused")
        DISSOLVED = "dissolved", _("dissolved")

    name = models.CharField(_("name"), max_length=300)
    name_folded = models.CharField(max_length=300, db_index=True, editable=False)
    club_type = models.ForeignKey(ClubType, on_delete=models.PROTECT, related_name="clubs",
                                  verbose_name=_("type"))
    is_prevention_model = models.BooleanField(_("anti-trafficking prevention model"),
                                              default=False)
    founded_on = models.DateField(_("founded on"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.ACTIVE)
    status_changed_on = models.DateField(_("status since"), null=True, blank=True)
    status_reason = models.CharField(_("reason"), max_length=300, blank=True)
    target_groups = models.ManyToManyField("catalogues.Audience", blank=True,
                                           related_name="clubs",
                                           verbose_name=_("target groups"))
    movements = models.ManyToManyField("catalogues.Movement", blank=True, related_name="clubs",
                                       verbose_name=_("movements"))
    member_count = models.PositiveIntegerField(_("members"), default=0)
    replicated_from = models.ForeignKey("self", null=True, blank=True,
                                        on_delete=models.PROTECT, related_name="replicas",
                                        verbose_name=_("replicated from"))
    integrated_into = models.ForeignKey("self", null=True, blank=True,
                                        on_delete=models.PROTECT, related_name="integrated",
                                        verbose_name=_("integrated into"))
    results = models.TextField(_("results"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("club or model")
        verbose_name_plural = _("clubs and models")
        indexes = [models.Index(fields=["unit_path", "status"], name="community_club_path")]
        constraints = [
            models.CheckConstraint(condition=~Q(replicated_from=F("id")),
                                   name="community_club_not_own_origin"),
            models.CheckConstraint(condition=~Q(integrated_into=F("id")),
                                   name="community_club_not_into_itself"),
        ]

    def __str__(self) -> str:
        return self.name


class ClubStatusChange(models.Model):
    """One change of a club's status, dated the day it took effect. The history, not the
    club's current status, says whether a club was active on the last day of a past period,
    so a later change (re-activating a club that was dissolved) never re-dates an approved
    period's figures. The club's ``status`` and ``status_changed_on`` are the newest change."""

    club = models.ForeignKey(Club, on_delete=models.CASCADE, related_name="status_changes")
    status = models.CharField(_("status"), max_length=10, choices=Club.Status.choices)
    on = models.DateField(_("from"))
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["on", "pk"]
        indexes = [models.Index(fields=["club", "on"], name="community_status_on")]

    def __str__(self) -> str:
        return f"{self.club_id} {self.status} {self.on}"


class ClubMemberCount(models.Model):
    """The club's member count from a day on: written on its founding and whenever the count
    changes (dated that day), so a past period reads the count it had then."""

    club = models.ForeignKey(Club, on_delete=models.CASCADE, related_name="member_counts")
    on = models.DateField()
    count = models.PositiveIntegerField()

    class Meta:
        ordering = ["on", "pk"]
        indexes = [models.Index(fields=["club", "on"], name="community_count_on")]

    def __str__(self) -> str:
        return f"{self.club_id} {self.count} {self.on}"


class ClubMember(models.Model):
    """An optional member list. It holds names only: no identity or contact data."""

    club = models.ForeignKey(Club, on_delete=models.CASCADE, related_name="members")
    full_name = models.CharField(_("full name"), max_length=150)
    role = models.CharField(_("role in the club"), max_length=100, blank=True)
    joined_on = models.DateField(_("joined on"), null=True, blank=True)

    class Meta:
        ordering = ["full_name"]
        verbose_name = _("club member")

    def __str__(self) -> str:
        return self.full_name


class Exchange(UnitFact):
    """An exchange with the counterpart across the border."""

    PATH_PLACE = "held"  # an exchange held there: it goes with its unit (org.paths.PLACES)

    date = models.DateField(_("date"))
    counterpart_country = models.CharField(_("country"), max_length=100, default="Campuchia")
    counterpart_area = models.CharField(_("counterpart (district, commune)"), max_length=300)
    topics = models.ManyToManyField("catalogues.Topic", blank=True, related_name="exchanges",
                                    verbose_name=_("topics"))
    participants = models.PositiveIntegerField(_("participants"), default=0)
    information_shared = models.TextField(_("information shared"), blank=True)
    follow_up = models.TextField(_("follow-up agreed"), blank=True)

    class Meta:
        ordering = ["-date"]
        verbose_name = _("cross-border exchange")
        verbose_name_plural = _("cross-border exchanges")

    def __str__(self) -> str:
        return f"{self.date:%d/%m/%Y} · {self.counterpart_area}"
