"""Forms of the situation pages: the quick report, the list filters and the handling steps.

Forms only turn input into values; the rules live in ``cases.actions``, which check again. The
choice lists are limited to what the viewer may use, so a forged unit or agency id fails as an
invalid choice with a plain reason.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ctip.accounts.forms import TreeOrderIterator, scoped_units
from ctip.accounts.policy import has_capability, scope_paths, scope_q
from ctip.cases.actions import (
    ANSWER_RULES,
    CLOSE_RULES,
    ESCALATE_RULES,
    NOTE_RULES,
    REFER_RULES,
    SITUATION_OPEN_RULES,
    SITUATION_RULES,
    VERIFY_RULES,
)
from ctip.cases.models import Agency, Category, Situation, Urgency
from ctip.core.idempotency import IdempotentForm
from ctip.core.rules import RulesForm
from ctip.org.models import Unit

DATE_HINT = _("dd/mm/yyyy")
# The unit filters list units down to communes and wards; deeper units are reached with
# ``?unit=<id>`` or from the inbox's list of units below.
FILTER_UNIT_LEVEL = 2
DATE_WIDGET = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


def _base_depth(viewer: Any, capabilities: tuple[str, ...]) -> int:
    depths = [root.count("/") - 2 for cap in capabilities for root in scope_paths(viewer, cap)]
    return min(depths, default=0)


class LeanSelect(forms.Select):
    """A select whose options are written by one loop of its template, not by one included
    template each: a province's list of units has a hundred (decision 0059)."""

    template_name = "cases/widgets/lean_select.html"


class UnitField(forms.ModelChoiceField):
    """A unit select indented by depth below the viewer's own level."""

    base_depth = 0
    iterator = TreeOrderIterator
    widget = LeanSelect

    def label_from_instance(self, obj: Unit) -> str:
        return f"{'— ' * max(obj.depth - self.base_depth, 0)}{obj.name}"


def reportable_units(viewer: Any) -> QuerySet[Unit]:
    """Open units where the viewer may report a situation."""
    return scoped_units(viewer, "situation.report").order_by("path")


def filter_units(viewer: Any, capabilities: tuple[str, ...],
                 selected: Unit | None = None) -> QuerySet[Unit]:
    """Units offered by a unit filter: the viewer's scope down to communes, her own roots, and
    the unit already chosen."""
    scope = Q(pk__in=[])
    roots: list[str] = []
    for cap in capabilities:
        scope |= scope_q(viewer, cap)
        roots += scope_paths(viewer, cap)
    units = Unit.objects.filter(scope).filter(
        Q(unit_type__level__lte=FILTER_UNIT_LEVEL) | Q(path__in=roots))
    if selected is not None:
        units = units | Unit.objects.filter(pk=selected.pk)
    return units.order_by("path")


def default_source(viewer: Any) -> str:
    """Officers report as officers; a branch head (who reports but does not handle) passes on
    what a member told her."""
    return (Situation.Source.OFFICER if has_capability(viewer, "situation.manage")
            else Situation.Source.MEMBER)


# --- Quick report ----------------------------------------------------------------------------

