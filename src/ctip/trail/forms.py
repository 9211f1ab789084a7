from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ctip.accounts.forms import UnitChoiceField, scoped_units
from ctip.audit.models import Outcome
from ctip.org.models import Unit


class EventFilterForm(forms.Form):
    actor = forms.CharField(label=_("Actor"), required=False)
    action = forms.CharField(label=_("Action"), required=False,
                             help_text=_("For example unit. or user.role_granted"))
    unit = UnitChoiceField(label=_("Unit and below"), queryset=Unit.objects.none(),
                           required=False)
    start = forms.DateField(label=_("From"), required=False, help_text=_("dd/mm/yyyy"))
    end = forms.DateField(label=_("To"), required=False, help_text=_("dd/mm/yyyy"))
    outcome = forms.ChoiceField(label=_("Outcome"), required=False,
                                choices=[("", _("All")), *Outcome.choices])

    def __init__(self, *args: Any, viewer: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = scoped_units(viewer, "audit.view").filter(  # type: ignore[attr-defined]
            depth__lte=3)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", _("The end of the period is before its start."))
        return data
