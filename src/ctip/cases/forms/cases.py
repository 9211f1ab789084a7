"""Forms of the support-case pages: persons, consent, cases, services, visits, follow-ups,
referrals, closure, break glass and the person's rights.

Forms only turn input into values; the rules live in ``cases.actions``, which check again. The
choice lists are limited to what the viewer may use, so a forged id fails as an invalid choice
with a plain reason. Identity inputs never autocomplete: a shared office computer must not offer
a victim's name to the next person who types.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ctip.accounts.capabilities import ROLE_CAPABILITIES
from ctip.accounts.forms import scoped_units
from ctip.accounts.models import RoleAssignment, User
from ctip.accounts.policy import scope_paths
from ctip.cases import htcds
from ctip.cases.actions import (
    ANSWER_RULES,
    CASE_RULES,
    CLOSE_CASE_RULES,
    CONSENT_RULES,
    EVENT_RULES,
    FOLLOW_UP_RULES,
    IDENTITY_RULES,
    OPEN_CASE_RULES,
    PERSON_RULES,
    REFER_RULES,
    SERVICE_RULES,
    SERVICE_STATUS_RULES,
    VISIT_RULES,
    WORKERS_RULES,
    clean_break_glass_reason,
)
from ctip.cases.models import (
    RISK_FACTORS,
    Agency,
    BreakGlass,
    Consent,
    Person,
    Service,
    Situation,
    SupportCase,
    Visit,
)
from ctip.core.errors import ActionError, add_to_form
from ctip.core.idempotency import IdempotentForm
from ctip.core.periods import ancestor_paths
from ctip.core.rules import RulesForm
from ctip.org.models import Unit
from ctip.org.paths import is_within

DATE_WIDGET = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
PRIVATE = {"autocomplete": "off", "spellcheck": "false"}

ART37_SERVICES = [
    Service.Type.ESSENTIAL_NEEDS, Service.Type.MEDICAL, Service.Type.PSYCHOLOGICAL,
    Service.Type.LEGAL_AID, Service.Type.INTERPRETATION, Service.Type.TRAVEL,
    Service.Type.SCHOOLING, Service.Type.VOCATIONAL, Service.Type.JOB_PLACEMENT,
    Service.Type.HARDSHIP_ALLOWANCE, Service.Type.LOAN_SUPPORT,
]


def service_choices() -> list[Any]:
    union = [t for t in Service.Type if t not in ART37_SERVICES]
    return [
        ("", _("— choose —")),
        (_("Support under Art. 37 of Law 53/2024/QH15"), [(t.value, t.label)
                                                          for t in ART37_SERVICES]),
        (_("The Union's own support"), [(t.value, t.label) for t in union]),
    ]


# --- Money ----------------------------------------------------------------------------------

_AMOUNT = re.compile(r"^\d{1,3}([.,\s]\d{3})+$|^\d+$")


def format_vnd(amount: Decimal | int | None) -> str:
    """1500000 → "1.500.000 ₫" (Vietnamese thousand separators), None → ""."""
    if amount is None:
        return ""
    return f"{int(amount):,}".replace(",", ".") + " ₫"


class VndField(forms.Field):
    """An amount in đồng, typed as 1500000, 1.500.000 or 1 500 000."""

    widget = forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off",
                                    "maxlength": "20"})

    def to_python(self, value: Any) -> Decimal | None:
        text = str(value or "").strip()[:40]
        for unit in ("₫", "VNĐ", "VND", "đồng", "đ"):
            text = text.replace(unit, "").strip()
        if not text:
            return None
        if not _AMOUNT.match(text) or len(re.sub(r"\D", "", text)) > 14:
            raise forms.ValidationError(
                gettext("Write the amount in đồng with digits only, such as 1500000 or "
                        "1.500.000."))
        return Decimal(re.sub(r"\D", "", text))

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, int | Decimal):
            return format_vnd(value).replace(" ₫", "")
        return value


# --- Shared fields --------------------------------------------------------------------------

class UnitField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Unit) -> str:
        return f"{'— ' * max(obj.depth - 1, 0)}{obj.name}"


class AgencyField(forms.ModelChoiceField):
    default_error_messages = {"invalid_choice": _("Unknown agency.")}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("queryset", Agency.objects.filter(archived=False))
        kwargs.setdefault("empty_label", _("— choose —"))
        super().__init__(**kwargs)

    def label_from_instance(self, obj: Agency) -> str:
        return obj.name


class WorkersField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: User) -> str:
        unit = obj.home_unit.name if obj.home_unit is not None else ""
        return f"{obj} ({unit})" if unit else str(obj)


def _narrative(label: Any, *, required: bool = False, rows: int = 3,
               max_length: int = 20_000, help_text: Any = "") -> forms.CharField:
    return forms.CharField(label=label, required=required, max_length=max_length,
                           help_text=help_text, widget=forms.Textarea(attrs={"rows": rows}))


def case_manager_candidates(viewer: Any) -> QuerySet[User]:
    """Users who hold ``case.manage`` somewhere above, at or below the viewer's own
    ``case.manage`` units: the people a case there could be assigned to. The action checks
    each chosen one against the case's unit."""
    roles = [role for role, caps in ROLE_CAPABILITIES.items() if "case.manage" in caps]
    roots = scope_paths(viewer, "case.manage")
    assignments = (RoleAssignment.objects.active().filter(role__in=roles,
                                                          unit__closed_on__isnull=True)
                   .values_list("user_id", "unit__path"))
    ids = {user_id for user_id, path in assignments
           if any(is_within(path, root) or is_within(root, path) for root in roots)}
    return (User.objects.filter(pk__in=ids, is_active=True).select_related("home_unit")
            .order_by("full_name", "username"))


