"""Awareness work (directives 1–3): campaigns with targets, activities, the material library,
speakers and commendations. The topics, target groups and movements they name are the shared
``catalogues``; an activity or a commendation may name a club of ``community``, below."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from ctip.catalogues.models import Audience, Movement, Topic
from ctip.community.models import Club
from ctip.core.models import CatalogueEntry
from ctip.org.models import UnitFact


class Format(CatalogueEntry):
    """How the message was carried: a talk, a loudspeaker broadcast, a Zalo post..."""

    is_online = models.BooleanField(_("online"), default=False,
                                    help_text=_("Reach is counted in views and shares."))
    is_meeting = models.BooleanField(_("in-person gathering"), default=True)

    class Meta(CatalogueEntry.Meta):
        verbose_name = _("format")
        verbose_name_plural = _("formats")


class Material(models.Model):
    class Kind(models.TextChoices):
        DOCUMENT = "document", _("document")
        IMAGE = "image", _("image")
        AUDIO = "audio", _("audio")

    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="materials")
    title = models.CharField(_("title"), max_length=300)
    file = models.FileField(_("file"), upload_to="materials/%Y/")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    size = models.PositiveBigIntegerField(_("size in bytes"), default=0)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    archived = models.BooleanField(_("archived"), default=False)

    class Meta:
        ordering = ["title"]
        verbose_name = _("material")
        verbose_name_plural = _("materials")

    def __str__(self) -> str:
        return self.title


class Campaign(UnitFact):
    """A plan or peak period (kế hoạch, đợt cao điểm), issued by a unit for its subtree."""

    PATH_PLACE = "now"  # run from there now (org.paths.PLACES)

    name = models.CharField(_("name"), max_length=300)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    description = models.TextField(_("description"), blank=True)
    plan_document = models.FileField(_("plan document"), upload_to="campaigns/%Y/", blank=True)
    archived = models.BooleanField(_("archived"), default=False)

    class Meta:
        ordering = ["-starts_on", "name"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")),
                                   name="outreach_campaign_period"),
        ]

    def __str__(self) -> str:
        return self.name


class CampaignTarget(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="targets")
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+")
    sessions = models.PositiveIntegerField(_("sessions"), default=0)
    participants = models.PositiveIntegerField(_("participants"), default=0)
    new_models = models.PositiveIntegerField(_("new models"), default=0)

    class Meta:
        verbose_name = _("campaign target")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "unit"], name="outreach_target_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign} · {self.unit}"


class Speaker(UnitFact):
    """A member of the team of speakers (báo cáo viên, tuyên truyền viên) of a unit."""

    PATH_PLACE = "now"  # serves there now (org.paths.PLACES)

    class Kind(models.TextChoices):
        REPORTER = "reporter", _("reporter (báo cáo viên)")
        COMMUNICATOR = "communicator", _("communicator (tuyên truyền viên)")

    full_name = models.CharField(_("full name"), max_length=150)
    name_folded = models.CharField(max_length=150, db_index=True, editable=False)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices,
                            default=Kind.COMMUNICATOR)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                             on_delete=models.PROTECT, related_name="speaker_profiles",
                             verbose_name=_("user account"))
    phone = models.CharField(_("work phone"), max_length=20, blank=True)
    training = models.TextField(_("training received"), blank=True)
    trained_on = models.DateField(_("last trained on"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["full_name"]
        verbose_name = _("speaker")
        verbose_name_plural = _("speakers")

    def __str__(self) -> str:
        return self.full_name


#: The columns the activity list sums over the planned activities (``selectors.list_totals``),
#: kept in their partial index so that the sums never read the records.
PLANNED_SUMS = ("participants_women", "participants_men", "participants_total", "online_views",
                "online_shares")


class Activity(UnitFact):
    """One piece of awareness work, logged where it happened."""

    PATH_PLACE = "held"  # held there: it goes with its unit (org.paths.PLACES)

    class Status(models.TextChoices):
        PLANNED = "planned", _("planned")
        DONE = "done", _("done")

    date = models.DateField(_("date"), db_index=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.DONE)
    title = models.CharField(_("title"), max_length=300)
    title_folded = models.CharField(max_length=300, editable=False)
    format = models.ForeignKey(Format, on_delete=models.PROTECT, related_name="activities",
                               verbose_name=_("format"))
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="activities", verbose_name=_("campaign"))
    movement = models.ForeignKey(Movement, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="activities", verbose_name=_("movement"))
    club = models.ForeignKey(Club, null=True, blank=True,
                             on_delete=models.PROTECT, related_name="meetings",
                             verbose_name=_("club or model"))
    topics = models.ManyToManyField(Topic, blank=True, related_name="activities",
                                    verbose_name=_("topics"))
    audiences = models.ManyToManyField(Audience, blank=True, related_name="activities",
                                       verbose_name=_("audiences"))
    speakers = models.ManyToManyField(Speaker, blank=True, related_name="activities",
                                      verbose_name=_("speakers"))
    participants_women = models.PositiveIntegerField(_("women"), null=True, blank=True)
    participants_men = models.PositiveIntegerField(_("men"), null=True, blank=True)
    participants_total = models.PositiveIntegerField(_("participants"), default=0)
    online_views = models.PositiveIntegerField(_("views"), default=0)
    online_shares = models.PositiveIntegerField(_("shares"), default=0)
    materials_handed_out = models.PositiveIntegerField(_("materials handed out"), default=0)
    coordinating_agencies = models.CharField(_("coordinating agencies"), max_length=300,
                                             blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        indexes = [
            models.Index(fields=["unit_path", "date"], name="outreach_act_path_date"),
            models.Index(fields=["date", "unit_path"], name="outreach_act_date_path"),
            models.Index(fields=["campaign", "unit_path"], name="outreach_act_campaign"),
            models.Index(fields=["unit", "date", "format", "title_folded"],
                         name="outreach_act_dedup"),
            # The planned activities, which the roll-ups do not keep: the list sums them from
            # here (``selectors.list_totals``), the done ones from the roll-ups.
            # The status first: SQLite then prefers it to the (unit_path, date) index. The
            # summed columns after: the sums are read from the index alone (decision 0051).
            models.Index(fields=["status", "unit_path", "date", *PLANNED_SUMS],
                         name="outreach_act_planned_sums", condition=Q(status="planned"),
                         opclasses=["", "varchar_pattern_ops", "", *("" for _ in PLANNED_SUMS)]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(participants_women__isnull=True) | Q(participants_men__isnull=True)
                | Q(participants_total=F("participants_women") + F("participants_men")),
                name="outreach_activity_total_adds_up",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Attachment(models.Model):
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE,
                                 related_name="attachments")
    file = models.FileField(_("file"), upload_to="activities/%Y/%m/")
    kind = models.CharField(_("kind"), max_length=20, choices=Material.Kind.choices)
    caption = models.CharField(_("caption"), max_length=300, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")

    def __str__(self) -> str:
        return self.caption or self.file.name or ""


class Commendation(UnitFact):
    """Public recognition (nêu gương) of a collective or an individual."""

    PATH_PLACE = "held"  # given there: it goes with its unit (org.paths.PLACES)

    class RecipientKind(models.TextChoices):
        UNIT = "unit", _("unit")
        CLUB = "club", _("club or model")
        PERSON = "person", _("individual")

    class Level(models.TextChoices):
        COMMUNE = "commune", _("commune")
        PROVINCE = "province", _("province")
        CENTRAL = "central", _("central")

    recipient_kind = models.CharField(_("recipient"), max_length=10,
                                      choices=RecipientKind.choices)
    club = models.ForeignKey(Club, null=True, blank=True, on_delete=models.PROTECT,
                             related_name="commendations", verbose_name=_("club or model"))
    person_name = models.CharField(_("person"), max_length=150, blank=True)
    reason = models.TextField(_("for what"))
    activity = models.ForeignKey(Activity, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="commendations", verbose_name=_("activity"))
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    decided_on = models.DateField(_("decision date"))
    decision_number = models.CharField(_("decision number"), max_length=60, blank=True)

    class Meta:
        ordering = ["-decided_on"]
        verbose_name = _("commendation")
        verbose_name_plural = _("commendations")

    def __str__(self) -> str:
        return self.person_name or str(self.club or self.unit)
