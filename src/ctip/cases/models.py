"""Situations, persons, consent and support cases (directives 2 and 5).

Identity lives only in ``Person`` and only encrypted; everything else refers to a person by
code (``TN-2026-00042``). Narratives about people are encrypted too."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ctip.cases.fields import EncryptedTextField
from ctip.core.models import CatalogueEntry
from ctip.org.models import UnitFact
from ctip.org.paths import TreePathField


def new_record_key() -> int:
    """A random record key for the disclosure-control layer (``figures.privacy``): the cell
    key of a published count is the sum of its records' keys modulo ``RECORD_KEY_MODULUS``.
    Drawn once when the record is made and never changed or shown."""
    return secrets.randbelow(RECORD_KEY_MODULUS)


RECORD_KEY_MODULUS = 256


def record_key_field() -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(default=new_record_key, editable=False)


class KeyCanary(models.Model):
    """A known text encrypted with the keys in use: a wrong key is caught before any write."""

    token = models.TextField()

    def __str__(self) -> str:
        return "key canary"


class CodeCounter(models.Model):
    prefix = models.CharField(max_length=20)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["prefix", "year"],
                                               name="cases_counter_unique")]

    def __str__(self) -> str:
        return f"{self.prefix}-{self.year}: {self.last}"


class Agency(CatalogueEntry):
    """A receiving agency of another sector: police, border guard, health, labour..."""

    class Sector(models.TextChoices):
        POLICE = "police", _("police")
        BORDER_GUARD = "border_guard", _("border guard")
        HEALTH = "health", _("health (receives victims, Art. 27)")
        LABOUR = "labour", _("labour and employment")
        JUSTICE = "justice", _("justice and legal aid")
        SOCIAL = "social", _("social affairs")
        OTHER = "other", _("other")

    sector = models.CharField(_("sector"), max_length=20, choices=Sector.choices)
    contact = models.CharField(_("contact"), max_length=300, blank=True)

    class Meta(CatalogueEntry.Meta):
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")


class Category(models.TextChoices):
    MIGRANT_LABOUR = "migrant_labour", _("migrant labour")
    LABOUR_EXPORT = "labour_export", _("labour export")
    FOREIGN_MARRIAGE = "foreign_marriage", _("marriage with a foreigner")
    DOMESTIC_VIOLENCE = "domestic_violence", _("domestic violence")
    SEXUAL_ABUSE = "sexual_abuse", _("sexual abuse")
    SUSPECTED_TRAFFICKING = "suspected_trafficking", _("suspected trafficking")
    RETURNED = "returned", _("person returned from abroad")
    MISSING = "missing", _("missing person")
    RECRUITMENT = "recruitment", _("suspicious recruitment offer")
    OTHER = "other", _("other")


class Urgency(models.TextChoices):
    NORMAL = "normal", _("normal")
    HIGH = "high", _("high")
    URGENT = "urgent", _("urgent")


class DeadlineRule(models.Model):
    """How long a situation of a category and urgency may wait before it is escalated or
    referred. Configurable; seeded with defaults."""

    category = models.CharField(_("category"), max_length=30, choices=Category.choices)
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices)
    hours = models.PositiveIntegerField(_("hours to escalate or refer"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["category", "urgency"],
                                               name="cases_deadline_unique")]
        verbose_name = _("deadline rule")

    def __str__(self) -> str:
        return f"{self.get_category_display()} / {self.get_urgency_display()}: {self.hours} h"


class Person(UnitFact):
    """A person concerned by a situation or supported by a case. ``unit`` is the commune of
    residence. Identity fields are encrypted; ``name_key`` is a keyed hash of the folded name
    for duplicate checks."""

    PATH_PLACE = "now"  # her unit now: who may open her record (org.paths.PLACES)

    class Sex(models.TextChoices):
        FEMALE = "female", _("female")
        MALE = "male", _("male")
        OTHER = "other", _("other or not stated")

    code = models.CharField(_("code"), max_length=30, unique=True)
    full_name = EncryptedTextField(_("full name"))
    other_names = EncryptedTextField(_("other names"), blank=True)
    birth_date = EncryptedTextField(_("date of birth"), blank=True)
    birth_year = models.PositiveSmallIntegerField(_("year of birth"), null=True, blank=True)
    sex = models.CharField(_("sex"), max_length=10, choices=Sex.choices, default=Sex.FEMALE)
    ethnicity = EncryptedTextField(_("ethnicity"), blank=True)
    # Coded, so it can be counted (through ``figures.privacy`` only): GSO code of one of the
    # 54 groups, "foreign" or "unknown" (``cases.htcds.ETHNIC_GROUPS``).
    ethnic_group = models.CharField(_("ethnic group"), max_length=10, default="unknown")
    citizenship = models.CharField(_("citizenship"), max_length=7, default="unknown",
                                   help_text=_("ISO 3166 country code"))
    id_number = EncryptedTextField(_("identity card number"), blank=True)
    phone = EncryptedTextField(_("phone"), blank=True)
    address = EncryptedTextField(_("address"), blank=True)
    guardian = EncryptedTextField(_("guardian (for a child)"), blank=True)
    name_key = models.CharField(max_length=64, db_index=True, editable=False)
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("persons")
        indexes = [models.Index(fields=["name_key", "birth_year"], name="cases_person_dedup")]

    def __str__(self) -> str:
        return self.code  # never the name


class Consent(models.Model):
    class Purpose(models.TextChoices):
        SUPPORT = "support", _("receive support")
        REFERRAL = "referral", _("referral to a named agency")
        SHARE_ABOVE = "share_above", _("sharing with the Union level above")
        PHOTOS = "photos", _("photos")
        STATISTICS = "statistics", _("sharing de-identified data for statistics or research")

    class GivenBy(models.TextChoices):
        PERSON = "person", _("the person")
        GUARDIAN = "guardian", _("the guardian or representative")

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="consents")
    purpose = models.CharField(_("for what"), max_length=20, choices=Purpose.choices)
    agency = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+", verbose_name=_("agency"))
    given_on = models.DateField(_("given on"))
    given_by = models.CharField(_("given by"), max_length=10, choices=GivenBy.choices)
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)
    evidence = models.FileField(_("evidence"), upload_to="consents/%Y/", blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                    on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-given_on"]
        verbose_name = _("consent")
        constraints = [
            models.CheckConstraint(
                condition=~Q(purpose="referral") | Q(agency__isnull=False),
                name="cases_referral_consent_names_agency"),
        ]

    def __str__(self) -> str:
        return f"{self.person.code}: {self.get_purpose_display()}"

    @property
    def active(self) -> bool:
        return self.withdrawn_on is None


class Situation(UnitFact):
    """A risky situation noticed in a unit, and its handling up to closure."""

    PATH_PLACE = "now"  # handled there now (org.paths.PLACES)

    class State(models.TextChoices):
        RECEIVED = "received", _("received")
        VERIFYING = "verifying", _("being verified")
        ESCALATED = "escalated", _("escalated")
        REFERRED = "referred", _("referred")
        CLOSED = "closed", _("closed")

    class Source(models.TextChoices):
        MEMBER = "member", _("a member")
        OFFICER = "officer", _("an officer")
        PUBLIC_FORM = "public_form", _("the public report form")
        HOTLINE = "hotline", _("a hotline call")

    code = models.CharField(_("code"), max_length=30, unique=True)
    category = models.CharField(_("category"), max_length=30, choices=Category.choices)
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices,
                               default=Urgency.NORMAL)
    description = EncryptedTextField(_("what happened"))
    address = EncryptedTextField(_("where (address)"), blank=True)
    occurred_on = models.DateField(_("when"), null=True, blank=True)
    source = models.CharField(_("reported by"), max_length=20, choices=Source.choices)
    reporter_contact = EncryptedTextField(_("reporter's contact"), blank=True)
    persons = models.ManyToManyField(Person, blank=True, related_name="situations",
                                     verbose_name=_("people concerned"))
    state = models.CharField(_("state"), max_length=12, choices=State.choices,
                             default=State.RECEIVED, db_index=True)
    handling_unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+",
                                      verbose_name=_("handled by"))
    handling_path = TreePathField(editable=False, place="now")
    due_at = models.DateTimeField(_("escalate or refer by"), null=True, blank=True,
                                  db_index=True)
    # Microseconds from being recorded to the deadline fixed when it was received (the rule
    # in force then): "escalated within the deadline" reads it. See ``cases.deadlines``.
    deadline_us = models.BigIntegerField(null=True, blank=True, editable=False)
    outcome = models.TextField(_("outcome"), blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # Microseconds from being recorded to the first escalation (NULL while none): kept by
    # database triggers on the events (see ``reports.rollups``); never set it from Python.
    escalated_after_us = models.BigIntegerField(null=True, blank=True, editable=False)
    # A situation brought from a register kept before ctip: the keyed hash of its unit, day,
    # category and folded summary (``cases.actions.situation_import_key``), so the same row
    # imported again is recognised without storing or comparing the text itself.
    import_key = models.CharField(max_length=64, blank=True, default="", db_index=True,
                                  editable=False)
    record_key = record_key_field()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("situation")
        verbose_name_plural = _("situations")
        # the open situations late in a subtree (the home page's "late below"), and those of
        # a unit and its children by section (the inbox), counted from an index alone
        # (decision 0051); with the time of recording, the inbox's most urgent rows of each
        # section are picked from it in their order too, and only those rows read (0059);
        # the open ones alone (a partial index), so that a section's order is the index's:
        # "not closed" is no equality to walk a (unit, state, deadline) index in order (0065)
        indexes = [models.Index(fields=["handling_path", "state", "due_at"],
                                name="cases_sit_path_state_due"),
                   models.Index(fields=["handling_unit", "due_at", "created_at", "id", "state"],
                                condition=~Q(state="closed"),
                                name="cases_sit_open_unit_due")]

    def __str__(self) -> str:
        return self.code


class SituationEvent(models.Model):
    """One step on a situation's timeline."""

    class Kind(models.TextChoices):
        RECEIVED = "received", _("received")
        VERIFYING = "verifying", _("verification started")
        ESCALATED = "escalated", _("escalated to the level above")
        REFERRED = "referred", _("referred to an agency")
        ANSWERED = "answered", _("answer from the agency")
        NOTE = "note", _("note")
        CLOSED = "closed", _("closed")

    situation = models.ForeignKey(Situation, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    from_unit = models.ForeignKey("org.Unit", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    to_unit = models.ForeignKey("org.Unit", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    note = EncryptedTextField(_("note"), blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.situation.code}: {self.kind}"


class Referral(models.Model):
    situation = models.ForeignKey(Situation, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="referrals")
    case = models.ForeignKey("SupportCase", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="referrals")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="referrals",
                               verbose_name=_("agency"))
    contact = models.CharField(_("contact person"), max_length=200, blank=True)
    referred_on = models.DateField(_("referred on"))
    consent = models.ForeignKey(Consent, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="referrals")
    answer = EncryptedTextField(_("answer"), blank=True)
    answered_on = models.DateField(_("answered on"), null=True, blank=True)
    unit_path = TreePathField(editable=False, place="now", copies=("case", "situation"))
    record_key = record_key_field()

    class Meta:
        ordering = ["-referred_on"]
        verbose_name = _("referral")
        constraints = [
            models.CheckConstraint(
                condition=Q(situation__isnull=False) | Q(case__isnull=False),
                name="cases_referral_has_subject"),
        ]

    def __str__(self) -> str:
        return f"{self.agency} {self.referred_on:%d/%m/%Y}"


# Risk factors named by the programme (directive 5) and a few the communes keep adding.
RISK_FACTORS = [
    ("no_job", _("no job or unstable work")),
    ("no_legal_knowledge", _("no legal knowledge")),
    ("poverty", _("poverty")),
    ("violence", _("violence in the family")),
    ("migration", _("plans to work far away or abroad")),
    ("online_offer", _("job or marriage offer met online")),
    ("broken_family", _("broken family or no support")),
    ("out_of_school", _("child out of school")),
    ("debt", _("debt")),
    ("disability", _("disability or illness")),
]


class SupportCase(UnitFact):
    """Support for one person; ``unit`` is the supervising unit."""

    PATH_PLACE = "now"  # supervised there now (org.paths.PLACES)

    class Kind(models.TextChoices):
        RETURNED_VICTIM = "returned_victim", _("returned victim")
        BEING_IDENTIFIED = "being_identified", _("person being identified as a victim")
        HIGH_RISK = "high_risk", _("woman at high risk")
        REINTEGRATION = "reintegration", _("person who broke the law, helped back")

    class Outcome(models.TextChoices):
        REINTEGRATED = "reintegrated", _("reintegrated")
        MOVED = "moved", _("moved away")
        REFUSED = "refused", _("refused support")
        TRANSFERRED = "transferred", _("transferred")
        DIED = "died", _("died")

    code = models.CharField(_("code"), max_length=30, unique=True)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="cases")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    situation = models.ForeignKey(Situation, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="cases")
    workers = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="assigned_cases",
                                     verbose_name=_("case workers"))
    risk_factors = models.JSONField(_("risk factors"), default=list, blank=True)
    needs = EncryptedTextField(_("needs assessment"), blank=True)
    plan = EncryptedTextField(_("support plan"), blank=True)
    opened_on = models.DateField(_("opened on"))
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices,
                               blank=True)
    outcome_reason = EncryptedTextField(_("reason"), blank=True)
    # The day of its first delivered service (NULL while none): kept by database triggers on
    # the services (see ``reports.rollups``), so "served by the end of a period" is a
    # comparison in the report index; never set it from Python.
    first_served_on = models.DateField(null=True, blank=True, editable=False)
    record_key = record_key_field()

    class Meta:
        ordering = ["-opened_on"]
        verbose_name = _("support case")
        verbose_name_plural = _("support cases")
        indexes = [models.Index(fields=["unit_path", "opened_on"], name="cases_case_path")]

    def __str__(self) -> str:
        return self.code