# --- Persons --------------------------------------------------------------------------------

class IdentityForm(RulesForm, forms.Form):
    """A person's identity; the rules are the action's (``IDENTITY_RULES``), run here too when
    a field fails."""

    rules = IDENTITY_RULES
    full_name = forms.CharField(label=_("Full name"), max_length=150,
                                widget=forms.TextInput(attrs=PRIVATE))
    other_names = forms.CharField(label=_("Other names"), max_length=300, required=False,
                                  widget=forms.TextInput(attrs=PRIVATE),
                                  help_text=_("Nicknames, names used abroad, earlier names."))
    birth_date = forms.DateField(label=_("Date of birth"), required=False,
                                 widget=forms.DateInput(format="%Y-%m-%d",
                                                        attrs={"type": "date", **PRIVATE}),
                                 help_text=_("If only the year is known, leave this empty and "
                                             "give the year."))
    birth_year = forms.IntegerField(label=_("Year of birth"), required=False,
                                    min_value=1900, max_value=2100,
                                    widget=forms.NumberInput(attrs=PRIVATE))
    sex = forms.ChoiceField(label=_("Sex"), choices=Person.Sex.choices,
                            initial=Person.Sex.FEMALE)
    ethnic_group = forms.ChoiceField(label=_("Ethnic group"), choices=htcds.ethnic_choices,
                                     initial=htcds.UNKNOWN, required=False)
    citizenship = forms.ChoiceField(label=_("Citizenship"), choices=htcds.country_choices,
                                    initial="VN", required=False)
    id_number = forms.CharField(label=_("Identity card number"), max_length=20, required=False,
                                widget=forms.TextInput(attrs={"inputmode": "numeric",
                                                              **PRIVATE}))
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False,
                            widget=forms.TextInput(attrs={"inputmode": "tel", **PRIVATE}))
    address = forms.CharField(label=_("Address"), max_length=500, required=False,
                              widget=forms.TextInput(attrs=PRIVATE))
    guardian = forms.CharField(label=_("Guardian (for a child)"), max_length=300,
                               required=False, widget=forms.TextInput(attrs=PRIVATE),
                               help_text=_("Name, relationship and how to reach them."))

    def identity_values(self) -> dict[str, Any]:
        """The values as ``create_person`` and ``correct_person`` take them."""
        data = dict(self.cleaned_data)
        born = data.pop("birth_date", None)
        data["birth_date"] = born.isoformat() if born else ""
        if born and not data.get("birth_year"):
            data["birth_year"] = born.year  # the year of the duplicate check
        return data