class SituationReportForm(RulesForm, IdempotentForm, forms.Form):
    rules = SITUATION_RULES
    category = forms.ChoiceField(label=_("What kind of situation"),
                                 choices=[("", _("— choose —")), *Category.choices])
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices,
                                initial=Urgency.NORMAL, widget=forms.RadioSelect)
    description = forms.CharField(
        label=_("What happened"), max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Who is at risk (no need for full names), what happened, since when. It "
                    "is stored encrypted and shown only to those handling it."))
    unit = UnitField(label=_("Unit where it happened"), queryset=Unit.objects.none())
    address = forms.CharField(label=_("Where (address)"), max_length=500, required=False,
                              widget=forms.TextInput(attrs={"autocomplete": "off"}),
                              help_text=_("Hamlet, street, house number, landmark."))
    occurred_on = forms.DateField(label=_("When"), required=False, widget=DATE_WIDGET)
    source = forms.ChoiceField(label=_("Reported by"), choices=Situation.Source.choices)
    reporter_contact = forms.CharField(
        label=_("Reporter's contact"), max_length=300, required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel"}),
        help_text=_("A phone number to call back, if the reporter agrees."))

    def __init__(self, *args: Any, viewer: Any, units: QuerySet[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]
        self.fields["unit"].base_depth = _base_depth(viewer, ("situation.report",))  # type: ignore[attr-defined]


# --- List filters ----------------------------------------------------------------------------

class DateTextInput(forms.DateInput):
    """dd/mm/yyyy typed as text, the way dates are written in the Union's reports."""

    def __init__(self) -> None:
        super().__init__(attrs={"placeholder": DATE_HINT, "autocomplete": "off", "size": 10})


class SituationFilterForm(forms.Form):
    state = forms.ChoiceField(label=_("State"), required=False,
                              choices=[("", _("Any state")), ("open", _("Not closed")),
                                       *Situation.State.choices])
    category = forms.ChoiceField(label=_("Category"), required=False,
                                 choices=[("", _("Any category")), *Category.choices])
    unit = UnitField(label=_("Unit (and the units below it)"), queryset=Unit.objects.none(),
                     required=False, empty_label=_("All my units"))
    start = forms.DateField(label=_("Reported from"), required=False, widget=DateTextInput(),
                            help_text=DATE_HINT)
    end = forms.DateField(label=_("Reported until"), required=False, widget=DateTextInput(),
                          help_text=DATE_HINT)

    CAPABILITIES = ("situation.view", "situation.report")

    def __init__(self, *args: Any, viewer: Any, selected_unit: Unit | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = filter_units(viewer, self.CAPABILITIES, selected_unit)  # type: ignore[attr-defined]
        self.fields["unit"].base_depth = _base_depth(viewer, self.CAPABILITIES)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", gettext("The end of the period is before its start."))
        return data

    def value(self, name: str) -> Any:
        """A filter value, ignoring fields that did not validate."""
        if not hasattr(self, "cleaned_data"):
            self.is_valid()
        return self.cleaned_data.get(name)


class InboxUnitForm(forms.Form):
    """The unit whose inbox is shown: the viewer's units down to communes, and the units
    directly below the one shown (its branches, say)."""

    unit = UnitField(label=_("Inbox of"), queryset=Unit.objects.none(), empty_label=None)

    def __init__(self, *args: Any, viewer: Any, selected: Unit, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        below = Unit.objects.filter(parent=selected, closed_on__isnull=True)
        self.fields["unit"].queryset = (  # type: ignore[attr-defined]
            filter_units(viewer, ("situation.view",), selected) | below).order_by("path").only(
                "pk", "name", "path", "depth")
        self.fields["unit"].base_depth = _base_depth(viewer, ("situation.view",))  # type: ignore[attr-defined]


# --- Handling steps --------------------------------------------------------------------------

def _note_field(label: Any, *, required: bool, rows: int = 2) -> forms.CharField:
    return forms.CharField(label=label, max_length=5000, required=required,
                           widget=forms.Textarea(attrs={"rows": rows}))


class VerifyForm(RulesForm, IdempotentForm, forms.Form):
    """The handling steps: the action's rules run here too when a field fails (``given``:
    the situation), so that a step on a closed situation says so with the field's error."""

    rules = VERIFY_RULES
    note = _note_field(_("Note (optional)"), required=False)


class EscalateForm(RulesForm, IdempotentForm, forms.Form):
    rules = ESCALATE_RULES
    note = _note_field(_("Note for the level above (optional)"), required=False)


class AgencyField(forms.ModelChoiceField):
    default_error_messages = {"invalid_choice": _("Unknown agency.")}

    def label_from_instance(self, obj: Agency) -> str:
        return obj.name


class ReferForm(RulesForm, IdempotentForm, forms.Form):
    rules = SITUATION_OPEN_RULES + REFER_RULES
    agency = AgencyField(label=_("Agency"), queryset=Agency.objects.none(),
                         empty_label=_("— choose —"))
    contact = forms.CharField(label=_("Contact person"), max_length=200, required=False,
                              help_text=_("Name and rank or post of the person who received it."))
    referred_on = forms.DateField(label=_("Referred on"), widget=DATE_WIDGET)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = Agency.objects.filter(archived=False)  # type: ignore[attr-defined]
        if not self.is_bound:
            self.fields["referred_on"].initial = timezone.localdate()


class AnswerForm(RulesForm, IdempotentForm, forms.Form):
    rules = ANSWER_RULES
    answer = _note_field(_("Answer from the agency"), required=True)
    answered_on = forms.DateField(label=_("Answered on"), widget=DATE_WIDGET)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.fields["answered_on"].initial = timezone.localdate()


class NoteForm(RulesForm, IdempotentForm, forms.Form):
    rules = NOTE_RULES
    note = _note_field(_("Note"), required=True, rows=3)


class CloseForm(RulesForm, IdempotentForm, forms.Form):
    rules = CLOSE_RULES
    outcome = _note_field(_("Outcome"), required=True, rows=3)
