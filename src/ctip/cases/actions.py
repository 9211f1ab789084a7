"""Writes for situations, persons, consent and support cases. Every one is a transaction with
its audit event; none of them puts a name, phone or ID number into the audit trail."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from pathlib import PurePath
from typing import Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ctip.accounts.policy import NotInScope, has_capability, require
from ctip.audit.actions import record
from ctip.cases import crypto, deadlines, htcds, routing
from ctip.cases.deadlines import DEFAULT_HOURS  # noqa: F401  (kept importable here)
from ctip.cases.models import (
    RISK_FACTORS,
    Agency,
    AnonymisationRequest,
    BreakGlass,
    Category,
    CodeCounter,
    Consent,
    FollowUp,
    Person,
    Referral,
    Service,
    Situation,
    SituationEvent,
    SupportCase,
    TraffickingEvent,
    Urgency,
    Visit,
)
from ctip.cases.policy import (
    IdentityAccess,
    acting_path,
    assigned_case,
    can_manage_case,
    can_work_cases_at,
    holds_identity_over,
    holds_over,
    identity_access,
)
from ctip.core.errors import ActionError, RuleErrors
from ctip.core.files import delete_on_commit
from ctip.core.periods import check_date, guard
from ctip.core.rules import Rules
from ctip.core.text import fold, nfc
from ctip.core.uploads import check_upload
from ctip.imports.pipeline import listed, undoable, where_undone
from ctip.org.models import Unit
from ctip.org.rules import ensure_open

IDENTITY_FIELDS = ("full_name", "other_names", "birth_date", "ethnicity", "id_number", "phone",
                   "address", "guardian")
MONEY_SERVICES = {Service.Type.HARDSHIP_ALLOWANCE, Service.Type.LOAN_SUPPORT,
                  Service.Type.ENTRUSTED_LOAN}


def _text(value: str | None, limit: int, label: Any, *, required: bool = False,
          field: str | None = None) -> str:
    cleaned = nfc(value or "").strip()
    if required and not cleaned:
        raise ActionError(_("%(field)s is required.") % {"field": label}, field=field)
    if len(cleaned) > limit:
        raise ActionError(_("%(field)s can have at most %(n)d characters.")
                          % {"field": label, "n": limit}, field=field)
    return cleaned


def province_prefix(unit: Unit) -> str:
    """Initials of the province the unit belongs to: Tây Ninh → TN."""
    ids = unit.ancestor_ids()
    province = Unit.objects.filter(pk__in=ids, unit_type__code="province").first()
    name = province.name if province else unit.name
    for word in ("tinh ", "thanh pho "):
        if fold(name).startswith(word):
            name = name[len(word):]
    return "".join(w[0] for w in fold(name).split()).upper() or "CT"


def next_code(unit: Unit, kind: str = "") -> str:
    """The next code such as TN-2026-00042 (persons), TN-2026-T00007 (situations)."""
    prefix = province_prefix(unit)
    year = timezone.localdate().year
    counter, _created = CodeCounter.objects.select_for_update().get_or_create(
        prefix=f"{prefix}{kind}", year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{prefix}-{year}-{kind}{counter.last:05d}"


# --- Persons --------------------------------------------------------------------------------

@dataclass
class PossibleMatch:
    code: str | None  # None when the match lies outside the viewer's scope
    unit_name: str | None


def possible_duplicates(*, actor: Any, unit: Unit, full_name: str,
                        birth_year: int | None) -> list[PossibleMatch]:
    """People with the same folded name and birth year in the same commune. Matches the actor
    may not see are reported without code or unit, revealing nothing about them."""
    keys = crypto.search_keys(fold(full_name))
    matches = Person.objects.filter(name_key__in=keys, unit=unit, anonymised_at__isnull=True)
    if birth_year:
        matches = matches.filter(birth_year=birth_year)
    result = []
    for person in matches.select_related("unit"):
        visible = actor is None or has_capability(actor, "case.view", person.unit)
        result.append(PossibleMatch(person.code if visible else None,
                                    person.unit.name if visible else None))
    return result


# The rules of a person's identity, declared once (decision 0056): ``create_person`` and
# ``correct_person`` run them, and the person's forms run those whose inputs are valid when
# one of their fields fails.
IDENTITY_RULES = Rules()

for _name, _limit, _label, _required in (
        ("full_name", 150, gettext_lazy("Full name"), True),
        ("other_names", 300, gettext_lazy("Other names"), False),
        ("ethnicity", 60, gettext_lazy("Ethnicity"), False),
        ("phone", 20, gettext_lazy("Phone"), False),
        ("address", 500, gettext_lazy("Address"), False),
        ("guardian", 300, gettext_lazy("Guardian (for a child)"), False)):
    IDENTITY_RULES.cleans(_name, partial(_text, limit=_limit, label=_label,
                                         required=_required, field=_name))


def _birth_day(birth_date: dt.date | str | None) -> dt.date | None:
    """The date of birth as a date: a form gives a date, the other callers its ISO text."""
    if not birth_date or isinstance(birth_date, dt.date):
        return birth_date or None
    try:
        return dt.date.fromisoformat(str(birth_date).strip())
    except ValueError:
        raise ActionError(_("The date of birth is not a date (YYYY-MM-DD)."),
                          field="birth_date") from None


@IDENTITY_RULES.rule("birth_date", field="birth_date")
def _birth_date(birth_date: dt.date | str | None) -> dict[str, str]:
    born = _birth_day(birth_date)
    if born is not None and born > timezone.localdate():
        raise ActionError(_("The date of birth is in the future."), field="birth_date")
    if born is not None and born.year < 1900:
        raise ActionError(_("The year of birth is not plausible."), field="birth_date")
    return {"birth_date": born.isoformat() if born else ""}


@IDENTITY_RULES.rule("birth_year", field="birth_year")
def _birth_year(birth_year: int | None) -> None:
    if birth_year is not None and not 1900 <= int(birth_year) <= timezone.localdate().year:
        raise ActionError(_("The year of birth is not plausible."), field="birth_year")


@IDENTITY_RULES.rule("birth_date", "birth_year", field="birth_year")
def _birth_year_of_date(birth_date: dt.date | str | None,
                        birth_year: int | None) -> dict[str, int] | None:
    """The year of birth is the date's: given with it, it matches; left empty, it is taken
    from it."""
    try:
        born = _birth_day(birth_date)
    except ActionError:
        return None  # the date's own rule says what is wrong with it
    if born is None:
        return None
    if birth_year is not None and int(birth_year) != born.year:
        raise ActionError(_("The year of birth does not match the date of birth."),
                          field="birth_year")
    return {"birth_year": born.year}


@IDENTITY_RULES.rule("id_number", field="id_number")
def _id_number(id_number: str | None) -> dict[str, str]:
    number = re.sub(r"\s", "", nfc(id_number or ""))
    if number and not number.isdigit():
        raise ActionError(_("An identity card number has digits only."), field="id_number")
    if len(number) > 20:
        raise ActionError(_("%(field)s can have at most %(n)d characters.")
                          % {"field": _("Identity card number"), "n": 20}, field="id_number")
    return {"id_number": number}


@IDENTITY_RULES.rule("ethnic_group", field="ethnic_group")
def _ethnic_group(ethnic_group: str | None) -> dict[str, str]:
    code = ethnic_group or htcds.UNKNOWN
    if code not in {htcds.UNKNOWN, htcds.FOREIGN, *htcds.ETHNIC_CODES}:
        raise ActionError(_("Choose one of Vietnam's 54 ethnic groups, a foreign national or "
                            "unknown."), field="ethnic_group")
    return {"ethnic_group": code}


def _country(code: str | None) -> str:
    """A country of ISO 3166 by its code, in capitals, or "unknown"."""
    code = (code or htcds.UNKNOWN).strip()
    code = code if code == htcds.UNKNOWN else code.upper()
    if not htcds.is_country(code):
        raise ActionError(_("“%(value)s” is not a country (ISO 3166).") % {"value": code})
    return code


IDENTITY_RULES.cleans("citizenship", _country)

# A new person's: her unit open, and her identity's.
PERSON_RULES = Rules()


@PERSON_RULES.rule("unit", field="unit")
def _person_unit_open(unit: Unit) -> None:
    ensure_open(unit)


PERSON_RULES = PERSON_RULES + IDENTITY_RULES


@transaction.atomic
def create_person(*, actor: Any, unit: Unit, full_name: str, sex: str = Person.Sex.FEMALE,
                  birth_year: int | None = None, **identity: Any) -> Person:
    if actor is not None and not (has_capability(actor, "case.manage", unit)
                                  or has_capability(actor, "situation.manage", unit)):
        require(actor, "case.manage", unit)
    values = {"full_name": full_name, "birth_year": birth_year, **identity}
    values |= PERSON_RULES.check(values | {"unit": unit})
    person = Person.objects.create(
        unit=unit, unit_path=unit.path, created_by=actor, code=next_code(unit), sex=sex,
        name_key=crypto.search_key(fold(values["full_name"])), **values)
    record(actor=actor, action="person.created", target=person, unit_path=unit.path,
           changes={"fields": sorted(k for k, v in values.items() if v)})
    return person


# --- Break glass ----------------------------------------------------------------------------

REASON_MAX = 1000
REASON_MIN_CHARS = 20
REASON_MIN_WORDS = 4
REASON_MIN_LETTERS = 8


def clean_break_glass_reason(category: str, reason: str) -> tuple[str, str]:
    """A category from the list and a sentence of substance: at least 20 characters, 4
    different words and 8 different letters, so "aaaaaaaaaa" or "cần cần cần cần" is
    refused. Returns the cleaned pair or raises ``ActionError`` naming the field."""
    errors = RuleErrors()
    errors.check(category in BreakGlass.Category.values,
                 _("Choose why you need it from the list."), field="category")
    text = ""
    with errors.collect():
        text = _text(reason, REASON_MAX, _("Reason"), field="reason")
    words = {w for w in re.findall(r"\w+", text.casefold()) if not w.isdigit()}
    letters = {ch for ch in text.casefold() if ch.isalpha()}
    if not errors.has("reason") and (
            len(text) < REASON_MIN_CHARS or len(words) < REASON_MIN_WORDS
            or len(letters) < REASON_MIN_LETTERS):
        errors.add(
            _("Explain in a real sentence why you need it (at least %(chars)d characters and "
              "%(words)d different words): who asked, what happens if you wait. It is stored "
              "encrypted and reviewed by the level above you.")
            % {"chars": REASON_MIN_CHARS, "words": REASON_MIN_WORDS}, field="reason")
    errors.raise_if_any()
    return category, text


def _break_glass(*, actor: Any, person: Person, case: SupportCase | None, category: str,
                 reason: str, kind: str) -> BreakGlass:
    """Leave the flag (reason encrypted) and its audit event, which names the flag and its
    category but never copies the reason."""
    unit_path = case.unit_path if case is not None else person.unit_path
    flag = BreakGlass.objects.create(
        person=person, case=case, user=actor, kind=kind, category=category, reason=reason,
        unit_path=unit_path, actor_path=acting_path(actor, unit_path) or unit_path)
    record(actor=actor, action="person.break_glass", target=person, unit_path=unit_path,
           changes={"flag": flag.pk, "category": category, "kind": kind,
                    "case": case.code if case is not None else None})
    return flag


def view_identity(*, actor: Any, person: Person, reason: str = "", category: str = "",
                  case: SupportCase | None = None) -> dict[str, Any]:
    """Return the identity of ``person`` for ``actor``, recording the view. Outside an
    assignment a category and a reason of substance are required, and the level above the
    actor is asked to review."""
    access = identity_access(actor, person)
    if access is IdentityAccess.NONE:
        record(actor=actor, action="person.identity_refused", target=person,
               unit_path=person.unit_path, outcome="refused")
        raise ActionError(_("You may not see this person's identity."))
    if case is not None and case.person_id != person.pk:
        raise ActionError("the case is not hers")
    with transaction.atomic():
        if access is IdentityAccess.BREAK_GLASS:
            category, reason = clean_break_glass_reason(category, reason)
            _break_glass(actor=actor, person=person, case=case or person.cases.first(),
                         category=category, reason=reason, kind=BreakGlass.Kind.VIEW)
        record(actor=actor, action="person.identity_viewed", target=person,
               unit_path=person.unit_path, changes={"access": access.value})
    return {f: getattr(person, f) for f in IDENTITY_FIELDS} | {"birth_year": person.birth_year,
                                                              "sex": person.get_sex_display()}


@transaction.atomic
def correct_person(*, actor: Any, person: Person, **changes: Any) -> Person:
    if identity_access(actor, person) is not IdentityAccess.ASSIGNED:
        raise ActionError(_("Only a case worker assigned to this person can correct the "
                            "record."))
    if person.anonymised_at:
        raise ActionError(_("This record has been anonymised."))
    allowed = {*IDENTITY_FIELDS, "birth_year", "sex", "ethnic_group", "citizenship"}
    if set(changes) - allowed:
        raise ActionError(f"unknown fields: {sorted(set(changes) - allowed)}")
    values = changes | IDENTITY_RULES.check(changes)
    changed = sorted(k for k, v in values.items() if getattr(person, k) != v)
    for key, value in values.items():
        setattr(person, key, value)
    if "full_name" in values:
        person.name_key = crypto.search_key(fold(person.full_name))
    person.save()
    record(actor=actor, action="person.corrected", target=person, unit_path=person.unit_path,
           changes={"fields": changed})
    return person


def _wipe(person: Person) -> None:
    """Wipe the identity and every narrative about her; code, sex, birth year, kinds,
    services, amounts, dates and outcomes stay for the statistics."""
    for field_name in IDENTITY_FIELDS:
        setattr(person, field_name, "")
    person.full_name = "—"
    person.name_key = ""
    person.anonymised_at = timezone.now()
    person.save()
    # the signed documents go once the wipe is committed (a wipe rolled back keeps them and
    # the rows naming them: ``core.files``)
    consents = person.consents.exclude(evidence="")
    delete_on_commit([consent.evidence for consent in consents])
    consents.update(evidence="")
    # Narratives about her can name or describe her: wiped too, with the reasons given for
    # opening her identity or asking for her anonymisation.
    cases = SupportCase.objects.filter(person=person)
    cases.update(needs="", plan="", outcome_reason="")
    Visit.objects.filter(case__in=cases).update(notes="")
    FollowUp.objects.filter(case__in=cases).update(what="—")
    Referral.objects.filter(case__in=cases).update(answer="")
    BreakGlass.objects.filter(person=person).update(reason="")
    AnonymisationRequest.objects.filter(person=person).update(reason="")


@transaction.atomic
def anonymise_person(*, actor: Any, person: Person, reason: str) -> Person:
    """The system's own anonymisation (after the retention period, ``rights.anonymise_due``).
    A person's anonymisation at her request takes four eyes: ``request_anonymisation`` by her
    assigned case worker, then ``approve_anonymisation`` by someone else."""
    if actor is not None:
        raise ActionError(_("Anonymisation needs a request by her assigned case worker and the "
                            "approval of a second person at the supervising unit."))
    if person.anonymised_at:
        return person
    _wipe(person)
    record(actor=None, action="person.anonymised", target=person, unit_path=person.unit_path,
           changes={"reason": reason})  # the rule applied, written by the system
    return person


@transaction.atomic
def request_anonymisation(*, actor: Any, person: Person, reason: str) -> AnonymisationRequest:
    """Her assigned case worker asks; nothing is wiped until a second person approves. The
    reason is stored encrypted; the audit event names the request only."""
    case = assigned_case(actor, person) if actor is not None else None
    if case is None or identity_access(actor, person) is not IdentityAccess.ASSIGNED:
        raise ActionError(_("Only a case worker assigned to her case can ask for her "
                            "anonymisation."))
    if person.anonymised_at:
        raise ActionError(_("This record has been anonymised."))
    reason = _text(reason, 1000, _("Reason"), required=True)
    Person.objects.select_for_update().filter(pk=person.pk).first()
    if person.anonymisation_requests.filter(state=AnonymisationRequest.State.PENDING).exists():
        raise ActionError(_("Her anonymisation has already been asked for and is waiting for "
                            "approval."))
    request = AnonymisationRequest.objects.create(person=person, unit_path=case.unit_path,
                                                  reason=reason, requested_by=actor)
    record(actor=actor, action="person.anonymisation_requested", target=person,
           unit_path=case.unit_path, changes={"request": request.pk, "case": case.code})
    return request


def can_decide_anonymisation(actor: Any, request: AnonymisationRequest) -> bool:
    """Four eyes: someone other than the requester, managing cases over the supervising
    unit (there or above)."""
    return (getattr(actor, "pk", None) is not None and actor.pk != request.requested_by_id
            and holds_over(actor, "case.manage", request.unit_path))


def _decision(actor: Any, request: AnonymisationRequest) -> AnonymisationRequest:
    if not holds_over(actor, "case.manage", request.unit_path):
        raise NotInScope("case.manage")
    if actor.pk == request.requested_by_id:
        raise ActionError(_("Someone else must approve or reject the anonymisation you asked "
                            "for."))
    locked = AnonymisationRequest.objects.select_for_update().get(pk=request.pk)
    if locked.state != AnonymisationRequest.State.PENDING:
        raise ActionError(_("This request has already been decided."))
    return locked


@transaction.atomic
def approve_anonymisation(*, actor: Any, request: AnonymisationRequest) -> Person:
    """The second person approves: the identity and the narratives are wiped now."""
    request = _decision(actor, request)
    person = Person.objects.get(pk=request.person_id)
    request.state = AnonymisationRequest.State.APPROVED
    request.decided_by = actor
    request.decided_at = timezone.now()
    request.save(update_fields=["state", "decided_by", "decided_at"])
    record(actor=actor, action="person.anonymisation_approved", target=person,
           unit_path=request.unit_path,
           changes={"request": request.pk,
                    "requested_by": request.requested_by.get_username()})
    if not person.anonymised_at:
        _wipe(person)
        record(actor=actor, action="person.anonymised", target=person,
               unit_path=person.unit_path, changes={"request": request.pk})
    return person


@transaction.atomic
def reject_anonymisation(*, actor: Any, request: AnonymisationRequest) -> AnonymisationRequest:
    request = _decision(actor, request)
    request.state = AnonymisationRequest.State.REJECTED
    request.decided_by = actor
    request.decided_at = timezone.now()
    request.save(update_fields=["state", "decided_by", "decided_at"])
    record(actor=actor, action="person.anonymisation_rejected", target=request.person,
           unit_path=request.unit_path,
           changes={"request": request.pk,
                    "requested_by": request.requested_by.get_username()})
    return request


# --- Consent --------------------------------------------------------------------------------

# The rules of a consent, declared once (decision 0050): ``record_consent`` runs them, and
# the consent form runs those whose inputs are valid when one of its fields fails.
CONSENT_RULES = Rules()


@CONSENT_RULES.rule("given_on", field="given_on")
def _consent_date(given_on: dt.date) -> None:
    if given_on > timezone.localdate():
        raise ActionError(_("Consent cannot be dated in the future."), field="given_on")


@CONSENT_RULES.rule("purpose", "agency", field="agency")
def _consent_agency(purpose: str, agency: Agency | None) -> None:
    if purpose == Consent.Purpose.REFERRAL and agency is None:
        raise ActionError(_("Consent to a referral names the agency."), field="agency")


@CONSENT_RULES.rule("evidence", field="evidence")
def _consent_evidence(evidence: Any) -> None:
    if evidence is not None:
        check_upload(evidence, kinds={"document", "image"})


@transaction.atomic
def record_consent(*, actor: Any, person: Person, purpose: str, given_on: dt.date,
                   given_by: str, agency: Agency | None = None, evidence: Any = None) -> Consent:
    if identity_access(actor, person) is IdentityAccess.NONE and actor is not None:
        require(actor, "case.manage", person.unit)
    CONSENT_RULES.check({"given_on": given_on, "purpose": purpose, "agency": agency,
                         "evidence": evidence})
    consent = Consent(person=person, purpose=purpose, agency=agency, given_on=given_on,
                      given_by=given_by, recorded_by=actor)
    if evidence is not None:
        # The sender's file name may hold the person's name: store it under her code.
        suffix = PurePath(evidence.name or "").suffix.lower()
        consent.evidence.save(f"{person.code}-{purpose}-{secrets.token_hex(4)}{suffix}",
                              evidence, save=False)
    consent.save()
    record(actor=actor, action="consent.recorded", target=person, unit_path=person.unit_path,
           changes={"purpose": purpose, "agency": agency, "given_by": given_by})
    return consent


@transaction.atomic
def withdraw_consent(*, actor: Any, consent: Consent, on: dt.date | None = None) -> Consent:
    if actor is not None and identity_access(actor, consent.person) is IdentityAccess.NONE:
        require(actor, "case.manage", consent.person.unit)
    if consent.withdrawn_on:
        return consent
    consent.withdrawn_on = on or timezone.localdate()
    consent.save(update_fields=["withdrawn_on"])
    record(actor=actor, action="consent.withdrawn", target=consent.person,
           unit_path=consent.person.unit_path,
           changes={"purpose": consent.purpose, "agency": consent.agency})
    return consent


def active_consents(purpose: str, agency: Agency | None = None) -> models.QuerySet[Consent]:
    """The consents in force for ``purpose`` (to ``agency``): given and not withdrawn. What
    may be shared about a person, in a step or in a file, is read here."""
    consents = Consent.objects.filter(purpose=purpose, withdrawn_on__isnull=True)
    if agency is not None:
        consents = consents.filter(agency=agency)
    return consents


def matching_consent(person: Person, purpose: str, agency: Agency | None = None) -> Consent | None:
    return active_consents(purpose, agency).filter(person=person).first()


def require_consent(person: Person, purpose: str, agency: Agency | None = None) -> Consent:
    consent = matching_consent(person, purpose, agency)
    if consent is not None:
        return consent
    withdrawn = person.consents.filter(purpose=purpose, withdrawn_on__isnull=False)
    if agency is not None:
        withdrawn = withdrawn.filter(agency=agency)
    what = str(Consent.Purpose(purpose).label) + (f" ({agency.name})" if agency else "")
    if withdrawn.exists():
        raise ActionError(_("%(code)s withdrew consent to %(what)s; nothing more can be "
                            "shared for it.") % {"code": person.code, "what": what})
    raise ActionError(_("Consent is missing: %(code)s has not consented to %(what)s.")
                      % {"code": person.code, "what": what})


# --- Situations -----------------------------------------------------------------------------

def _event(situation: Situation, kind: str, actor: Any, note: str = "", **units: Any) -> None:
    SituationEvent.objects.create(situation=situation, kind=kind,
                                  actor=actor if getattr(actor, "pk", None) else None,
                                  note=note, **units)


# A new situation's rules, declared once (decision 0050): ``create_situation`` runs them (for
# the staff's form, the public form, the API and the import of registers), and both forms run
# those whose inputs are valid when one of their fields fails.
SITUATION_RULES = Rules()


@SITUATION_RULES.rule("unit", field="unit")
def _situation_unit_open(unit: Unit) -> None:
    ensure_open(unit)


@SITUATION_RULES.rule("category", field="category")
def _situation_category(category: str) -> None:
    if category not in Category.values:
        raise ActionError(_("Unknown category."))


@SITUATION_RULES.rule("occurred_on", field="occurred_on")
def _situation_date(occurred_on: dt.date | None) -> None:
    errors = RuleErrors()
    errors.check(not occurred_on or occurred_on <= timezone.localdate(),
                 _("This date is in the future."), field="occurred_on")
    errors.check(not occurred_on or occurred_on >= dt.date(1990, 1, 1),
                 _("Enter a date after 1 January 1990."), field="occurred_on")
    errors.raise_if_any()


@SITUATION_RULES.rule("unit")
def _situation_period(unit: Unit) -> None:
    guard(unit_path=unit.path, dates=[timezone.localdate()], field=None)


for _name, _limit, _label, _required in (
        ("description", 20_000, gettext_lazy("What happened"), True),
        ("address", 500, gettext_lazy("Address"), False),
        ("reporter_contact", 300, gettext_lazy("Contact"), False)):
    SITUATION_RULES.cleans(_name, partial(_text, limit=_limit, label=_label,
                                          required=_required, field=_name))


@transaction.atomic
def create_situation(
    *, actor: Any, unit: Unit, category: str, description: str, source: str,
    urgency: str = Urgency.NORMAL, address: str = "", occurred_on: dt.date | None = None,
    reporter_contact: str = "", persons: Iterable[Person] = (), code: str | None = None,
) -> Situation:
    """Record a situation. ``code`` is given by the public form (an unguessable receipt code,
    ``ctip.portal.receipts``); otherwise the next code of the province is used."""
    if actor is not None:
        require(actor, "situation.report", unit)
    texts = SITUATION_RULES.check({
        "unit": unit, "category": category, "occurred_on": occurred_on,
        "description": description, "address": address, "reporter_contact": reporter_contact})
    # handled where somebody can act on it: the nearest unit up with a handler
    handler = routing.handler_unit(unit)
    situation = Situation.objects.create(
        unit=unit, unit_path=unit.path, created_by=actor if actor else None,
        code=code or next_code(unit, "T"), category=category, urgency=urgency,
        occurred_on=occurred_on, source=source, handling_unit=handler,
        handling_path=handler.path, **texts)
    # The deadline is fixed now, from the moment it was recorded, and stored for good.
    situation.deadline_us, situation.due_at = deadlines.fix(
        situation.created_at, deadlines.rule_hours(category, urgency))
    situation.save(update_fields=["deadline_us", "due_at"])
    situation.persons.set(persons)
    _event(situation, SituationEvent.Kind.RECEIVED, actor, to_unit=handler)
    changes: dict[str, Any] = {"category": category, "urgency": urgency, "source": source}
    if handler != unit:
        changes["handled_by"] = handler
    record(actor=actor, action="situation.received", target=situation, unit_path=unit.path,
           changes=changes)
    return situation


def _ensure_open_situation(situation: Situation) -> None:
    if situation.state == Situation.State.CLOSED:
        raise ActionError(_("The situation %(code)s is closed.") % {"code": situation.code})


def _require_handler(actor: Any, situation: Situation) -> None:
    require(actor, "situation.manage", situation.handling_unit)


def _guard_step(situation: Situation, *, received: bool = False) -> None:
    """A step of a situation is dated now, at the situation's unit; with ``received``, the
    day it was received too (the step changes that period's figures)."""
    days = [timezone.localdate(), timezone.localdate(situation.created_at) if received else None]
    guard(unit_path=situation.unit_path, dates=days, field=None)


SITUATION_OPEN_RULES = Rules()


@SITUATION_OPEN_RULES.rule("situation")
def _situation_open(situation: Situation) -> None:
    _ensure_open_situation(situation)


# The rules of the steps on a situation, declared once (decision 0050): the actions run them,
# and the step forms run those whose inputs are valid when one of their fields fails.
def _step_rules(text: str, limit: int, label: Any, *, required: bool = False,
                received: bool = False) -> Rules:
    """The situation still open, the step's period (and, with ``received``, the period it
    was received in) open, and the step's text ``text``."""
    rules = Rules(SITUATION_OPEN_RULES)

    @rules.rule("situation")
    def _period(situation: Situation) -> None:
        _guard_step(situation, received=received)

    rules.cleans(text, partial(_text, limit=limit, label=label, required=required, field=text))
    return rules


VERIFY_RULES = _step_rules("note", 5000, gettext_lazy("Note"))
NOTE_RULES = _step_rules("note", 5000, gettext_lazy("Note"), required=True)
CLOSE_RULES = _step_rules("outcome", 5000, gettext_lazy("Outcome"), required=True)


@transaction.atomic
def start_verification(*, actor: Any, situation: Situation, note: str = "") -> Situation:
    _require_handler(actor, situation)
    note = VERIFY_RULES.check({"situation": situation, "note": note})["note"]
    situation.state = Situation.State.VERIFYING
    situation.save(update_fields=["state"])
    _event(situation, SituationEvent.Kind.VERIFYING, actor, note=note)
    record(actor=actor, action="situation.verifying", target=situation,
           unit_path=situation.unit_path)
    return situation


# The first escalation changes "escalated within the deadline" of the period in which the
# situation was received: that period must be open too.
ESCALATE_RULES = _step_rules("note", 5000, gettext_lazy("Note"), received=True)


@ESCALATE_RULES.rule("situation")
def _level_above(situation: Situation) -> None:
    if situation.handling_unit.parent is None:
        raise ActionError(_("There is no level above %(unit)s.")
                          % {"unit": situation.handling_unit.name})


@ESCALATE_RULES.rule("situation")
def _consents_to_share(situation: Situation) -> None:
    errors = RuleErrors()
    for person in situation.persons.all():
        with errors.collect():
            require_consent(person, Consent.Purpose.SHARE_ABOVE)
    errors.raise_if_any()


@transaction.atomic
def escalate(*, actor: Any, situation: Situation, note: str = "") -> Situation:
    """Send the situation to the Union level above: it appears in that unit's inbox."""
    _require_handler(actor, situation)
    note = ESCALATE_RULES.check({"situation": situation, "note": note})["note"]
    from_unit = situation.handling_unit
    above = routing.handler_unit(from_unit, above=True)
    situation.handling_unit = above
    situation.handling_path = above.path
    situation.state = Situation.State.ESCALATED
    situation.due_at = deadlines.due_after(situation.category, situation.urgency)
    situation.save(update_fields=["handling_unit", "handling_path", "state", "due_at"])
    _event(situation, SituationEvent.Kind.ESCALATED, actor, note=note,
           from_unit=from_unit, to_unit=above)
    record(actor=actor, action="situation.escalated", target=situation,
           unit_path=situation.unit_path, changes={"from": from_unit, "to": above})
    return situation


def _referred(situation: Situation | None, case: SupportCase | None
              ) -> tuple[list[Person], str, dt.date | dt.datetime, str]:
    """Who a referral concerns, at which unit, since when (the moment the situation was
    received, or the day the case was opened) and how to name that moment."""
    if situation is not None:
        return (list(situation.persons.all()), situation.unit_path, situation.created_at,
                _("the situation %(code)s was received") % {"code": situation.code})
    if case is not None:
        return [case.person], case.unit_path, case.opened_on, _case_began(case)
    raise ActionError("a referral needs a situation or a case")


# The rules of a referral, declared once (decision 0050): ``refer`` runs them, and the referral
# forms of a situation and of a case run those whose inputs are valid when a field fails.
REFER_RULES = Rules()


@REFER_RULES.rule("agency", field="agency")
def _agency_known(agency: Agency) -> None:
    if agency.archived:
        raise ActionError(_("Unknown agency."), field="agency")


@REFER_RULES.rule("referred_on", field="referred_on")
def _referral_date(referred_on: dt.date, situation: Situation | None = None,
                   case: SupportCase | None = None) -> None:
    _persons, path, began, subject = _referred(situation, case)
    if referred_on > timezone.localdate():
        raise ActionError(_("The referral date is in the future."), field="referred_on")
    check_date(referred_on, field="referred_on", label=_("The referral date"),
               not_before=began, subject=subject)
    guard(unit_path=path, dates=[referred_on], field="referred_on")


@REFER_RULES.rule("agency")
def _referral_consents(agency: Agency, situation: Situation | None = None,
                       case: SupportCase | None = None) -> None:
    """Every person concerned consented to a referral to that agency."""
    if agency.archived:
        return  # the agency's own rule says what is wrong
    errors = RuleErrors()
    for person in _referred(situation, case)[0]:
        with errors.collect():
            require_consent(person, Consent.Purpose.REFERRAL, agency)
    errors.raise_if_any()


REFER_RULES.cleans("contact", partial(_text, limit=200, label=gettext_lazy("Contact"),
                                      field="contact"))


@transaction.atomic
def refer(*, actor: Any, agency: Agency, referred_on: dt.date, contact: str = "",
          situation: Situation | None = None, case: SupportCase | None = None) -> Referral:
    """Refer a situation or a case to an agency. Every person concerned must have consented to
    a referral to that agency. Every rule broken is reported at once."""
    if situation is not None:
        _require_handler(actor, situation)
        _ensure_open_situation(situation)
    elif case is not None:
        _require_case_manager(actor, case)
        _ensure_open_case(case)
    persons, path, _began, _subject = _referred(situation, case)
    contact = REFER_RULES.check({"agency": agency, "referred_on": referred_on,
                                 "contact": contact, "situation": situation,
                                 "case": case})["contact"]
    consents = [matching_consent(person, Consent.Purpose.REFERRAL, agency)
                for person in persons]
    referral = Referral.objects.create(
        situation=situation, case=case, agency=agency, contact=contact,
        referred_on=referred_on, consent=consents[0] if consents else None, unit_path=path)
    if situation is not None:
        situation.state = Situation.State.REFERRED
        situation.due_at = None
        situation.save(update_fields=["state", "due_at"])
        _event(situation, SituationEvent.Kind.REFERRED, actor, note=agency.name)
    record(actor=actor, action="referral.created", target=situation or case, unit_path=path,
           changes={"agency": agency, "referred_on": referred_on})
    return referral


# The rules of an agency's answer (decision 0050), run by ``record_answer`` and its forms.
ANSWER_RULES = Rules()


@ANSWER_RULES.rule("referral", "answered_on", field="answered_on")
def _answer_date(referral: Referral, answered_on: dt.date) -> None:
    if not referral.referred_on <= answered_on <= timezone.localdate():
        raise ActionError(_("The answer date must lie between the referral and today."),
                          field="answered_on")
    guard(unit_path=referral.unit_path, dates=[answered_on, referral.answered_on],
          field="answered_on")


ANSWER_RULES.cleans("answer", partial(_text, limit=5000, label=gettext_lazy("Answer"),
                                      required=True, field="answer"))


@transaction.atomic
def record_answer(*, actor: Any, referral: Referral, answer: str,
                  answered_on: dt.date) -> Referral:
    subject = referral.situation or referral.case
    if referral.situation is not None:
        _require_handler(actor, referral.situation)
        _ensure_open_situation(referral.situation)
    elif referral.case is not None:
        _require_case_manager(actor, referral.case)
    answer = ANSWER_RULES.check({"referral": referral, "answered_on": answered_on,
                                 "answer": answer})["answer"]
    referral.answer = answer
    referral.answered_on = answered_on
    referral.save(update_fields=["answer", "answered_on"])
    if referral.situation is not None:
        _event(referral.situation, SituationEvent.Kind.ANSWERED, actor,
               note=referral.agency.name)
    record(actor=actor, action="referral.answered", target=subject,
           unit_path=referral.unit_path, changes={"agency": referral.agency})
    return referral


@transaction.atomic
def add_note(*, actor: Any, situation: Situation, note: str) -> None:
    _require_handler(actor, situation)
    note = NOTE_RULES.check({"situation": situation, "note": note})["note"]
    _event(situation, SituationEvent.Kind.NOTE, actor, note=note)
    record(actor=actor, action="situation.noted", target=situation,
           unit_path=situation.unit_path)


@transaction.atomic
def close_situation(*, actor: Any, situation: Situation, outcome: str) -> Situation:
    _require_handler(actor, situation)
    outcome = CLOSE_RULES.check({"situation": situation, "outcome": outcome})["outcome"]
    situation.state = Situation.State.CLOSED
    situation.outcome = outcome
    situation.closed_at = timezone.now()
    situation.due_at = None
    situation.save(update_fields=["state", "outcome", "closed_at", "due_at"])
    _event(situation, SituationEvent.Kind.CLOSED, actor)
    record(actor=actor, action="situation.closed", target=situation,
           unit_path=situation.unit_path)
    return situation


# --- Situations from the registers kept before ctip ----------------------------------------

IMPORT_EARLIEST = dt.date(1990, 1, 1)


def situation_import_key(unit: Unit, received_on: dt.date, category: str,
                         description: str) -> list[str]:
    """The keyed hashes (newest key first) that recognise a situation already imported: its
    unit, the day it was received, its category and its summary folded."""
    return crypto.search_keys(import_key_source(unit.pk, received_on, category, description))


def import_key_source(unit_id: int, received_on: dt.date, category: str,
                      description: str) -> str:
    """What an imported situation's keyed hash is computed from (``ctip keys rotate``
    recomputes it from the same)."""
    folded = " ".join(fold(nfc(description)).split())
    return f"{unit_id}|{received_on.isoformat()}|{category}|{folded}"


def situation_imported(keys: list[str]) -> bool:
    return Situation.objects.filter(import_key__in=keys).exists()


def _received_at(day: dt.date) -> dt.datetime:
    """A day of a register as a moment: noon, local time (the hour was not written)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


def import_situation(
    *, actor: Any, unit: Unit, received_on: dt.date, category: str, description: str,
    urgency: str = Urgency.NORMAL, address: str = "", closed_on: dt.date | None = None,
    outcome: str = "", person_names: Iterable[str] = (),
) -> Situation:
    """Record a situation from a register kept before ctip, with the state it had there: the
    day it was received (its period, guarded), and, when it was closed, the day it was closed
    and its outcome, so no deadline is started for it. A situation still open is received
    into the handler's inbox today: its deadline runs from now (``deadlines.fix``), not from a
    day long past. Names of people concerned are recorded only by someone who may see
    identities, encrypted as every identity (``create_person``). The caller records one audit
    event for the whole import (``situation.imported``); a situation received on the same
    day, in the same unit, category and words is refused as already imported."""
    require(actor, "situation.manage", unit)
    ensure_open(unit)
    if category not in Category.values:
        raise ActionError(_("Unknown category."), field="category")
    if urgency not in Urgency.values:
        raise ActionError(_("Unknown urgency."), field="urgency")
    check_date(received_on, field="received_on", label=_("The day it was received"),
               not_before=IMPORT_EARLIEST, subject=_("the earliest day accepted"))
    names = [n for n in (_text(name, 150, _("Full name")) for name in person_names) if n]
    if names and not holds_identity_over(actor, unit):
        raise ActionError(_("Your role does not record the identities of people: leave the "
                            "names out of the file, or ask a case worker to import it."),
                          field="persons")
    closed = closed_on is not None
    if closed_on is not None:
        check_date(closed_on, field="closed_on", label=_("The day it was closed"),
                   not_before=received_on, subject=_("the day it was received"))
    if closed and not outcome.strip():
        raise ActionError(_("Write the outcome of a closed situation."), field="outcome")
    guard(unit_path=unit.path, dates=[received_on, closed_on], field="received_on")
    description = _text(description, 20_000, _("What happened"), required=True)
    keys = situation_import_key(unit, received_on, category, description)
    if situation_imported(keys):
        raise ActionError(_("This situation has already been imported."), field="description")
    handler = routing.handler_unit(unit)
    situation = Situation.objects.create(
        unit=unit, unit_path=unit.path, created_by=actor, code=next_code(unit, "T"),
        category=category, urgency=urgency, description=description,
        address=_text(address, 500, _("Address")), source=Situation.Source.OFFICER,
        handling_unit=handler, handling_path=handler.path, import_key=keys[0])
    received_at = _received_at(received_on)
    hours = deadlines.rule_hours(category, urgency)
    values: dict[str, Any] = {"created_at": received_at}
    if closed:
        values.update(state=Situation.State.CLOSED, closed_at=_received_at(closed_on),  # type: ignore[arg-type]
                      outcome=_text(outcome, 5000, _("Outcome"), required=True),
                      deadline_us=hours * deadlines.HOUR_US, due_at=None)
    else:
        due_at = timezone.now() + dt.timedelta(hours=hours)
        values.update(due_at=due_at,
                      deadline_us=int((due_at - received_at).total_seconds() * 1_000_000))
    Situation.objects.filter(pk=situation.pk).update(**values)
    for key, value in values.items():
        setattr(situation, key, value)
    if names:
        situation.persons.set([create_person(actor=actor, unit=unit, full_name=name)
                               for name in names])
    _event(situation, SituationEvent.Kind.RECEIVED, actor, note=_("Imported from a register."),
           to_unit=handler)
    if closed:
        _event(situation, SituationEvent.Kind.CLOSED, actor)
    events = SituationEvent.objects.filter(situation=situation)
    events.filter(kind=SituationEvent.Kind.RECEIVED).update(at=received_at)
    if closed:
        events.filter(kind=SituationEvent.Kind.CLOSED).update(at=situation.closed_at)
    return situation


@transaction.atomic
def undo_situation_import(*, actor: Any, event_id: int) -> int:
    """Delete, as a whole, the situations one import recorded (its ``situation.imported``
    event) and the people it named, while their periods are not locked and nobody has acted
    on them since; one ``situation.import_undone`` event. Returns how many were deleted."""
    event, situations, count = undoable(actor=actor, event_id=event_id,
                                        action="situation.imported",
                                        capability="situation.manage", model=Situation)
    situations = situations.exclude(import_key="")
    worked_on = (SituationEvent.objects.filter(situation__in=situations.values("pk"))
                 .exclude(kind__in=[SituationEvent.Kind.RECEIVED, SituationEvent.Kind.CLOSED]))
    if worked_on.exists() or Referral.objects.filter(
            situation__in=situations.values("pk")).exists():
        raise ActionError(_("A situation of this import has been handled since; the import "
                            "cannot be undone."))
    by_path: dict[str, set[dt.date]] = {}
    for path, created, closed in situations.select_for_update().values_list(
            "unit_path", "created_at", "closed_at"):
        days = by_path.setdefault(path, set())
        days.add(timezone.localdate(created))
        if closed is not None:
            days.add(timezone.localdate(closed))
    for path, days in by_path.items():
        guard(unit_path=path, dates=sorted(days))
    persons, _count = listed(Person, event.changes.get("persons"))
    if SupportCase.objects.filter(person__in=persons.values("pk")).exists():
        raise ActionError(_("A person named by this import has a support case since; the "
                            "import cannot be undone."))
    person_ids = list(persons.values_list("pk", flat=True))
    SituationEvent.objects.filter(situation__in=situations.values("pk")).delete()
    deleted = situations.count()
    for situation in situations:
        situation.persons.clear()
    situations.delete()
    Person.objects.filter(pk__in=person_ids, situations__isnull=True).delete()
    record(actor=actor, action="situation.import_undone", target_label=event.target_label,
           unit_path=where_undone(event, by_path),
           changes={"event": event.pk, "file": event.changes.get("file", ""),
                    "deleted": deleted, "already_gone": count - deleted})
    return deleted


# --- Support cases --------------------------------------------------------------------------

def _require_case_manager(actor: Any, case: SupportCase) -> None:
    if actor is not None and not can_manage_case(actor, case):
        require(actor, "case.manage", case.unit)


def _case_began(case: SupportCase) -> str:
    return _("the case %(code)s was opened") % {"code": case.code}


def _guard_service(case: SupportCase, date: dt.date) -> None:
    """A service counts in its day's period, and in "victims supported" of every period from
    that day on."""
    guard(unit_path=case.unit_path, dates=[date], spans=[(date, None)])


def _ensure_open_case(case: SupportCase) -> None:
    if case.closed_on is not None:
        raise ActionError(_("The case %(code)s was closed on %(date)s; it cannot be changed.")
                          % {"code": case.code, "date": case.closed_on.strftime("%d/%m/%Y")})


def _check_workers(workers: list[Any], unit: Unit) -> None:
    errors = RuleErrors()
    for worker in workers:
        errors.check(can_work_cases_at(worker, unit),
                     _("%(user)s is not a case worker of %(unit)s.")
                     % {"user": worker, "unit": unit.name}, field="workers")
    errors.raise_if_any()


def _self_assigned(actor: Any, workers: list[Any], before: set[int]) -> bool:
    pk = getattr(actor, "pk", None)
    return pk is not None and pk in {w.pk for w in workers} and pk not in before


def _workers_before(case: SupportCase | None) -> set[int]:
    return set(case.workers.values_list("pk", flat=True)) if case is not None else set()


# The rules of a case's workers, declared once (decision 0056): ``open_case`` and
# ``assign_workers`` run them, and their forms run those whose inputs are valid when a field
# fails. ``case`` is the case whose workers change (none when it is opened).
WORKERS_RULES = Rules()


@WORKERS_RULES.rule("workers", "unit", field="workers")
def _workers_of_unit(workers: Iterable[Any], unit: Unit) -> None:
    _check_workers(list(workers), unit)


@WORKERS_RULES.rule("actor", "workers", "category", "reason", field="reason")
def _self_assignment(actor: Any, workers: Iterable[Any], category: str, reason: str,
                     case: SupportCase | None = None) -> dict[str, str] | None:
    """Assigning oneself is break glass: a category and a reason of substance."""
    if not _self_assigned(actor, list(workers), _workers_before(case)):
        return None
    category, reason = clean_break_glass_reason(category, reason)
    return {"category": category, "reason": reason}


# The narratives of a case, cleaned alike when it is opened and edited.
# What a case holds from the lists (decision 0069): the forms choose from them, and the
# actions refuse any other code, so that a command, an import or the API cannot store one.
CASE_TEXT_RULES = Rules()


@CASE_TEXT_RULES.rule("risk_factors", field="risk_factors")
def _case_risk_factors(risk_factors: Iterable[str]) -> dict[str, Any]:
    codes = {code for code, _label in RISK_FACTORS}
    chosen = list(risk_factors)
    if any(not isinstance(c, str) or c not in codes for c in chosen):
        raise ActionError(_("Choose the risk factors from the list."), field="risk_factors")
    return {"risk_factors": sorted(set(chosen))}


CASE_TEXT_RULES.cleans("needs", partial(_text, limit=20_000, label=gettext_lazy("Needs"),
                                        field="needs"))
CASE_TEXT_RULES.cleans("plan", partial(_text, limit=20_000, label=gettext_lazy("Plan"),
                                       field="plan"))

# The rules of opening a case (decision 0056), run by ``open_case`` and its form (given: the
# actor and the person).
OPEN_CASE_RULES = Rules()


@OPEN_CASE_RULES.rule("unit", field="unit")
def _case_unit_open(unit: Unit) -> None:
    ensure_open(unit)


@OPEN_CASE_RULES.rule("kind", field="kind")
def _new_case_kind(kind: str) -> None:
    if kind not in SupportCase.Kind.values:
        raise ActionError(_("Choose the kind of case."), field="kind")


@OPEN_CASE_RULES.rule("person")
def _case_consent(person: Person) -> None:
    require_consent(person, Consent.Purpose.SUPPORT)


@OPEN_CASE_RULES.rule("opened_on", field="opened_on")
def _case_opened_on(opened_on: dt.date, unit: Unit | None = None,
                    situation: Situation | None = None) -> None:
    check_date(opened_on, field="opened_on", label=_("The opening date"),
               not_before=situation.created_at if situation is not None else None,
               subject=_("the situation %(code)s was received")
               % {"code": situation.code if situation is not None else ""})
    if unit is not None:
        # An open case counts as active in every period from its opening to today.
        guard(unit_path=unit.path, spans=[(opened_on, None)], field="opened_on")


OPEN_CASE_RULES = OPEN_CASE_RULES + WORKERS_RULES + CASE_TEXT_RULES


@transaction.atomic
def open_case(*, actor: Any, unit: Unit, person: Person, kind: str,
              workers: Iterable[Any] = (), risk_factors: Iterable[str] = (), needs: str = "",
              plan: str = "", situation: Situation | None = None,
              opened_on: dt.date | None = None, category: str = "",
              reason: str = "") -> SupportCase:
    """Open a case. Assigning oneself is break glass: it takes a category and a reason, and
    leaves a flag for the level above; others are assigned by someone else."""
    if actor is not None:
        require(actor, "case.manage", unit)
    opened_on = opened_on or timezone.localdate()
    workers = list(workers)
    values = OPEN_CASE_RULES.check({
        "actor": actor, "unit": unit, "person": person, "opened_on": opened_on,
        "situation": situation, "workers": workers, "category": category, "reason": reason,
        "needs": needs, "plan": plan, "kind": kind, "risk_factors": risk_factors})
    self_assigned = _self_assigned(actor, workers, set())
    case = SupportCase.objects.create(
        unit=unit, unit_path=unit.path, created_by=actor, code=next_code(unit, "H"),
        person=person, kind=kind, situation=situation, risk_factors=values["risk_factors"],
        needs=values["needs"], plan=values["plan"], opened_on=opened_on)
    case.workers.set(workers)
    record(actor=actor, action="case.opened", target=case, unit_path=unit.path,
           changes={"kind": kind, "person": person.code,
                    "workers": [w.get_username() for w in workers]})
    if self_assigned:
        _break_glass(actor=actor, person=person, case=case, category=values["category"],
                     reason=values["reason"], kind=BreakGlass.Kind.SELF_ASSIGN)
    return case


# The rules of a case's edit (decision 0056), run by ``update_case`` and its form.
CASE_RULES = Rules()


@CASE_RULES.rule("case", "kind", field="kind")
def _case_kind(case: SupportCase, kind: str) -> None:
    if kind not in SupportCase.Kind.values:
        raise ActionError(_("Choose the kind of case."), field="kind")
    if kind != case.kind:
        # The kind splits every count of the case, from its opening to today.
        guard(unit_path=case.unit_path, spans=[(case.opened_on, None)], field="kind")


CASE_RULES = CASE_RULES + CASE_TEXT_RULES


@transaction.atomic
def update_case(*, actor: Any, case: SupportCase, **changes: Any) -> SupportCase:
    _require_case_manager(actor, case)
    _ensure_open_case(case)
    allowed = {"needs", "plan", "risk_factors", "kind"}
    if set(changes) - allowed:
        raise ActionError(f"unknown fields: {sorted(set(changes) - allowed)}")
    changes |= CASE_RULES.check(changes | {"case": case})
    for key, value in changes.items():
        setattr(case, key, value)
    case.save()
    record(actor=actor, action="case.updated", target=case, unit_path=case.unit_path,
           changes={"fields": sorted(changes)})
    return case


@transaction.atomic
def assign_workers(*, actor: Any, case: SupportCase, workers: Iterable[Any],
                   category: str = "", reason: str = "") -> SupportCase:
    """Set the case's workers. Assignments are made by someone else with ``case.manage``
    over the unit; adding oneself is break glass (a category and a reason, flagged)."""
    require(actor, "case.manage", case.unit)
    _ensure_open_case(case)
    workers = list(workers)
    before = _workers_before(case)
    values = WORKERS_RULES.check({"actor": actor, "case": case, "unit": case.unit,
                                  "workers": workers, "category": category,
                                  "reason": reason})
    self_assigned = _self_assigned(actor, workers, before)
    case.workers.set(workers)
    record(actor=actor, action="case.assigned", target=case, unit_path=case.unit_path,
           changes={"workers": [w.get_username() for w in workers]})
    if self_assigned:
        _break_glass(actor=actor, person=case.person, case=case, category=values["category"],
                     reason=values["reason"], kind=BreakGlass.Kind.SELF_ASSIGN)
    return case


def end_uncovered_assignments(*, actor: Any, user: Any, why: str) -> list[SupportCase]:
    """Take ``user`` off every case her current roles no longer cover with ``identity.view``
    (a role revoked or moved, the account deactivated), each removal audited. A case left
    without a worker shows as needing one to the case managers of its unit. Run inside the
    transaction of the change that caused it (``ctip.accounts.actions``)."""
    removed = []
    for case in (SupportCase.objects.filter(workers=user).select_related("unit")
                 .defer("needs", "plan", "outcome_reason").order_by("pk")):
        if getattr(user, "is_active", False) and holds_identity_over(user, case.unit):
            continue
        case.workers.remove(user)
        left = case.workers.count()
        record(actor=actor, action="case.worker_removed", target=case,
               unit_path=case.unit_path,
               changes={"worker": user.get_username(), "why": why, "workers_left": left})
        removed.append(case)
    return removed


# The rules of a service, a visit and a follow-up on a case, declared once (decision 0050):
# the actions run them, and their forms run those whose inputs are valid when a field fails.
SERVICE_RULES = Rules()


@SERVICE_RULES.rule("type", field="type")
def _service_known(type: str) -> None:  # noqa: A002
    if type not in Service.Type.values:
        raise ActionError(_("Unknown service."), field="type")


@SERVICE_RULES.rule("type", "status", "amount", field="amount")
def _service_amount(type: str, status: str, amount: Decimal | int | None) -> None:  # noqa: A002
    if amount is not None and amount < 0:
        raise ActionError(_("The amount cannot be negative."), field="amount")
    if type in MONEY_SERVICES and status == Service.Status.DELIVERED and not amount:
        raise ActionError(_("Give the amount of money delivered."), field="amount")


@SERVICE_RULES.rule("case", "date", "status", field="date")
def _service_date(case: SupportCase, date: dt.date, status: str) -> None:
    if status == Service.Status.DELIVERED and date > timezone.localdate():
        raise ActionError(_("A delivered service cannot be dated in the future."),
                          field="date")
    check_date(date, field="date", label=_("The date of the service"),
               not_before=case.opened_on, subject=_case_began(case),
               future=status == Service.Status.PLANNED)
    _guard_service(case, date)


def _lock_case_first(case: SupportCase) -> None:
    """Take the case's row before a service's: the triggers that keep a service's path and the
    case's first day served lock the case after the service, and a move of the case locks its
    services after the case (``reports.rollups``); taking the case first keeps every writer in
    the same order, so two of them wait for each other instead of deadlocking (decision 0070)."""
    SupportCase.objects.select_for_update().filter(pk=case.pk).values_list("pk").first()


SERVICE_RULES.cleans("provider", partial(_text, limit=200, label=gettext_lazy("Provider"),
                                         required=True, field="provider"))


@transaction.atomic
def add_service(*, actor: Any, case: SupportCase, type: str, provider: str,  # noqa: A002
                date: dt.date, amount: Decimal | int | None = None,
                status: str = Service.Status.PLANNED) -> Service:
    _require_case_manager(actor, case)
    _ensure_open_case(case)
    _lock_case_first(case)
    provider = SERVICE_RULES.check({"case": case, "type": type, "provider": provider,
                                    "date": date, "amount": amount,
                                    "status": status})["provider"]
    service = Service.objects.create(case=case, type=type, date=date, amount=amount,
                                     status=status, provider=provider)
    record(actor=actor, action="case.service_added", target=case, unit_path=case.unit_path,
           changes={"type": type, "status": status, "amount": amount})
    return service


# The rules of a service's new status (decision 0056), run by ``set_service_status`` and its
# form (given: the service). Its date is not a field of that form: what it refuses is the
# status.
SERVICE_STATUS_RULES = Rules()


@SERVICE_STATUS_RULES.rule("service", "status", field="status")
def _service_status(service: Service, status: str) -> None:
    if status not in Service.Status.values:
        raise ActionError(_("Choose a status."), field="status")
    if status == Service.Status.DELIVERED and service.date > timezone.localdate():
        raise ActionError(_("A delivered service cannot be dated in the future."),
                          field="status")
    _guard_service(service.case, service.date)


@SERVICE_STATUS_RULES.rule("service", "status", "amount", field="amount")
def _service_status_amount(service: Service, status: str,
                           amount: Decimal | int | None) -> None:
    if amount is not None and amount < 0:
        raise ActionError(_("The amount cannot be negative."), field="amount")
    if service.type in MONEY_SERVICES and status == Service.Status.DELIVERED and \
            not (amount if amount is not None else service.amount):
        raise ActionError(_("Give the amount of money delivered."), field="amount")


@transaction.atomic
def set_service_status(*, actor: Any, service: Service, status: str,
                       amount: Decimal | int | None = None) -> Service:
    _require_case_manager(actor, service.case)
    _ensure_open_case(service.case)
    _lock_case_first(service.case)
    SERVICE_STATUS_RULES.check({"service": service, "status": status, "amount": amount})
    if amount is not None:
        service.amount = amount
    service.status = status
    service.save(update_fields=["status", "amount"])
    record(actor=actor, action="case.service_updated", target=service.case,
           unit_path=service.case.unit_path, changes={"type": service.type, "status": status})
    return service


VISIT_RULES = Rules()


@VISIT_RULES.rule("case", "date", field="date")
def _visit_date(case: SupportCase, date: dt.date) -> None:
    if date > timezone.localdate():
        raise ActionError(_("A visit cannot be logged for a future date."), field="date")
    check_date(date, field="date", label=_("The date of the visit"),
               not_before=case.opened_on, subject=_case_began(case))
    guard(unit_path=case.unit_path, dates=[date])


VISIT_RULES.cleans("notes", partial(_text, limit=20_000, label=gettext_lazy("Notes"),
                                    field="notes"))


@transaction.atomic
def log_visit(*, actor: Any, case: SupportCase, kind: str, date: dt.date,
              notes: str = "") -> Visit:
    _require_case_manager(actor, case)
    _ensure_open_case(case)
    notes = VISIT_RULES.check({"case": case, "date": date, "notes": notes})["notes"]
    visit = Visit.objects.create(case=case, kind=kind, date=date, by=actor, notes=notes)
    record(actor=actor, action="case.visit_logged", target=case, unit_path=case.unit_path,
           changes={"kind": kind, "date": date})
    return visit


FOLLOW_UP_RULES = Rules()


@FOLLOW_UP_RULES.rule("case", "due_on", field="due_on")
def _follow_up_due(case: SupportCase, due_on: dt.date) -> None:
    if due_on < timezone.localdate():
        raise ActionError(_("The due date is in the past."), field="due_on")
    guard(unit_path=case.unit_path, dates=[due_on], field="due_on")


FOLLOW_UP_RULES.cleans("what", partial(_text, limit=300, label=gettext_lazy("What"),
                                       required=True, field="what"))


@transaction.atomic
def add_follow_up(*, actor: Any, case: SupportCase, due_on: dt.date, what: str) -> FollowUp:
    _require_case_manager(actor, case)
    _ensure_open_case(case)
    what = FOLLOW_UP_RULES.check({"case": case, "due_on": due_on, "what": what})["what"]
    follow_up = FollowUp.objects.create(case=case, due_on=due_on, what=what)
    record(actor=actor, action="case.follow_up_added", target=case, unit_path=case.unit_path,
           changes={"due_on": due_on})
    return follow_up


@transaction.atomic
def complete_follow_up(*, actor: Any, follow_up: FollowUp,
                       done_on: dt.date | None = None) -> FollowUp:
    _require_case_manager(actor, follow_up.case)
    done_on = done_on or timezone.localdate()
    check_date(done_on, field="done_on", label=_("The date it was done"),
               not_before=follow_up.case.opened_on, subject=_case_began(follow_up.case))
    guard(unit_path=follow_up.case.unit_path, dates=[done_on], field="done_on")
    follow_up.done_on = done_on
    follow_up.save(update_fields=["done_on"])
    record(actor=actor, action="case.follow_up_done", target=follow_up.case,
           unit_path=follow_up.case.unit_path)
    return follow_up


# The rules of closing a case, declared once (decision 0050), run by ``close_case`` and its form.
CLOSE_CASE_RULES = Rules()


@CLOSE_CASE_RULES.rule("outcome", field="outcome")
def _case_outcome(outcome: str) -> None:
    if outcome not in SupportCase.Outcome.values:
        raise ActionError(_("Choose an outcome."), field="outcome")


@CLOSE_CASE_RULES.rule("case", "closed_on", field="closed_on")
def _case_closed_on(case: SupportCase, closed_on: dt.date) -> None:
    check_date(closed_on, field="closed_on", label=_("The closing date"),
               not_before=case.opened_on, subject=_case_began(case))
    # Closed in its day's period, and no longer active in any period after it.
    guard(unit_path=case.unit_path, spans=[(closed_on, None)], field="closed_on")


CLOSE_CASE_RULES.cleans("reason", partial(_text, limit=5000, label=gettext_lazy("Reason"),
                                          required=True, field="reason"))


@transaction.atomic
def close_case(*, actor: Any, case: SupportCase, outcome: str, reason: str,
               closed_on: dt.date | None = None) -> SupportCase:
    _require_case_manager(actor, case)
    _ensure_open_case(case)
    closed_on = closed_on or timezone.localdate()
    values = CLOSE_CASE_RULES.check({"case": case, "outcome": outcome, "reason": reason,
                                     "closed_on": closed_on})
    case.outcome = outcome
    case.outcome_reason = values["reason"]
    case.closed_on = closed_on
    case.save(update_fields=["outcome", "outcome_reason", "closed_on"])
    record(actor=actor, action="case.closed", target=case, unit_path=case.unit_path,
           changes={"outcome": outcome})
    return case


# --- The trafficking process (HTCDS 2.0; decision 0031) -------------------------------------

_EVENT_CHOICES: dict[str, type[models.TextChoices]] = {
    "status": htcds.TraffickingStatus, "decided_by": htcds.DecisionBody,
    "recruiter_relation": htcds.RecruiterRelation, "return_means": htcds.ReturnMeans,
    "border_gate": htcds.BorderGate,
}
_EVENT_LISTS: dict[str, type[models.TextChoices]] = {
    "recruitment_methods": htcds.RecruitmentMethod, "means_of_control": htcds.MeansOfControl,
    "exploitation": htcds.Exploitation,
}
_EVENT_DATES = ("decided_on", "recruited_on", "exploitation_start", "exploitation_end",
                "returned_on")
EVENT_FIELDS = frozenset({*_EVENT_CHOICES, *_EVENT_LISTS, *_EVENT_DATES, "recruitment_country",
                          "recruitment_province", "recruitment_commune", "labour_industry",
                          "sex_exploitation", "exploitation_country", "exploitation_place"})


def _code_list(values: Iterable[str] | None, choices: type[models.TextChoices], field: str
               ) -> list[str]:
    codes = sorted(set(values or ()))
    for code in codes:
        if code not in choices.values:
            raise ActionError(_("“%(value)s” is not a value of this list.") % {"value": code},
                              field=field)
    if htcds.UNKNOWN in codes and len(codes) > 1:
        raise ActionError(_("“Unknown” cannot be ticked together with other answers."),
                          field=field)
    return codes or [htcds.UNKNOWN]


def _event_dates(values: dict[str, Any]) -> None:
    """No date in the future; exploitation ends after it began; nothing of the exploitation
    after the return; the return, the exploitation and the decision not before the
    recruitment."""
    labels = {"decided_on": _("The date of the decision"),
              "recruited_on": _("The date of recruitment"),
              "exploitation_start": _("The start of the exploitation"),
              "exploitation_end": _("The end of the exploitation"),
              "returned_on": _("The date of return")}
    errors = RuleErrors()
    for name in _EVENT_DATES:
        day = values.get(name)
        if day is not None:
            with errors.collect():
                check_date(day, field=name, label=labels[name])
    recruited, start, end, returned = (values.get(n) for n in (
        "recruited_on", "exploitation_start", "exploitation_end", "returned_on"))
    rules = [
        ("exploitation_end", end, start, _("The exploitation cannot end before it began.")),
        ("exploitation_start", start, recruited,
         _("The exploitation cannot begin before the recruitment.")),
        ("returned_on", returned, recruited, _("The return cannot be before the recruitment.")),
        ("returned_on", returned, start,
         _("The return cannot be before the exploitation began.")),
        ("exploitation_end", returned, end,
         _("The exploitation cannot end after the return.")),
    ]
    for field, later, earlier, message in rules:
        if not errors.has(field):
            errors.check(later is None or earlier is None or later >= earlier, message,
                         field=field)
    errors.raise_if_any()


# The rules of a trafficking event, declared once (decision 0056): the actions run them on
# every field (an absent one is unknown), and the event's form runs those whose inputs are
# valid when one of its fields fails. ``case`` is given; ``current`` is the event corrected.
EVENT_RULES = Rules()


def _listed(code: str | None, choices: type[models.TextChoices]) -> str:
    code = code or htcds.UNKNOWN
    if code not in choices.values:
        raise ActionError(_("“%(value)s” is not a value of this list.") % {"value": code})
    return code


for _name, _choices in _EVENT_CHOICES.items():
    EVENT_RULES.cleans(_name, partial(_listed, choices=_choices))
for _name, _choices in _EVENT_LISTS.items():
    EVENT_RULES.cleans(_name, partial(_code_list, choices=_choices, field=_name))
for _name in ("recruitment_country", "exploitation_country"):
    EVENT_RULES.cleans(_name, _country)
EVENT_RULES.cleans("exploitation_place", partial(
    _text, limit=500, label=gettext_lazy("Place of exploitation"), field="exploitation_place"))


@EVENT_RULES.rule("recruitment_country", "recruitment_province", "recruitment_commune",
                  field="recruitment_province")
def _recruitment_place(recruitment_country: str | None, recruitment_province: str | None,
                       recruitment_commune: Unit | None) -> dict[str, Any] | None:
    try:
        country = _country(recruitment_country)
    except ActionError:
        return None  # the country's own rule says what is wrong with it
    province = (recruitment_province or "").strip()
    if (province or recruitment_commune) and country != "VN":
        raise ActionError(_("A province or commune of recruitment is given only when she was "
                            "recruited in Vietnam."))
    errors = RuleErrors()
    errors.check(not province or province in _province_codes(),
                 _("There is no such province."), field="recruitment_province")
    errors.check(recruitment_commune is None
                 or recruitment_commune.unit_type.code == "commune",
                 _("Choose a commune."), field="recruitment_commune")
    errors.raise_if_any()
    return {"recruitment_province": province, "recruitment_commune": recruitment_commune}


def _exploited(exploitation: Iterable[str] | None) -> list[str] | None:
    """The types of exploitation, or None when they are not valid (their rule says why)."""
    try:
        return _code_list(exploitation, htcds.Exploitation, "exploitation")
    except ActionError:
        return None


@EVENT_RULES.rule("exploitation", "labour_industry", field="labour_industry")
def _labour_industry(exploitation: Iterable[str] | None,
                     labour_industry: str | None) -> dict[str, str] | None:
    types = _exploited(exploitation)
    if types is None:
        return None
    industry = labour_industry or ""
    if "forced_labour" not in types:
        if industry:
            raise ActionError(_("An industry is given only for forced labour."))
        return {"labour_industry": ""}
    return {"labour_industry": _listed(industry, htcds.LabourIndustry)}


@EVENT_RULES.rule("exploitation", "sex_exploitation", field="sex_exploitation")
def _sex_exploitation(exploitation: Iterable[str] | None,
                      sex_exploitation: Iterable[str] | None) -> dict[str, list[str]] | None:
    types = _exploited(exploitation)
    if types is None:
        return None
    if "sexual" in types:
        return {"sex_exploitation": _code_list(sex_exploitation, htcds.SexExploitation,
                                               "sex_exploitation")}
    if sex_exploitation:
        raise ActionError(_("A type of sexual exploitation is given only for sexual "
                            "exploitation."))
    return {"sex_exploitation": []}


@EVENT_RULES.rule("border_gate", "return_means", field="border_gate")
def _border_gate(border_gate: str | None, return_means: str | None) -> None:
    if (border_gate or htcds.UNKNOWN) not in (htcds.UNKNOWN, "none") and \
            return_means == "not_returned":
        raise ActionError(_("A border gate of return is given only when she has returned."))


@EVENT_RULES.rule("status", "decided_by", field="status")
def _status_decided(status: str | None, decided_by: str | None) -> None:
    if (status or htcds.UNKNOWN) == htcds.UNKNOWN and \
            (decided_by or htcds.UNKNOWN) != htcds.UNKNOWN:
        raise ActionError(_("Give the victim status that was decided."))


@EVENT_RULES.rule()
def _event_dates_in_order(decided_on: dt.date | None = None,
                          recruited_on: dt.date | None = None,
                          exploitation_start: dt.date | None = None,
                          exploitation_end: dt.date | None = None,
                          returned_on: dt.date | None = None) -> None:
    _event_dates({"decided_on": decided_on, "recruited_on": recruited_on,
                  "exploitation_start": exploitation_start,
                  "exploitation_end": exploitation_end, "returned_on": returned_on})


@EVENT_RULES.rule("case")
def _event_periods(case: SupportCase, current: TraffickingEvent | None = None,
                   decided_on: dt.date | None = None, recruited_on: dt.date | None = None,
                   exploitation_start: dt.date | None = None,
                   exploitation_end: dt.date | None = None,
                   returned_on: dt.date | None = None) -> None:
    """The event is counted in the period of each of its dates (prevention figures by
    year); a correction changes the periods of its old dates too."""
    dates = [decided_on, recruited_on, exploitation_start, exploitation_end, returned_on]
    if current is not None:
        dates += [getattr(current, name) for name in _EVENT_DATES]
    guard(unit_path=case.unit_path, dates=dates, field=None)


def _clean_event(case: SupportCase, values: dict[str, Any],
                 current: TraffickingEvent | None = None) -> dict[str, Any]:
    """Every field of the event (an absent one unknown) cleaned by ``EVENT_RULES``; every
    rule broken is reported at once."""
    unknown_fields = set(values) - EVENT_FIELDS
    if unknown_fields:
        raise ActionError(f"unknown fields: {sorted(unknown_fields)}")
    values = dict.fromkeys(EVENT_FIELDS) | values
    given = {"case": case} | ({"current": current} if current is not None else {})
    return values | EVENT_RULES.check(values | given)


def _province_codes() -> frozenset[str]:
    # vietnam_provinces (0.2 s to import) only when the provinces are listed
    from vietnam_provinces import Province

    return frozenset(str(p.code.value) for p in Province.iter_all())


def _event_audit(values: dict[str, Any]) -> dict[str, Any]:
    """Codes and years only: never the place of exploitation (a narrative)."""
    return {k: (v.year if isinstance(v, dt.date) else v) for k, v in values.items()
            if k not in {"exploitation_place", "recruitment_commune"}}


@transaction.atomic
def record_trafficking_event(*, actor: Any, case: SupportCase, **values: Any
                             ) -> TraffickingEvent:
    """Record one time the person of ``case`` was trafficked: by someone who manages the
    case, with her consent to support, on an open case; refused with the reason on a code
    outside its list, a country that does not exist, or dates out of order."""
    _require_case_manager(actor, case)
    _ensure_open_case(case)
    require_consent(case.person, Consent.Purpose.SUPPORT)
    cleaned = _clean_event(case, values)
    event = TraffickingEvent.objects.create(case=case, person=case.person,
                                            unit_path=case.unit_path, recorded_by=actor,
                                            **cleaned)
    record(actor=actor, action="case.trafficking_recorded", target=case,
           unit_path=case.unit_path, changes={"event": event.pk, **_event_audit(cleaned)})
    return event


@transaction.atomic
def update_trafficking_event(*, actor: Any, event: TraffickingEvent, **values: Any
                             ) -> TraffickingEvent:
    """Correct a recorded event (the same rules; its old and new dates pass the guard)."""
    event = TraffickingEvent.objects.select_for_update().get(pk=event.pk)
    case = event.case
    _require_case_manager(actor, case)
    _ensure_open_case(case)
    require_consent(case.person, Consent.Purpose.SUPPORT)
    cleaned = _clean_event(case, values, current=event)
    changed = sorted(k for k, v in cleaned.items() if getattr(event, k) != v)
    for key, value in cleaned.items():
        setattr(event, key, value)
    event.save()
    record(actor=actor, action="case.trafficking_corrected", target=case,
           unit_path=case.unit_path, changes={"event": event.pk, "fields": changed})
    return event