class PersonForm(IdempotentForm, IdentityForm):
    rules = PERSON_RULES
    unit = UnitField(label=_("Commune or ward of residence"), queryset=Unit.objects.none(),
                     empty_label=_("— choose —"),
                     help_text=_("The unit whose case workers will look after her."))

    field_order = ["unit", "full_name", "other_names", "birth_date", "birth_year", "sex"]

    def __init__(self, *args: Any, viewer: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = (  # type: ignore[attr-defined]
            scoped_units(viewer, "case.manage").order_by("path"))


def identity_initial(identity: dict[str, Any]) -> dict[str, Any]:
    """Form initial values from what ``view_identity`` returned."""
    initial = {k: v for k, v in identity.items() if k != "sex"}
    born = identity.get("birth_date") or ""
    try:
        initial["birth_date"] = dt.date.fromisoformat(born) if born else None
    except ValueError:
        initial["birth_date"] = None
    return initial


# --- Consent --------------------------------------------------------------------------------

class ConsentForm(RulesForm, IdempotentForm, forms.Form):
    rules = CONSENT_RULES
    purpose = forms.ChoiceField(label=_("Consent to"), choices=Consent.Purpose.choices,
                                widget=forms.RadioSelect)
    agency = AgencyField(label=_("Agency (for a referral)"), required=False,
                         help_text=_("A consent to a referral names the agency."))
    given_on = forms.DateField(label=_("Given on"), widget=DATE_WIDGET)
    given_by = forms.ChoiceField(label=_("Given by"), choices=Consent.GivenBy.choices,
                                 widget=forms.RadioSelect, initial=Consent.GivenBy.PERSON)
    evidence = forms.FileField(
        label=_("Evidence (signed form, photo of it)"), required=False,
        help_text=_("PDF, Word or an image, at most 20 MB. It is kept with the case and shown "
                    "only to her case workers."))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.fields["given_on"].initial = timezone.localdate()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("purpose") != Consent.Purpose.REFERRAL:
            data["agency"] = None
        return data


# --- Break glass fields (also for assigning oneself) ---------------------------------------

def _category_field(required: bool) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=_("Why do you need it?"), required=required,
        choices=[("", _("— choose —")), *BreakGlass.Category.choices],
        error_messages={"required": _("Choose why you need it from the list."),
                        "invalid_choice": _("Choose why you need it from the list.")})


def _reason_field(required: bool, help_text: Any) -> forms.CharField:
    return forms.CharField(
        label=_("Explain"), required=required, max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off"}), help_text=help_text,
        error_messages={"required": _("Say why you need to see this identity.")})


class SelfAssignFields(forms.Form):
    """Assigning oneself to a case is break glass: only then are these two needed."""

    category = _category_field(False)
    reason = _reason_field(False, _(
        "Only if you assign yourself: assignments are made by someone else. Assigning yourself "
        "is recorded with this reason and reviewed by the level above you."))


# --- Cases ----------------------------------------------------------------------------------

class CaseFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("open", _("Open")),
                                        ("unassigned", _("Open, without a case worker")),
                                        ("closed", _("Closed")), ("all", _("All"))])
    kind = forms.ChoiceField(label=_("Kind"), required=False,
                             choices=[("", _("Any kind")), *SupportCase.Kind.choices])

    def value(self, name: str) -> Any:
        if not hasattr(self, "cleaned_data"):
            self.is_valid()
        return self.cleaned_data.get(name)


class CaseForm(RulesForm, forms.Form):
    rules = CASE_RULES  # given: the case
    kind = forms.ChoiceField(label=_("Kind of case"), choices=SupportCase.Kind.choices)
    risk_factors = forms.MultipleChoiceField(label=_("Risk factors"), required=False,
                                             choices=RISK_FACTORS,
                                             widget=forms.CheckboxSelectMultiple)
    needs = _narrative(_("Needs assessment"),
                       help_text=_("Shown only to her case workers. Stored encrypted."))
    plan = _narrative(_("Support plan"))


