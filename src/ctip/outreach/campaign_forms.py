"""Forms of the campaign pages, the movements catalogue and commendations. Forms only shape
input; the rules live in ``outreach.actions``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ctip.accounts.forms import UnitChoiceField, scoped_units
from ctip.accounts.policy import scope_paths
from ctip.catalogues.models import Movement
from ctip.community.models import Club
from ctip.core.idempotency import IdempotentForm
from ctip.core.rules import RulesForm
from ctip.core.uploads import MAX_UPLOAD_BYTES, SIGNATURES
from ctip.org.models import Unit
from ctip.outreach.actions import CAMPAIGN_PERIOD_RULES, CAMPAIGN_RULES, COMMENDATION_RULES
from ctip.outreach.models import Activity, Commendation
from ctip.outreach.selectors import activities_manageable_by, clubs_manageable_by

DATE_HELP = _("dd/mm/yyyy")
MAX_TARGET = 1_000_000
RECENT_ACTIVITIES = 50


def issuing_units(viewer: Any, capability: str = "activity.manage",
                  also: Any = None) -> Any:
    """The units where the viewer may act, down to one level below her highest unit (a
    province officer picks the province or a commune, not each of a thousand branches), plus
    the unit ``also`` (an id) when it is in scope: the one a drill-down link chose."""
    roots = scope_paths(viewer, capability)
    top = min((p.count("/") - 2 for p in roots), default=0)
    shown = Q(depth__lte=top + 1)
    if isinstance(also, str) and also.isdigit():
        shown |= Q(pk=int(also))
    return scoped_units(viewer, capability).filter(shown).order_by("path")


def document_accept() -> str:
    return ",".join(ext for ext, (kind, _sig) in SIGNATURES.items() if kind == "document")


class PeriodMixin:
    """A start and an end date, the end not before the start."""

    start_field = "starts_on"
    end_field = "ends_on"
    period_error = _("The end is before the start.")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}  # type: ignore[misc]
        start, end = data.get(self.start_field), data.get(self.end_field)
        if start and end and end < start:
            self.add_error(self.end_field, self.period_error)  # type: ignore[attr-defined]
        return data


class CampaignForm(RulesForm, IdempotentForm, forms.Form):
    """The action's rules (the period's order, the plan's file) run here too when a field
    fails (``RulesForm``); the create form has them all, the edit form the period's."""

    rules = CAMPAIGN_RULES

    name = forms.CharField(label=_("Name"), max_length=300,
                           help_text=_("For example: Month of action for 30 July 2026"))
    unit = UnitChoiceField(label=_("Issued by"), queryset=Unit.objects.none(),
                           help_text=_("The campaign covers this unit and every unit below it."))
    starts_on = forms.DateField(label=_("Starts on"), help_text=DATE_HELP)
    ends_on = forms.DateField(label=_("Ends on"), help_text=DATE_HELP)
    description = forms.CharField(label=_("Description"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 4}))
    plan_document = forms.FileField(label=_("Plan document"), required=False)

    def __init__(self, *args: Any, viewer: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        plan = self.fields["plan_document"]
        plan.widget.attrs["accept"] = document_accept()
        plan.help_text = gettext("The signed plan (PDF, Word...), at most %(mb)d MB.") % {
            "mb": MAX_UPLOAD_BYTES // 1024 // 1024}
        if editing:
            del self.fields["unit"]
            self.rules = CAMPAIGN_PERIOD_RULES  # what ``update_campaign`` checks
        else:
            self.fields["unit"].queryset = issuing_units(viewer)  # type: ignore[attr-defined]


class TargetsForm(forms.Form):
    """Three numbers per unit: sessions, participants, new models."""

    MEASURES = ("sessions", "participants", "new_models")

    def __init__(self, *args: Any, units: list[Unit], targets: dict[int, Any],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.units = units
        self.targets = targets
        labels = {"sessions": _("Sessions for %(unit)s"),
                  "participants": _("Participants for %(unit)s"),
                  "new_models": _("New models for %(unit)s")}
        for unit in units:
            target = targets.get(unit.pk)
            for measure in self.MEASURES:
                self.fields[f"{measure}_{unit.pk}"] = forms.IntegerField(
                    label=labels[measure] % {"unit": unit.name}, required=False,
                    min_value=0, max_value=MAX_TARGET,
                    initial=getattr(target, measure) if target else None,
                    widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 0}))

    def rows(self) -> list[tuple[Unit, list[Any]]]:
        return [(unit, [self[f"{m}_{unit.pk}"] for m in self.MEASURES]) for unit in self.units]

    def cleaned_targets(self) -> dict[Unit, tuple[int, int, int]]:
        """The units whose targets are given or changed; blanks count as 0."""
        result = {}
        for unit in self.units:
            values = tuple(self.cleaned_data.get(f"{m}_{unit.pk}") or 0 for m in self.MEASURES)
            if any(values) or unit.pk in self.targets:
                result[unit] = values
        return result  # type: ignore[return-value]


class MovementForm(IdempotentForm, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=300)
    kind = forms.ChoiceField(label=_("Kind"), choices=Movement.Kind.choices)
    description = forms.CharField(label=_("Description"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))


class ActivityChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Activity) -> str:
        return f"{obj.date:%d/%m/%Y} · {obj.title} · {obj.unit.name}"


