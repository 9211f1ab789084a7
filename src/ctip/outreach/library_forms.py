"""Forms of the topic library, the coverage table and the speakers roster."""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ctip.accounts.forms import UnitChoiceField, scoped_units
from ctip.accounts.models import User
from ctip.accounts.policy import scope_q
from ctip.catalogues.models import Topic
from ctip.core.idempotency import IdempotentForm
from ctip.core.rules import RulesForm
from ctip.core.uploads import MAX_UPLOAD_BYTES, SIGNATURES
from ctip.org.models import Unit
from ctip.outreach.actions import MATERIAL_RULES, NEW_SPEAKER_RULES, SPEAKER_RULES, TOPIC_RULES
from ctip.outreach.campaign_forms import DATE_HELP, PeriodMixin, issuing_units
from ctip.outreach.models import Speaker


class TopicFilterForm(forms.Form):
    q = forms.CharField(label=_("Find a topic"), required=False, max_length=100,
                        help_text=_("You can type with or without accents."),
                        widget=forms.TextInput(attrs={"type": "search"}))
    kind = forms.ChoiceField(label=_("Kind"), required=False,
                             choices=[("", _("All kinds")), *Topic.Kind.choices])


class TopicForm(RulesForm, IdempotentForm, forms.Form):
    """The library's actions' rules run here too when a field fails (``RulesForm``)."""

    rules = TOPIC_RULES
    name = forms.CharField(label=_("Name"), max_length=300,
                           help_text=_("For example: Law 53/2024/QH15 on preventing and "
                                       "combating human trafficking"))
    kind = forms.ChoiceField(label=_("Kind"), choices=Topic.Kind.choices)
    description = forms.CharField(label=_("Description"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 4}))


class MaterialForm(RulesForm, IdempotentForm, forms.Form):
    rules = MATERIAL_RULES
    rename: ClassVar[dict[str, str]] = {"file": "upload"}
    title = forms.CharField(label=_("Title"), max_length=300)
    file = forms.FileField(label=_("File"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        upload = self.fields["file"]
        upload.widget.attrs["accept"] = ",".join(SIGNATURES)
        upload.help_text = gettext("A document (PDF, Word...), an image or an audio file for "
                                   "the loudspeakers; at most %(mb)d MB.") % {
            "mb": MAX_UPLOAD_BYTES // 1024 // 1024}


class CoverageForm(PeriodMixin, forms.Form):
    start = forms.DateField(label=_("From"), help_text=DATE_HELP)
    end = forms.DateField(label=_("To"), help_text=DATE_HELP)
    unit = UnitChoiceField(label=_("Unit"), queryset=Unit.objects.none(),
                           help_text=_("Columns are the units directly below it."))
    start_field, end_field = "start", "end"
    period_error = _("The end of the period is before its start.")

    def __init__(self, *args: Any, viewer: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = issuing_units(  # type: ignore[attr-defined]
            viewer, "activity.view", also=self.data.get("unit"))


class SpeakerFilterForm(forms.Form):
    unit = UnitChoiceField(label=_("Unit and below"), queryset=Unit.objects.none(),
                           required=False)
    active = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("All")), ("1", _("Active")),
                                        ("0", _("Not active"))])
    q = forms.CharField(label=_("Name"), required=False, max_length=100,
                        widget=forms.TextInput(attrs={"type": "search"}))

    def __init__(self, *args: Any, viewer: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = issuing_units(viewer, "activity.view")  # type: ignore[attr-defined]


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj} ({obj.get_username()})"


class SpeakerForm(RulesForm, IdempotentForm, forms.Form):
    """The action's rules run here too when a field fails (``RulesForm``)."""

    rules = NEW_SPEAKER_RULES
    unit = UnitChoiceField(label=_("Unit"), queryset=Unit.objects.none())
    full_name = forms.CharField(label=_("Full name"), max_length=150)
    kind = forms.ChoiceField(label=_("Kind"), choices=Speaker.Kind.choices)
    user = UserChoiceField(label=_("User account"), required=False,
                           queryset=User.objects.none(),
                           help_text=_("If the speaker signs in, she can log her own talks."))
    phone = forms.CharField(label=_("Work phone"), max_length=20, required=False)
    training = forms.CharField(label=_("Training received"), required=False,
                               widget=forms.Textarea(attrs={"rows": 3}),
                               help_text=_("Courses, with who ran them and when."))
    trained_on = forms.DateField(label=_("Last trained on"), required=False, help_text=DATE_HELP)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, viewer: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            self.rules = SPEAKER_RULES  # what ``update_speaker`` checks (and, moving, the unit)
            self.fields["unit"].required = False  # left out: she stays where she is
        else:
            del self.fields["active"]
        # a new speaker's unit, or the one an edit moves her to: one the editor manages
        self.fields["unit"].queryset = scoped_units(viewer, "activity.manage").order_by(  # type: ignore[attr-defined]
            "path")
        self.fields["user"].queryset = (  # type: ignore[attr-defined]
            User.objects.filter(scope_q(viewer, "activity.manage", "home_unit__path"),
                                is_active=True).order_by("username"))
