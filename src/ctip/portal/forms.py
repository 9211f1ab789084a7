"""The public "Báo tin" form: a concern reported by anyone, anonymously if they wish."""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.utils.translation import gettext_lazy as _

from ctip.cases.actions import SITUATION_RULES
from ctip.cases.models import Category
from ctip.core.collation import vi_order
from ctip.core.idempotency import IdempotentForm
from ctip.core.rules import RulesForm
from ctip.org.models import Unit

DESCRIPTION_MAX = 10_000
CONTACT_MAX = 300
BOT_MESSAGE = _("Your report could not be sent. Please check it and send it again.")


def commune_choices() -> list[tuple[str, list[tuple[int, str]]]]:
    """Open communes and wards, grouped under their province (the real units of the tree)."""
    communes = (Unit.objects.open().filter(unit_type__code="commune")
                .select_related("parent").order_by(vi_order("parent__name"), vi_order("name")))
    groups: dict[str, list[tuple[int, str]]] = {}
    for unit in communes:
        province = unit.parent.name if unit.parent else ""
        groups.setdefault(province, []).append((unit.pk, unit.name))
    return list(groups.items())


class ReportConcernForm(RulesForm, IdempotentForm, forms.Form):
    """The rules of ``create_situation`` run here too when a field fails (``RulesForm``), so
    that one sending answers every problem."""

    rules = SITUATION_RULES
    rename: ClassVar[dict[str, str]] = {"commune": "unit", "contact": "reporter_contact"}

    category = forms.ChoiceField(
        label=_("What is your concern about?"), choices=[("", "—"), *Category.choices])
    commune = forms.TypedChoiceField(
        label=_("Commune or ward where it happens"), coerce=int, choices=())
    occurred_on = forms.DateField(
        label=_("When did it happen? (if you know)"), required=False,
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Enter a date such as 30/07/2026.")})
    description = forms.CharField(
        label=_("What happened?"), max_length=DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Who, where, since when, what you saw or heard. At most 10,000 "
                    "characters."),
        error_messages={"required": _("Tell us what happened."),
                        "max_length": _("Please shorten the text to at most %(limit_value)d "
                                        "characters (it has %(show_value)d).")})
    identity = forms.ChoiceField(
        label=_("Do you want us to contact you?"), widget=forms.RadioSelect,
        choices=[("anonymous", _("No, I stay anonymous")),
                 ("contact", _("Yes, here is how to reach me"))],
        initial="anonymous")
    contact = forms.CharField(
        label=_("Phone number or Zalo"), required=False, max_length=CONTACT_MAX,
        # the rule, said before she types: needed with "Yes" above, left empty otherwise
        help_text=_("Needed only if you chose “Yes, here is how to reach me” above. To stay "
                    "anonymous, choose “No” and leave it empty."),
        widget=forms.TextInput(attrs={"autocomplete": "tel"}))
    # A field people never see: bots that fill every field give themselves away.
    website = forms.CharField(label=_("Leave this field empty"), required=False,
                              widget=forms.TextInput(attrs={"tabindex": "-1",
                                                            "autocomplete": "off"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["commune"].choices = [("", "—"), *commune_choices()]  # type: ignore[attr-defined]
        self.fields["commune"].error_messages["invalid_choice"] = _(
            "Choose a commune or ward from the list.")

    def full_clean(self) -> None:
        super().full_clean()
        # Each field with an error points to its message, for screen readers.
        for name in self.errors:
            if name in self.fields:
                field = self.fields[name]
                ids = [f"id_{name}_helptext"] if field.help_text else []
                field.widget.attrs["aria-describedby"] = " ".join([*ids, f"id_{name}_error"])

    @property
    def is_bot(self) -> bool:
        return bool(self.data.get("website"))

    def clean_commune(self) -> Unit:
        pk = self.cleaned_data["commune"]
        unit = Unit.objects.open().filter(pk=pk, unit_type__code="commune").first()
        if unit is None:
            raise forms.ValidationError(_("Choose a commune or ward from the list."))
        return unit

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.is_bot:
            raise forms.ValidationError(BOT_MESSAGE)
        if cleaned.get("identity") == "contact" and not cleaned.get("contact", "").strip():
            self.add_error("contact", _("Enter a phone number or Zalo, or choose to stay "
                                        "anonymous."))
        if cleaned.get("identity") != "contact":
            cleaned["contact"] = ""
        return cleaned