class CommendationForm(RulesForm, IdempotentForm, forms.Form):
    """``create_commendation``'s rules run here too when a field fails (``RulesForm``)."""

    rules = COMMENDATION_RULES
    unit = UnitChoiceField(label=_("Unit"), queryset=Unit.objects.none(),
                           help_text=_("The unit commended, or the unit of the club or person."))
    recipient_kind = forms.ChoiceField(label=_("Who is commended"),
                                       choices=Commendation.RecipientKind.choices,
                                       widget=forms.RadioSelect,
                                       initial=Commendation.RecipientKind.UNIT)
    club = forms.ModelChoiceField(label=_("Club or model"), required=False,
                                  queryset=Club.objects.none(),
                                  help_text=_("Only when a club or model is commended."))
    person_name = forms.CharField(label=_("Person"), max_length=150, required=False,
                                  help_text=_("Only when a person is commended."))
    reason = forms.CharField(label=_("For what"), widget=forms.Textarea(attrs={"rows": 3}))
    activity = ActivityChoiceField(label=_("Linked activity"), required=False,
                                   queryset=Activity.objects.none(),
                                   help_text=_("Optional: the activity this is for. The list "
                                               "shows the most recent ones."))
    activity_id = forms.IntegerField(label=_("…or the activity number"), required=False,
                                     min_value=1,
                                     help_text=_("The number shown on the activity's page."))
    level = forms.ChoiceField(label=_("Level"), choices=Commendation.Level.choices)
    decided_on = forms.DateField(label=_("Decision date"), help_text=DATE_HELP)
    decision_number = forms.CharField(label=_("Decision number"), max_length=60,
                                      required=False, help_text=_("For example 25/QĐ-HPN"))

    def __init__(self, *args: Any, viewer: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = scoped_units(viewer, "activity.manage").order_by(  # type: ignore[attr-defined]
            "path")
        self.fields["club"].queryset = clubs_manageable_by(viewer)  # type: ignore[attr-defined]
        activities = activities_manageable_by(viewer).select_related("unit")
        self.fields["activity"].queryset = activities  # type: ignore[attr-defined]
        recent = list(activities.order_by("-date", "-pk")[:RECENT_ACTIVITIES])
        field = self.fields["activity"]
        choices: list[tuple[int | str, str]] = [("", "---------")]
        choices += [(a.pk, field.label_from_instance(a)) for a in recent]  # type: ignore[attr-defined]
        field.widget.choices = choices
        self.activities = activities

    def rule_inputs(self) -> dict[str, Any]:
        """As the view sends them: the club only for a club, the name only for a person."""
        values = super().rule_inputs()
        kind = values.get("recipient_kind")
        if kind != Commendation.RecipientKind.CLUB:
            values["club"] = None
        if kind != Commendation.RecipientKind.PERSON:
            values["person_name"] = ""
        return values

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        number = data.get("activity_id")
        if number and not data.get("activity"):
            activity = self.activities.filter(pk=number).first()
            if activity is None:
                self.add_error("activity_id", _("There is no activity with this number in "
                                                "your units."))
            else:
                data["activity"] = activity
        return data


class CommendationFilterForm(PeriodMixin, forms.Form):
    start = forms.DateField(label=_("From"), required=False, help_text=DATE_HELP)
    end = forms.DateField(label=_("To"), required=False, help_text=DATE_HELP)
    unit = UnitChoiceField(label=_("Unit and below"), queryset=Unit.objects.none(),
                           required=False)
    start_field, end_field = "start", "end"
    period_error = _("The end of the period is before its start.")

    def __init__(self, *args: Any, viewer: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = issuing_units(viewer, "activity.view")  # type: ignore[attr-defined]


def year_start(today: dt.date | None = None) -> dt.date:
    today = today or timezone.localdate()
    return today.replace(month=1, day=1)
