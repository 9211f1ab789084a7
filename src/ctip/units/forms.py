from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ctip.accounts.forms import UnitChoiceField, scoped_units
from ctip.core.idempotency import IdempotentForm
from ctip.core.rules import RulesForm
from ctip.org.models import Unit, UnitType
from ctip.units.actions import UNIT_RULES


class UnitForm(RulesForm, IdempotentForm, forms.Form):
    """The action's rules run here too when a field fails (``RulesForm``; given: the parent
    of a new unit, or the unit being edited as ``current``)."""

    rules = UNIT_RULES
    name = forms.CharField(label=_("Name"), max_length=200)
    unit_type = forms.ModelChoiceField(label=_("Unit type"),
                                       queryset=UnitType.objects.filter(archived=False))
    gso_code = forms.CharField(label=_("Administrative (GSO) code"), max_length=20,
                               required=False)
    village = forms.CharField(label=_("Village / hamlet / residential group"), max_length=200,
                              required=False)
    is_border = forms.BooleanField(label=_("Border area"), required=False)
    is_remote = forms.BooleanField(label=_("Remote area"), required=False)
    is_far_flung = forms.BooleanField(label=_("Far-flung area"), required=False)
    is_ethnic_minority = forms.BooleanField(label=_("Ethnic minority area"), required=False)
    opened_on = forms.DateField(label=_("Opened on"), required=False,
                                help_text=_("dd/mm/yyyy"))


class MoveForm(forms.Form):
    new_parent = UnitChoiceField(label=_("New parent unit"), queryset=Unit.objects.none())

    def __init__(self, *args: Any, viewer: Any, unit: Unit, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_parent"].queryset = scoped_units(viewer, "unit.manage").exclude(  # type: ignore[attr-defined]
            path__subtree=unit.path)


class MergeForm(forms.Form):
    into = UnitChoiceField(label=_("Merge into"), queryset=Unit.objects.none())
    effective_on = forms.DateField(label=_("Effective on"), help_text=_("dd/mm/yyyy"))
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)

    def __init__(self, *args: Any, viewer: Any, unit: Unit, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["into"].queryset = scoped_units(viewer, "unit.manage").exclude(  # type: ignore[attr-defined]
            path__subtree=unit.path).filter(depth=unit.depth)


class SplitForm(forms.Form):
    names = forms.CharField(
        label=_("Names of the new units"), widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One name a line, at least two."))
    effective_on = forms.DateField(label=_("Effective on"), help_text=_("dd/mm/yyyy"))
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)

    def __init__(self, *args: Any, unit: Unit, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.unit = unit
        self.children = list(unit.children.open())
        self.fields["records_to"] = forms.IntegerField(
            label=_("The people, cases, situations, campaigns, speakers and clubs of "
                    "“%(name)s” itself go to new unit number") % {"name": unit.name},
            help_text=_("Its activities and reports stay with it; the units above still see "
                        "them."), min_value=1, initial=1)
        for child in self.children:
            self.fields[f"child_{child.pk}"] = forms.IntegerField(
                label=_("“%(name)s” goes to new unit number") % {"name": child.name},
                min_value=1, initial=1)

    def clean_names(self) -> list[str]:
        names = [n.strip() for n in self.cleaned_data["names"].splitlines() if n.strip()]
        if len(names) < 2:
            raise forms.ValidationError(_("Give at least two names, one a line."))
        return names

    def assignments(self) -> dict[int, list[Unit]]:
        result: dict[int, list[Unit]] = {}
        for child in self.children:
            result.setdefault(self.cleaned_data[f"child_{child.pk}"], []).append(child)
        return result
