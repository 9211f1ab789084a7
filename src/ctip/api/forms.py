from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ctip.accounts.capabilities import Role
from ctip.api import tokens
from ctip.core.idempotency import IdempotentForm


class TokenCreateForm(IdempotentForm, forms.Form):
    name = forms.CharField(label=_("Device"), max_length=100,
                           help_text=_("Which phone, computer or system will use it, e.g. "
                                       "“Lan's phone” or “provincial data warehouse”."))
    days = forms.IntegerField(label=_("Valid for (days)"), min_value=1,
                              max_value=tokens.MAX_DAYS, initial=tokens.DEFAULT_DAYS)
    roles = forms.MultipleChoiceField(
        label=_("Limit to these roles"), required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: all your roles. A token never carries more than you hold."))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = dict(Role.choices)
        self.fields["roles"].choices = [  # type: ignore[attr-defined]
            (role, labels[role]) for role in tokens.held_roles(user)]
