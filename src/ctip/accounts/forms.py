from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from ctip.accounts.actions import USER_RULES
from ctip.accounts.capabilities import Role
from ctip.accounts.policy import roles_grantable_by, scope_q
from ctip.core.collation import tree_sorted
from ctip.core.idempotency import IdempotentForm
from ctip.core.rules import RulesForm
from ctip.org.models import Unit

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _("The username or password is not right. Note that the password "
                           "is case-sensitive."),
        "inactive": _("This account is disabled."),
    }


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("Six-digit code from your authenticator app"),
        min_length=6, max_length=8,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code",
                                      "pattern": "[0-9]*"}),
    )

    def clean_token(self) -> str:
        token = self.cleaned_data["token"].replace(" ", "")
        if not token.isdigit():
            raise forms.ValidationError(_("The code has digits only."))
        return token


class EnrolmentCodeForm(forms.Form):
    enrolment_code = forms.CharField(
        label=_("Enrolment code from your administrator"), max_length=30,
        help_text=_("Twelve letters and digits, such as K7M4-QX2P-9RTA. Ask the officer who "
                    "manages accounts at the unit above yours."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters",
                                      "spellcheck": "false"}),
    )


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(label=_("Current password"), strip=False,
                                   widget=forms.PasswordInput(
                                       attrs={"autocomplete": "current-password"}))
    new_password = forms.CharField(label=_("New password"), strip=False,
                                   widget=forms.PasswordInput(
                                       attrs={"autocomplete": "new-password"}),
                                   help_text=_("At least 10 characters, not only digits, "
                                               "not a common password."))
    new_password_again = forms.CharField(label=_("New password again"), strip=False,
                                         widget=forms.PasswordInput(
                                             attrs={"autocomplete": "new-password"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("new_password") and data.get("new_password") != data.get(
                "new_password_again"):
            self.add_error("new_password_again", _("The two new passwords differ."))
        return data


def scoped_units(viewer: Any, capability: str) -> Any:
    return Unit.objects.open().filter(scope_q(viewer, capability)).select_related("unit_type")


def grantable_role_choices(viewer: Any) -> list[tuple[str, StrOrPromise]]:
    grantable = set(roles_grantable_by(viewer))
    return [(value, label) for value, label in Role.choices if value in grantable]


class TreeOrderIterator(forms.models.ModelChoiceIterator):
    """The units in tree order, brothers and sisters in Vietnamese alphabetical order."""

    def __iter__(self) -> Any:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        # sorted once per field and queryset: the widget iterates the choices twice (the
        # first choice decides the "required" attribute), a province's list has a hundred
        kept = getattr(self.field, "_tree_sorted", None)
        if kept is None or kept[0] is not self.queryset:
            kept = (self.queryset, tree_sorted(self.queryset))
            self.field._tree_sorted = kept  # type: ignore[attr-defined]
        for unit in kept[1]:
            yield self.choice(unit)


class UnitChoiceField(forms.ModelChoiceField):
    iterator = TreeOrderIterator

    def label_from_instance(self, obj: Unit) -> str:
        return f"{'— ' * obj.depth}{obj.name}"


class UserCreateForm(RulesForm, IdempotentForm, forms.Form):
    """``create_user``'s rules run here too when a field fails (``RulesForm``)."""

    rules = USER_RULES
    username = forms.CharField(label=_("Username"), max_length=150,
                               help_text=_("Lower-case letters without accents, digits, dots."))
    full_name = forms.CharField(label=_("Full name"), max_length=150)
    email = forms.EmailField(label=_("E-mail"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)
    home_unit = UnitChoiceField(label=_("Unit"), queryset=Unit.objects.none())
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)

    def __init__(self, *args: Any, viewer: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.given = {"actor": viewer}
        self.fields["home_unit"].queryset = scoped_units(viewer, "user.manage")  # type: ignore[attr-defined]
        self.fields["role"].choices = grantable_role_choices(viewer)  # type: ignore[attr-defined]


class GrantRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    unit = UnitChoiceField(label=_("Unit"), queryset=Unit.objects.none())

    def __init__(self, *args: Any, viewer: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = scoped_units(viewer, "user.manage")  # type: ignore[attr-defined]
        self.fields["role"].choices = grantable_role_choices(viewer)  # type: ignore[attr-defined]