class Service(models.Model):
    class Type(models.TextChoices):
        ESSENTIAL_NEEDS = "essential_needs", _("essential needs")
        MEDICAL = "medical", _("medical care")
        PSYCHOLOGICAL = "psychological", _("psychological support")
        LEGAL_AID = "legal_aid", _("legal aid")
        INTERPRETATION = "interpretation", _("interpretation")
        TRAVEL = "travel", _("travel")
        SCHOOLING = "schooling", _("schooling")
        VOCATIONAL = "vocational", _("vocational training")
        JOB_PLACEMENT = "job_placement", _("job counselling and placement")
        HARDSHIP_ALLOWANCE = "hardship_allowance", _("initial hardship allowance")
        LOAN_SUPPORT = "loan_support", _("loan support")
        ENTRUSTED_LOAN = "entrusted_loan", _("entrusted-credit loan (Union)")
        SAVINGS_GROUP = "savings_group", _("savings group (Union)")
        LIVELIHOOD = "livelihood", _("livelihood programme (Union)")
        COUNSELLING = "counselling", _("visits and counselling (Union)")

    class Status(models.TextChoices):
        PLANNED = "planned", _("planned")
        DELIVERED = "delivered", _("delivered")
        CANCELLED = "cancelled", _("cancelled")

    case = models.ForeignKey(SupportCase, on_delete=models.PROTECT, related_name="services")
    type = models.CharField(_("service"), max_length=30, choices=Type.choices)
    provider = models.CharField(_("provider"), max_length=200)
    date = models.DateField(_("date"))
    amount = models.DecimalField(_("amount (VND)"), max_digits=14, decimal_places=0,
                                 null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.PLANNED)
    # The unit path of its case (``SupportCase.unit_path``): kept by database triggers (see
    # ``reports.rollups``), moved with the case, so the indicators find and group a subtree's
    # services without joining their cases; never set it from Python. NULL only in the
    # instant before a trigger sets it (and so that adding it rewrites no table on SQLite).
    case_path = TreePathField(editable=False, db_index=False, null=True, blank=True,
                              place="derived")
    record_key = record_key_field()

    class Meta:
        ordering = ["date"]
        verbose_name = _("service")
        constraints = [models.CheckConstraint(condition=Q(amount__isnull=True)
                                              | Q(amount__gte=0), name="cases_amount_positive")]

    def __str__(self) -> str:
        return self.get_type_display()


