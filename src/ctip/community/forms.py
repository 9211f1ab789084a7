"""Forms of the club registry and the exchange log. They only parse input; the rules live in
the actions, whose errors the views put back on the form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ctip.accounts.forms import UnitChoiceField
from ctip.accounts.policy import scope_q
from ctip.catalogues.models import Audience, Movement, Topic
from ctip.community import policy, selectors
from ctip.community.actions import (
    CLUB_RULES,
    CLUB_STATUS_RULES,
    EXCHANGE_RULES,
    MEMBER_RULES,
    NEW_CLUB_RULES,
    NEW_EXCHANGE_RULES,
)
from ctip.community.models import Club, ClubType, Exchange
from ctip.core.idempotency import IdempotentForm
from ctip.core.rules import RulesForm
from ctip.org.models import Unit
from ctip.units.selectors import area_q

DATE_HELP = _("dd/mm/yyyy")


class ClubChoiceField(forms.ModelChoiceField):
    """A club shown with its unit. A club already linked but outside the viewer's scope stays
    selectable (so saving keeps the link) without showing anything about itself."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.masked: set[int] = set()

    def label_from_instance(self, obj: Club) -> str:
        if obj.pk in self.masked:
            return str(_("(a model outside what you can see)"))
        return f"{obj.name} · {obj.unit.name} ({obj.founded_on:%d/%m/%Y})"


def _with_current(choices: Any, viewer: Any, current: Club | None,
                  field: ClubChoiceField) -> Any:
    if current is None:
        return choices
    if not policy.can_see(viewer, current):
        field.masked = {current.pk}
    return (Club.objects.filter(Q(pk__in=choices.values("pk")) | Q(pk=current.pk))
            .select_related("unit").order_by("name_folded", "pk"))


class ClubForm(RulesForm, IdempotentForm, forms.Form):
    """The action's rules run here too when a field fails (``RulesForm``; given: the viewer,
    the club being edited)."""

    rules = NEW_CLUB_RULES
    name = forms.CharField(label=_("Name"), max_length=300)
    club_type = forms.ModelChoiceField(label=_("Type"), queryset=ClubType.objects.none())
    unit = UnitChoiceField(
        label=_("Unit"), queryset=Unit.objects.none(),
        error_messages={"invalid_choice": _("Choose a unit where you may record clubs.")})
    founded_on = forms.DateField(label=_("Founded on"), help_text=DATE_HELP)
    is_prevention_model = forms.BooleanField(
        label=_("An anti-trafficking prevention model"), required=False,
        help_text=_("Tick for a model that other communes may replicate."))
    target_groups = forms.ModelMultipleChoiceField(
        label=_("Target groups"), queryset=Audience.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple)
    movements = forms.ModelMultipleChoiceField(
        label=_("Movements"), queryset=Movement.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple)
    member_count = forms.IntegerField(
        label=_("Members"), min_value=0, required=False,
        error_messages={"min_value": _("The number of members cannot be negative.")})
    replicated_from = ClubChoiceField(
        label=_("Replicated from"), queryset=Club.objects.none(), required=False,
        help_text=_("The prevention model this club copies, in any commune you can see. If "
                    "the origin is outside what you can see, ask the province to record it."),
        error_messages={"invalid_choice": _(
            "The model named as the origin does not exist or is outside what you can see.")})
    integrated_into = ClubChoiceField(
        label=_("Integrated into"), queryset=Club.objects.none(), required=False,
        help_text=_("A club of the same commune that this one now works within."),
        error_messages={"invalid_choice": _(
            "The club to integrate into does not exist or is outside what you can see.")})
    results = forms.CharField(label=_("Results"), required=False, max_length=5000,
                              widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args: Any, viewer: Any, club: Club | None = None,
                 members_listed: int = 0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.club = club
        self.given = {"actor": viewer, "current": club}
        if club is not None:
            self.rules = CLUB_RULES  # what ``update_club`` checks
        pk = club.pk if club is not None else None
        types = Q(archived=False)
        units = selectors.manageable_units(viewer)
        audiences, movements = Q(archived=False), Q(archived=False)
        if club is not None:
            types |= Q(pk=club.club_type_id)
            units = (Unit.objects.filter(Q(pk__in=units.values("pk"))
                                                   | Q(pk=club.unit_id))
                     .select_related("unit_type"))
            audiences |= Q(pk__in=club.target_groups.values("pk"))
            movements |= Q(pk__in=club.movements.values("pk"))
        self.fields["club_type"].queryset = ClubType.objects.filter(types)  # type: ignore[attr-defined]
        self.fields["unit"].queryset = units.order_by("path")  # type: ignore[attr-defined]
        self.fields["target_groups"].queryset = Audience.objects.filter(audiences)  # type: ignore[attr-defined]
        self.fields["movements"].queryset = Movement.objects.filter(movements)  # type: ignore[attr-defined]
        origin = self.fields["replicated_from"]
        origin.queryset = _with_current(  # type: ignore[attr-defined]
            selectors.origin_choices(viewer, exclude_pk=pk), viewer,
            club.replicated_from if club is not None else None, origin)  # type: ignore[arg-type]
        into = self.fields["integrated_into"]
        into.queryset = _with_current(  # type: ignore[attr-defined]
            selectors.integration_choices(viewer, exclude_pk=pk), viewer,
            club.integrated_into if club is not None else None, into)  # type: ignore[arg-type]
        if members_listed:
            count = self.fields["member_count"]
            count.disabled = True
            count.help_text = _("The club keeps a list of members; the count follows the list.")


class OriginSearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=100)
    exclude = forms.IntegerField(required=False)
    replicated_from = forms.IntegerField(required=False)