class OpenCaseForm(IdempotentForm, CaseForm, SelfAssignFields):
    """The action's rules run here too when a field fails (given: the actor, the person)."""

    rules = OPEN_CASE_RULES
    unit = UnitField(label=_("Supervising unit"), queryset=Unit.objects.none(),
                     empty_label=_("— choose —"))
    workers = WorkersField(label=_("Case workers"), queryset=User.objects.none(),
                           widget=forms.CheckboxSelectMultiple,
                           help_text=_("Only they see her identity."))
    situation = forms.ModelChoiceField(label=_("From the situation"), required=False,
                                       queryset=Situation.objects.none(),
                                       empty_label=_("— none —"))
    opened_on = forms.DateField(label=_("Opened on"), widget=DATE_WIDGET)

    field_order = ["unit", "kind", "workers", "category", "reason", "situation", "opened_on",
                   "risk_factors", "needs", "plan"]

    def __init__(self, *args: Any, viewer: Any, situations: QuerySet[Situation],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = (  # type: ignore[attr-defined]
            scoped_units(viewer, "case.manage").order_by("path"))
        self.fields["workers"].queryset = case_manager_candidates(viewer)  # type: ignore[attr-defined]
        self.fields["situation"].queryset = situations  # type: ignore[attr-defined]
        self.fields["situation"].label_from_instance = lambda s: s.code  # type: ignore[attr-defined]
        if not self.is_bound:
            self.fields["opened_on"].initial = timezone.localdate()


class WorkersForm(RulesForm, SelfAssignFields):
    rules = WORKERS_RULES  # given: the actor, the case and its unit
    workers = WorkersField(label=_("Case workers"), queryset=User.objects.none(),
                           widget=forms.CheckboxSelectMultiple)

    field_order = ["workers", "category", "reason"]

    def __init__(self, *args: Any, viewer: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["workers"].queryset = case_manager_candidates(viewer)  # type: ignore[attr-defined]


class ServiceForm(RulesForm, IdempotentForm, forms.Form):
    rules = SERVICE_RULES
    type = forms.ChoiceField(label=_("Service"), choices=service_choices)
    provider = forms.CharField(label=_("Provider"), max_length=200,
                               help_text=_("The agency, unit or programme that provides it."))
    date = forms.DateField(label=_("Date"), widget=DATE_WIDGET)
    amount = VndField(label=_("Amount (đồng)"), required=False,
                      help_text=_("Where money is involved: allowance, loan."))
    status = forms.ChoiceField(label=_("Status"), choices=Service.Status.choices,
                               initial=Service.Status.PLANNED)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.fields["date"].initial = timezone.localdate()


class ServiceStatusForm(RulesForm, forms.Form):
    rules = SERVICE_STATUS_RULES  # given: the service
    status = forms.ChoiceField(label=_("Status"), choices=Service.Status.choices)
    amount = VndField(label=_("Amount (đồng)"), required=False)


class VisitForm(RulesForm, IdempotentForm, forms.Form):
    rules = VISIT_RULES
    kind = forms.ChoiceField(label=_("Kind"), choices=Visit.Kind.choices,
                             widget=forms.RadioSelect, initial=Visit.Kind.VISIT)
    date = forms.DateField(label=_("Date"), widget=DATE_WIDGET)
    notes = _narrative(_("Notes"), rows=5,
                       help_text=_("Shown only to her case workers. Stored encrypted."))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.fields["date"].initial = timezone.localdate()


class FollowUpForm(RulesForm, IdempotentForm, forms.Form):
    rules = FOLLOW_UP_RULES
    due_on = forms.DateField(label=_("Due on"), widget=DATE_WIDGET)
    what = forms.CharField(label=_("What"), max_length=300,
                           help_text=_("Shown in the unit's inbox: write no names, phone "
                                       "numbers or addresses."))


class ReferForm(RulesForm, IdempotentForm, forms.Form):
    rules = REFER_RULES
    agency = AgencyField(label=_("Agency"))
    contact = forms.CharField(label=_("Contact person"), max_length=200, required=False,
                              help_text=_("Name and post of the person who received it."))
    referred_on = forms.DateField(label=_("Referred on"), widget=DATE_WIDGET)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.fields["referred_on"].initial = timezone.localdate()


class AnswerForm(RulesForm, IdempotentForm, forms.Form):
    rules = ANSWER_RULES
    answer = _narrative(_("Answer from the agency"), required=True, max_length=5000)
    answered_on = forms.DateField(label=_("Answered on"), widget=DATE_WIDGET)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.fields["answered_on"].initial = timezone.localdate()


class CloseCaseForm(RulesForm, IdempotentForm, forms.Form):
    rules = CLOSE_CASE_RULES
    outcome = forms.ChoiceField(label=_("Outcome"),
                                choices=[("", _("— choose —")), *SupportCase.Outcome.choices])
    reason = _narrative(_("Reason"), required=True, max_length=5000)
    closed_on = forms.DateField(label=_("Closed on"), widget=DATE_WIDGET)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.fields["closed_on"].initial = timezone.localdate()


# --- Identity, rights -----------------------------------------------------------------------

class BreakGlassForm(forms.Form):
    """Opening an identity outside one's assignment: a category and a reason of substance
    (checked by ``actions.clean_break_glass_reason``, here too so that the page says it)."""

    category = _category_field(True)
    reason = _reason_field(True, _(
        "You are not assigned to her case. Your reason is stored encrypted and reviewed by the "
        "level above you."))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("category") and data.get("reason"):
            try:
                clean_break_glass_reason(data["category"], data["reason"])
            except ActionError as exc:
                add_to_form(self, exc)
        return data


class AnonymiseForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), min_length=5, max_length=1000,
                             widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=_("For example: at her request of 12/05/2026."))
    code = forms.CharField(label=_("Type the person's code to confirm"), max_length=30,
                           widget=forms.TextInput(attrs={"autocomplete": "off"}))

    def __init__(self, *args: Any, person: Person, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.person = person

    def clean_code(self) -> str:
        code = (self.cleaned_data.get("code") or "").strip().upper()
        if code != self.person.code.upper():
            raise forms.ValidationError(gettext("This is not the person's code."))
        return code


# --- The trafficking process ----------------------------------------------------------------

def _choice(label: Any, choices: Any, **kwargs: Any) -> forms.ChoiceField:
    return forms.ChoiceField(label=label, choices=choices, initial=htcds.UNKNOWN,
                             required=False, **kwargs)


def _ticks(label: Any, choices: Any, **kwargs: Any) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(label=label, choices=choices, required=False,
                                     widget=forms.CheckboxSelectMultiple, **kwargs)


def province_choices() -> list[tuple[str, str]]:
    # vietnam_provinces (0.2 s to import) only when the provinces are listed
    from vietnam_provinces import Province

    provinces = sorted(Province.iter_all(), key=lambda p: p.name)
    return [("", gettext("— unknown or not in Vietnam —")),
            *((str(p.code.value), p.name) for p in provinces)]


class TraffickingEventForm(RulesForm, IdempotentForm, forms.Form):
    """One time she was trafficked. Types only: the rules between fields are the action's
    (``EVENT_RULES``), run here too when a field fails (given: the case, and the event
    corrected as ``current``)."""

    rules = EVENT_RULES

    status = _choice(_("Victim status"), htcds.TraffickingStatus.choices)
    decided_by = _choice(_("Who decided the status"), htcds.DecisionBody.choices)
    decided_on = forms.DateField(label=_("Decided on"), required=False, widget=DATE_WIDGET)
    recruitment_methods = _ticks(_("How she was recruited"), htcds.RecruitmentMethod.choices,
                                 help_text=_("Tick every one that applies; leave all empty "
                                             "if it is not known."))
    recruited_on = forms.DateField(label=_("Recruited on"), required=False, widget=DATE_WIDGET)
    recruitment_country = _choice(_("Country of recruitment"), htcds.country_choices)
    recruitment_province = forms.ChoiceField(label=_("Province of recruitment"),
                                             choices=province_choices, required=False)
    recruitment_commune = UnitField(label=_("Commune of recruitment"), required=False,
                                    queryset=Unit.objects.none(),
                                    empty_label=_("— unknown or elsewhere —"))
    recruiter_relation = _choice(_("Recruiter's relation to her"),
                                 htcds.RecruiterRelation.choices)
    means_of_control = _ticks(_("What kept her there"), htcds.MeansOfControl.choices)
    exploitation = _ticks(_("Type of exploitation"), htcds.Exploitation.choices)
    labour_industry = forms.ChoiceField(
        label=_("Industry (forced labour)"), required=False,
        choices=[("", "—"), *htcds.LabourIndustry.choices])
    sex_exploitation = _ticks(_("Type of sexual exploitation"),
                              htcds.SexExploitation.choices)
    exploitation_country = _choice(_("Country of exploitation"), htcds.country_choices)
    exploitation_place = forms.CharField(
        label=_("Place of exploitation"), max_length=500, required=False,
        widget=forms.TextInput(attrs=PRIVATE),
        help_text=_("Town, district or compound. Shown only to her case workers; stored "
                    "encrypted; never exported."))
    exploitation_start = forms.DateField(label=_("Exploitation began"), required=False,
                                         widget=DATE_WIDGET)
    exploitation_end = forms.DateField(label=_("Exploitation ended"), required=False,
                                       widget=DATE_WIDGET)
    returned_on = forms.DateField(label=_("Returned on"), required=False, widget=DATE_WIDGET)
    return_means = _choice(_("How she returned"), htcds.ReturnMeans.choices)
    border_gate = _choice(_("Border gate of return"), htcds.BorderGate.choices)

    def __init__(self, *args: Any, case: SupportCase | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if case is not None:
            # the communes of the case's province
            above = ancestor_paths(case.unit_path)
            province = (Unit.objects.filter(path__in=above, unit_type__code="province")
                        .values_list("path", flat=True).first()) or above[0]
            field = self.fields["recruitment_commune"]
            assert isinstance(field, UnitField)  # noqa: S101
            field.queryset = (Unit.objects.filter(path__subtree=province,
                                                  unit_type__code="commune")
                              .order_by("path"))