class Visit(models.Model):
    class Kind(models.TextChoices):
        VISIT = "visit", _("home visit")
        COUNSELLING = "counselling", _("counselling session")

    case = models.ForeignKey(SupportCase, on_delete=models.PROTECT, related_name="visits")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    date = models.DateField(_("date"))
    notes = EncryptedTextField(_("notes"), blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT,
                           related_name="+")

    class Meta:
        ordering = ["-date"]

    def __str__(self) -> str:
        return f"{self.case.code} {self.date:%d/%m/%Y}"


class FollowUp(models.Model):
    case = models.ForeignKey(SupportCase, on_delete=models.PROTECT, related_name="follow_ups")
    due_on = models.DateField(_("due on"), db_index=True)
    # What is to be done for her: a narrative like the case's notes, so encrypted at rest too.
    what = EncryptedTextField(_("what"))
    done_on = models.DateField(_("done on"), null=True, blank=True)

    class Meta:
        ordering = ["due_on"]

    def __str__(self) -> str:
        return f"{self.case.code}: {self.what}"


class BreakGlass(models.Model):
    """An identity opened outside one's assignment (or oneself assigned to a case: the same
    thing), with a reason of substance, flagged until someone above has reviewed it.

    The reason is encrypted like the identity (it may name her) and wiped with her
    anonymisation; audit events refer to the flag by id and category, never copy the text.
    ``actor_path`` is the unit at which the one who opened it held ``identity.view`` (the
    highest such unit over the case): review belongs to the level above it."""

    class Category(models.TextChoices):
        DANGER = "danger", _("immediate danger to the person")
        AUTHORITY = "authority", _("a request from a court or the police")
        UNREACHABLE = "unreachable", _("the assigned case worker cannot be reached")
        CORRECTION = "correction", _("a correction of her data was ordered")
        OTHER = "other", _("other")

    class Kind(models.TextChoices):
        VIEW = "view", _("identity opened")
        SELF_ASSIGN = "self_assign", _("assigned herself to the case")

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(SupportCase, null=True, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                             related_name="+")
    kind = models.CharField(_("what"), max_length=12, choices=Kind.choices, default=Kind.VIEW)
    category = models.CharField(_("reason category"), max_length=12,
                                choices=Category.choices, default=Category.OTHER)
    reason = EncryptedTextField(_("reason"), blank=True)
    at = models.DateTimeField(auto_now_add=True)
    unit_path = TreePathField(place="now", copies=("case", "person"))
    actor_path = TreePathField(default="", place="now")
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.person.code} by {self.user}"