class StatusForm(RulesForm, forms.Form):
    rules = CLUB_STATUS_RULES  # given: the club
    status = forms.ChoiceField(label=_("Status"), choices=Club.Status.choices,
                               widget=forms.RadioSelect)
    changed_on = forms.DateField(label=_("Since"), required=False, help_text=DATE_HELP)
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False,
                             help_text=_("Required when the club is paused or dissolved."))


class MemberForm(RulesForm, IdempotentForm, forms.Form):
    """Names only: no identity number, no phone, no address, no date of birth."""

    rules = MEMBER_RULES  # given: the club

    full_name = forms.CharField(label=_("Full name"), max_length=150)
    role = forms.CharField(label=_("Role in the club"), max_length=100, required=False,
                           help_text=_("For example: head, deputy, member."))
    joined_on = forms.DateField(label=_("Joined on"), required=False, help_text=DATE_HELP)


def _filter_units(viewer: Any, chosen: Any, extra: Q | None = None) -> Any:
    """The units offered by a filter: the viewer's roots and one level below, plus ``extra``,
    plus the unit already chosen (a link may name any unit in scope, a branch for one)."""
    offered = Q(pk__in=selectors.filter_units(viewer).values("pk"))
    if extra is not None:
        offered |= extra
    if str(chosen or "").isdigit():
        offered |= Q(pk=int(chosen))
    return (Unit.objects.filter(scope_q(viewer, "activity.view")).filter(offered)
            .select_related("unit_type").order_by("path"))


class ClubFilterForm(forms.Form):
    unit = UnitChoiceField(label=_("Unit"), queryset=Unit.objects.none(),
                           required=False, empty_label=_("All my units"))
    club_type = forms.ModelChoiceField(label=_("Type"), queryset=ClubType.objects.all(),
                                       required=False, empty_label=_("All types"))
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("Any status")), *Club.Status.choices])
    models_only = forms.BooleanField(label=_("Prevention models only"), required=False)
    q = forms.CharField(label=_("Name"), required=False, max_length=100)

    def __init__(self, *args: Any, viewer: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = _filter_units(viewer, self.data.get("unit"))  # type: ignore[attr-defined]

    def to_filter(self) -> selectors.ClubFilter:
        data = self.cleaned_data if self.is_valid() else {}
        club_type = data.get("club_type")
        return selectors.ClubFilter(unit=data.get("unit"),
                                    club_type_id=club_type.pk if club_type else None,
                                    status=data.get("status") or "",
                                    models_only=bool(data.get("models_only")),
                                    query=data.get("q") or "")


class ExchangeForm(RulesForm, IdempotentForm, forms.Form):
    rules = NEW_EXCHANGE_RULES
    unit = UnitChoiceField(
        label=_("Border unit"), queryset=Unit.objects.none(),
        help_text=_("Only units flagged as border areas are listed."),
        error_messages={"invalid_choice": _(
            "Exchanges are recorded only at border units where you may record work: choose "
            "a unit flagged as a border area.")})
    date = forms.DateField(label=_("Date"), help_text=DATE_HELP)
    counterpart_country = forms.CharField(label=_("Country"), max_length=100,
                                          initial="Campuchia")
    counterpart_area = forms.CharField(
        label=_("Counterpart across the border"), max_length=300,
        help_text=_("The district, commune or village on the other side, as text."))
    topics = forms.ModelMultipleChoiceField(label=_("Topics"), queryset=Topic.objects.none(),
                                            required=False,
                                            widget=forms.CheckboxSelectMultiple)
    participants = forms.IntegerField(
        label=_("Participants"), min_value=0, initial=0,
        error_messages={"min_value": _("The number of participants cannot be negative.")})
    information_shared = forms.CharField(label=_("Information shared"), required=False,
                                         max_length=5000,
                                         widget=forms.Textarea(attrs={"rows": 4}))
    follow_up = forms.CharField(label=_("Follow-up agreed"), required=False, max_length=5000,
                                widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, viewer: Any, exchange: Exchange | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if exchange is not None:
            self.given, self.rules = {"current": exchange}, EXCHANGE_RULES
        units = selectors.border_units(viewer)
        topics = Q(archived=False)
        if exchange is not None:
            topics |= Q(pk__in=exchange.topics.values("pk"))
            units = (Unit.objects.filter(Q(pk__in=units.values("pk")) | Q(pk=exchange.unit_id))
                     .select_related("unit_type"))
        self.fields["unit"].queryset = units.order_by("path")  # type: ignore[attr-defined]
        self.fields["topics"].queryset = Topic.objects.filter(topics)  # type: ignore[attr-defined]


class ExchangeFilterForm(forms.Form):
    unit = UnitChoiceField(label=_("Unit"), queryset=Unit.objects.none(),
                           required=False, empty_label=_("All my units"))
    start = forms.DateField(label=_("From"), required=False, help_text=DATE_HELP)
    end = forms.DateField(label=_("To"), required=False, help_text=DATE_HELP)

    def __init__(self, *args: Any, viewer: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = _filter_units(  # type: ignore[attr-defined]
            viewer, self.data.get("unit"), area_q("border"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", _("The end of the period is before its start."))
        return data

    def to_filter(self) -> selectors.ExchangeFilter:
        data = self.cleaned_data if self.is_valid() else {}
        return selectors.ExchangeFilter(unit=data.get("unit"), start=data.get("start"),
                                        end=data.get("end"))