class AnonymisationRequest(models.Model):
    """Four eyes on what cannot be undone: an assigned case worker asks, someone else with
    ``case.manage`` over the supervising unit (or above) approves or rejects; nothing is wiped
    before the approval. The reason is encrypted and wiped on approval."""

    class State(models.TextChoices):
        PENDING = "pending", _("waiting for approval")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")

    person = models.ForeignKey(Person, on_delete=models.PROTECT,
                               related_name="anonymisation_requests")
    unit_path = TreePathField(place="now")  # the supervising unit of her case
    reason = EncryptedTextField(_("reason"), blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices,
                             default=State.PENDING, db_index=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("anonymisation request")
        constraints = [
            models.UniqueConstraint(fields=["person"], condition=Q(state="pending"),
                                    name="cases_one_pending_anonymisation"),
        ]

    def __str__(self) -> str:
        return f"{self.person.code}: {self.state}"


class Notification(models.Model):
    """A message to one user inside the application, such as the daily digest of situations.

    It never holds narrative, names or addresses: codes, categories, units and deadlines only,
    the same as the e-mail it accompanies."""

    class Kind(models.TextChoices):
        DIGEST = "digest", _("daily digest of situations")
        SIGN_IN = "sign_in", _("repeated failed sign-ins")
        CMS_CHANGES = "cms_changes", _("changes requested on an article")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="notifications", verbose_name=_("user"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [models.Index(fields=["user", "read_at"], name="cases_notification_unread")]

    def __str__(self) -> str:
        return self.title


class TraffickingEvent(models.Model):
    """One time a person was trafficked, recorded on her case by its case worker (HTCDS 2.0
    "victim context" and "historic trafficking events"; decision 0031). Several per person
    when it happened more than once. Coded fields use ``cases.htcds``; "unknown" is a code,
    never a guess. The place of exploitation below the country is a narrative: encrypted."""

    case = models.ForeignKey(SupportCase, on_delete=models.PROTECT,
                             related_name="trafficking_events")
    person = models.ForeignKey(Person, on_delete=models.PROTECT,
                               related_name="trafficking_events")
    # the case's supervising unit
    unit_path = TreePathField(editable=False, place="now", copies=("case",))
    status = models.CharField(_("victim status"), max_length=12, default="unknown")
    decided_by = models.CharField(_("decided by"), max_length=20, default="unknown")
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    recruitment_methods = models.JSONField(_("how she was recruited"), default=list)
    recruitment_country = models.CharField(_("country of recruitment"), max_length=7,
                                           default="unknown")
    recruitment_province = models.CharField(_("province of recruitment"), max_length=10,
                                            blank=True)
    recruitment_commune = models.ForeignKey("org.Unit", null=True, blank=True,
                                            on_delete=models.PROTECT, related_name="+",
                                            verbose_name=_("commune of recruitment"))
    recruited_on = models.DateField(_("recruited on"), null=True, blank=True)
    recruiter_relation = models.CharField(_("recruiter's relation to her"), max_length=20,
                                          default="unknown")
    means_of_control = models.JSONField(_("means of control"), default=list)
    exploitation = models.JSONField(_("type of exploitation"), default=list)
    labour_industry = models.CharField(_("industry of the forced labour"), max_length=12,
                                       blank=True)
    sex_exploitation = models.JSONField(_("type of sexual exploitation"), default=list,
                                        blank=True)
    exploitation_country = models.CharField(_("country of exploitation"), max_length=7,
                                            default="unknown")
    exploitation_place = EncryptedTextField(_("place of exploitation"), blank=True)
    exploitation_start = models.DateField(_("exploitation began"), null=True, blank=True)
    exploitation_end = models.DateField(_("exploitation ended"), null=True, blank=True)
    returned_on = models.DateField(_("returned on"), null=True, blank=True)
    return_means = models.CharField(_("how she returned"), max_length=20, default="unknown")
    border_gate = models.CharField(_("border gate"), max_length=20, default="unknown")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    record_key = record_key_field()

    class Meta:
        ordering = ["recruited_on", "id"]
        verbose_name = _("trafficking event")
        verbose_name_plural = _("trafficking events")
        indexes = [models.Index(fields=["unit_path", "recruited_on"],
                                name="cases_trafficking_path")]
        constraints = [
            models.CheckConstraint(
                condition=Q(exploitation_end__isnull=True) | Q(exploitation_start__isnull=True)
                | Q(exploitation_end__gte=models.F("exploitation_start")),
                name="cases_trafficking_end_after_start"),
            models.CheckConstraint(
                condition=Q(returned_on__isnull=True) | Q(recruited_on__isnull=True)
                | Q(returned_on__gte=models.F("recruited_on")),
                name="cases_trafficking_return_after_recruitment"),
        ]

    def __str__(self) -> str:
        return f"{self.case.code}: {self.recruited_on or '?'}"

    @property
    def year(self) -> int | None:
        """The year the event is counted in: recruitment, else exploitation, else return."""
        for day in (self.recruited_on, self.exploitation_start, self.returned_on):
            if day is not None:
                return day.year
        return None
