"""Forms of the activities pages: the quick-entry (and edit) form and the list filters.

Forms only turn input into values; the rules live in ``outreach.actions``. The choice lists
are limited to what the viewer may use, so a forged id fails as an invalid choice.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ctip.accounts.forms import TreeOrderIterator, scoped_units
from ctip.accounts.policy import scope_paths, scope_q
from ctip.catalogues.models import Audience, Movement, Topic
from ctip.core.errors import ActionError
from ctip.core.idempotency import IdempotentForm
from ctip.core.rules import RulesForm
from ctip.core.uploads import MAX_UPLOAD_BYTES, SIGNATURES, check_upload
from ctip.org.models import Unit
from ctip.outreach.actions import ENTRY_RULES, MAX_ONLINE_REACH
from ctip.outreach.models import Activity, Campaign, Format, Speaker
from ctip.outreach.selectors import (
    ActivityFilter,
    campaigns_for_activity,
    campaigns_visible_to,
)

MAX_ATTACHMENTS = 5
# The unit filter offers units down to this usual level (communes and wards); deeper units
# are reached with ``?unit=<id>`` from a unit's page or a link.
FILTER_UNIT_LEVEL = 2
DATE_HINT = _("dd/mm/yyyy")
SELECTED = mark_safe(" selected")  # noqa: S308  (a constant)


# --- Choices limited to the viewer -----------------------------------------------------------

def loggable_units(viewer: Any) -> QuerySet[Unit]:
    """Open units where the viewer may record activities (for herself or for the unit)."""
    return (scoped_units(viewer, "activity.manage") | scoped_units(viewer, "activity.log_own")
            ).order_by("path")


def _ancestor_paths(path: str) -> list[str]:
    parts = path.strip("/").split("/")
    return [f"/{'/'.join(parts[:i])}/" for i in range(1, len(parts))]


def speakers_for(viewer: Any) -> QuerySet[Speaker]:
    """Active speakers of the viewer's units and of the units above them (a commune's
    reporters also speak at its branches; the province's in every commune)."""
    q = Q(pk__in=[])
    for root in scope_paths(viewer, "activity.view"):
        q |= Q(unit_path__subtree=root) | Q(unit_path__in=_ancestor_paths(root))
    return Speaker.objects.filter(q, active=True).select_related("unit").order_by("full_name")


def _base_depth(viewer: Any, capability: str) -> int:
    depths = [root.count("/") - 2 for root in scope_paths(viewer, capability)]
    return min(depths, default=0)


def _current_or(queryset: QuerySet[Any], current: Any) -> QuerySet[Any]:
    """Entries that are not archived, plus those the record already uses."""
    ids = [c.pk for c in current] if isinstance(current, list | tuple) else (
        [current.pk] if current is not None else [])
    return queryset.filter(Q(archived=False) | Q(pk__in=ids))


class ScopedUnitField(forms.ModelChoiceField):
    """A unit select indented by depth below the viewer's own level."""

    base_depth = 0
    iterator = TreeOrderIterator

    def label_from_instance(self, obj: Unit) -> str:
        return f"{'— ' * max(obj.depth - self.base_depth, 0)}{obj.name}"


class CampaignField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Campaign) -> str:
        return (f"{obj.name} ({date_format(obj.starts_on, 'SHORT_DATE_FORMAT')}–"
                f"{date_format(obj.ends_on, 'SHORT_DATE_FORMAT')})")


class SpeakerField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Speaker) -> str:
        return f"{obj.full_name} · {obj.unit.name}"


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one ``<input type=file multiple>``; cleans to a list."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        if not data:
            return []
        items = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(item, initial) for item in items if item]


def _count_field(label: Any, help_text: Any = "") -> forms.IntegerField:
    return forms.IntegerField(
        label=label, required=False, min_value=0, max_value=MAX_ONLINE_REACH,
        help_text=help_text,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "pattern": "[0-9]*"}))


ACCEPT = ",".join(["image/*", "audio/*", *sorted(SIGNATURES)])


# --- Quick entry and edit --------------------------------------------------------------------

class ActivityForm(RulesForm, IdempotentForm, forms.Form):
    """Essential fields first; the rest (``DETAIL_FIELDS``) sit in a collapsed section. The
    action's rules run here too when a field fails (``RulesForm``)."""

    rules = ENTRY_RULES

    ESSENTIAL_FIELDS = ("date", "status", "unit", "format", "title", "participants_women",
                        "participants_men", "participants_total")
    DETAIL_FIELDS = ("campaign", "topics", "audiences", "speakers", "movement",
                     "online_views", "online_shares", "materials_handed_out",
                     "coordinating_agencies", "notes", "attachments")

    date = forms.DateField(
        label=_("Date"),
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    status = forms.ChoiceField(
        label=_("Status"), required=False,
        choices=[(Activity.Status.DONE, Activity.Status.DONE.label),
                 (Activity.Status.PLANNED, Activity.Status.PLANNED.label)],
        widget=forms.RadioSelect,
        help_text=_("Choose “planned” for an activity that has not happened yet."))
    unit = ScopedUnitField(label=_("Unit where it happened"), queryset=Unit.objects.none())
    format = forms.ModelChoiceField(label=_("Format"), queryset=Format.objects.none())
    title = forms.CharField(
        label=_("Title"), max_length=300,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        help_text=_("e.g. Branch meeting on the tricks of traffickers"))
    participants_women = _count_field(_("Women"))
    participants_men = _count_field(_("Men"))
    participants_total = _count_field(
        _("Total participants"), _("Leave empty to add up women and men."))

    campaign = CampaignField(label=_("Campaign"), queryset=Campaign.objects.none(),
                             required=False, empty_label=_("— none —"))
    topics = forms.ModelMultipleChoiceField(
        label=_("Topics"), queryset=Topic.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple)
    audiences = forms.ModelMultipleChoiceField(
        label=_("Audiences"), queryset=Audience.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple)
    speakers = SpeakerField(
        label=_("Speakers"), queryset=Speaker.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("A speaker recording her own talk must tick her own name."))
    movement = forms.ModelChoiceField(label=_("Movement it serves"),
                                      queryset=Movement.objects.none(), required=False,
                                      empty_label=_("— none —"))
    online_views = _count_field(_("Views"), _("Only for online formats (Zalo, Facebook)."))
    online_shares = _count_field(_("Shares"), _("Only for online formats (Zalo, Facebook)."))
    materials_handed_out = _count_field(_("Materials handed out"),
                                        _("Leaflets, booklets, posters given out."))
    coordinating_agencies = forms.CharField(
        label=_("Coordinating agencies"), max_length=300, required=False,
        help_text=_("e.g. commune police, border guard post"))
    notes = forms.CharField(label=_("Notes"), max_length=5000, required=False,
                            widget=forms.Textarea(attrs={"rows": 3}))
    attachments = MultipleFileField(
        label=_("Photos and attachments"), required=False,
        widget=MultipleFileInput(attrs={"accept": ACCEPT}),
        help_text=_("Up to %(n)d files of at most %(mb)d MB each: documents, images or "
                    "sound recordings.") % {"n": MAX_ATTACHMENTS,
                                            "mb": MAX_UPLOAD_BYTES // 1024 // 1024})

    def __init__(self, *args: Any, viewer: Any, units: QuerySet[Unit] | None = None,
                 activity: Activity | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.activity = activity
        if activity is not None:
            self.given = {"unit": activity.unit, "current": activity}
        f = self.fields
        if activity is None:
            f["unit"].queryset = units if units is not None else loggable_units(viewer)  # type: ignore[attr-defined]
            f["unit"].base_depth = _base_depth(viewer, "activity.view")  # type: ignore[attr-defined]
            url = reverse("outreach:activity_create")
            # Changing the unit or the date proposes the campaign running there and then.
            refresh = {"hx-get": url, "hx-target": "#field-campaign", "hx-swap": "outerHTML",
                       "hx-trigger": "change"}
            f["unit"].widget.attrs.update(refresh | {"hx-include": "#id_date"})
            f["date"].widget.attrs.update(refresh | {"hx-include": "#id_unit"})
        else:
            del f["unit"]
        f["format"].queryset = _current_or(Format.objects.all(),  # type: ignore[attr-defined]
                                           activity.format if activity else None)
        f["campaign"].queryset = _current_or(  # type: ignore[attr-defined]
            campaigns_for_activity(viewer, activity), activity.campaign if activity else None)
        f["movement"].queryset = _current_or(Movement.objects.all(),  # type: ignore[attr-defined]
                                             activity.movement if activity else None)
        f["topics"].queryset = _current_or(  # type: ignore[attr-defined]
            Topic.objects.all(), list(activity.topics.all()) if activity else [])
        f["audiences"].queryset = _current_or(  # type: ignore[attr-defined]
            Audience.objects.all(), list(activity.audiences.all()) if activity else [])
        speakers = speakers_for(viewer)
        if activity is not None:
            speakers = speakers | Speaker.objects.filter(pk__in=activity.speakers.all())
        f["speakers"].queryset = speakers.distinct()  # type: ignore[attr-defined]

    @property
    def essentials(self) -> list[forms.BoundField]:
        return [self[name] for name in self.ESSENTIAL_FIELDS if name in self.fields]

    @property
    def details(self) -> list[forms.BoundField]:
        return [self[name] for name in self.DETAIL_FIELDS if name in self.fields]

    @property
    def details_open(self) -> bool:
        """Open the "More details" section when editing or when something in it is wrong."""
        return self.activity is not None or any(
            name in self.errors for name in self.DETAIL_FIELDS)

    def clean_status(self) -> str:
        return self.cleaned_data.get("status") or Activity.Status.DONE

    def clean_attachments(self) -> list[Any]:
        uploads = self.cleaned_data.get("attachments") or []
        if len(uploads) > MAX_ATTACHMENTS:
            raise forms.ValidationError(
                gettext("At most %(n)d files at a time; you chose %(m)d.")
                % {"n": MAX_ATTACHMENTS, "m": len(uploads)})
        errors = []
        for upload in uploads:
            try:
                check_upload(upload)  # the same check the action makes, before anything is saved
            except ActionError as exc:
                errors.append(exc.message)
        if errors:
            raise forms.ValidationError(errors)
        return uploads

    def action_values(self) -> dict[str, Any]:
        """The cleaned values as the actions take them (attachments apart)."""
        values = {k: v for k, v in self.cleaned_data.items() if k != "attachments"}
        for name in ("online_views", "online_shares", "materials_handed_out"):
            values[name] = values.get(name) or 0
        return values


def activity_initial(activity: Activity) -> dict[str, Any]:
    initial: dict[str, Any] = {name: getattr(activity, name) for name in (
        "date", "status", "format", "title", "participants_women", "participants_men",
        "participants_total", "campaign", "movement", "online_views", "online_shares",
        "materials_handed_out", "coordinating_agencies", "notes")}
    initial["topics"] = list(activity.topics.all())
    initial["audiences"] = list(activity.audiences.all())
    initial["speakers"] = list(activity.speakers.all())
    return initial


# --- List filters ----------------------------------------------------------------------------

class DateTextInput(forms.DateInput):
    """dd/mm/yyyy typed as text, the way dates are written in the Union's reports."""

    def __init__(self) -> None:
        super().__init__(attrs={"placeholder": DATE_HINT, "autocomplete": "off",
                                "size": 10})


class ActivityFilterForm(forms.Form):
    start = forms.DateField(label=_("From"), required=False, widget=DateTextInput(),
                            help_text=DATE_HINT)
    end = forms.DateField(label=_("To"), required=False, widget=DateTextInput(),
                          help_text=DATE_HINT)
    unit = ScopedUnitField(label=_("Unit (and the units below it)"),
                           queryset=Unit.objects.none(), required=False,
                           empty_label=_("All my units"))
    format = forms.ModelMultipleChoiceField(
        label=_("Format"), queryset=Format.objects.all(), to_field_name="code",
        required=False, widget=forms.CheckboxSelectMultiple)
    topic = forms.ModelChoiceField(label=_("Topic"), queryset=Topic.objects.all(),
                                   required=False, empty_label=_("Any topic"))
    campaign = CampaignField(label=_("Campaign"), queryset=Campaign.objects.none(),
                             required=False, empty_label=_("Any campaign"))
    audience = forms.ModelChoiceField(label=_("Audience"), queryset=Audience.objects.all(),
                                      to_field_name="code", required=False,
                                      empty_label=_("Any audience"))
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("Any status")), *Activity.Status.choices])

    def __init__(self, *args: Any, viewer: Any, selected_unit: Unit | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        roots = scope_paths(viewer, "activity.view")
        self.scope_roots = roots
        units = (Unit.objects.open().filter(scope_q(viewer, "activity.view"))
                 .filter(Q(unit_type__level__lte=FILTER_UNIT_LEVEL) | Q(path__in=roots)))
        if selected_unit is not None:
            units = units | Unit.objects.filter(pk=selected_unit.pk)
        self.fields["unit"].queryset = units.order_by("path")  # type: ignore[attr-defined]
        self.fields["unit"].base_depth = _base_depth(viewer, "activity.view")  # type: ignore[attr-defined]
        self.fields["campaign"].queryset = campaigns_visible_to(viewer)  # type: ignore[attr-defined]

    SELECTS = ("unit", "topic", "campaign", "audience", "status")

    def _options(self, name: str) -> list[tuple[str, str, bool]]:
        """(value, label, chosen) of a choice field, rendered by a plain loop: Django's widget
        templates (one per option) and ``ModelChoiceIterator`` (a server-side cursor on
        PostgreSQL) cost more than the page's own queries."""
        field = self.fields[name]
        chosen = {v for v in self.data.getlist(name) if v} if hasattr(self.data, "getlist") \
            else ({str(self.data[name])} if self.data.get(name) else set())
        options: list[tuple[str, str]] = []
        if isinstance(field, forms.ModelChoiceField):
            if field.empty_label is not None:
                options.append(("", str(field.empty_label)))
            key = getattr(field, "to_field_name", None) or "pk"
            queryset = field.queryset
            if queryset is not None:
                options += [(str(getattr(obj, key)), field.label_from_instance(obj))
                            for obj in list(queryset)]
        else:
            options += [(str(v), str(label)) for v, label in field.choices]  # type: ignore[attr-defined]
        return [(value, label, value in chosen if chosen else value == "")
                for value, label in options]

    @property
    def menus(self) -> list[tuple[forms.BoundField, SafeString]]:
        """Each select with its ``<option>`` elements, joined here (escaped by
        ``format_html``): a loop in the template costs several nodes per option, for about
        two hundred options (the communes, the campaigns, the topics) on every request."""
        return [(self[name], format_html_join(
            "", "<option value=\"{}\"{}>{}</option>",
            ((value, SELECTED if chosen else "", label)
             for value, label, chosen in self._options(name))))
            for name in self.SELECTS]

    @property
    def format_options(self) -> list[tuple[str, str, bool]]:
        return self._options("format")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", gettext("The end of the period is before its start."))
        return data

    def _valid(self, name: str) -> Any:
        """A filter value, ignoring fields that did not validate."""
        if not hasattr(self, "cleaned_data"):
            self.is_valid()
        return self.cleaned_data.get(name)

    def activity_filter(self) -> ActivityFilter:
        topic, campaign, audience = (self._valid("topic"), self._valid("campaign"),
                                     self._valid("audience"))
        unit = self._valid("unit")
        if unit is None and len(self.scope_roots) == 1:
            # The whole scope is one subtree: say so, which lets the selector plan for it.
            unit = Unit.objects.filter(path=self.scope_roots[0]).first()
        return ActivityFilter(
            start=self._valid("start"), end=self._valid("end"), unit=unit,
            format_ids=[f.pk for f in self._valid("format") or []],
            topic_ids=[topic.pk] if topic else [],
            audience_ids=[audience.pk] if audience else [],
            campaign_id=campaign.pk if campaign else None,
            status=self._valid("status") or "",
        )

    def describe(self) -> str:
        """The filters in words, for the first line of an export."""
        parts = []
        start, end = self._valid("start"), self._valid("end")
        if start or end:
            parts.append(gettext("period %(start)s – %(end)s") % {
                "start": _day(start) if start else "…", "end": _day(end) if end else "…"})
        if self._valid("unit"):
            parts.append(gettext("unit %(name)s and the units below it")
                         % {"name": self._valid("unit").name})
        if self._valid("format"):
            parts.append(gettext("formats: %(names)s")
                         % {"names": ", ".join(f.name for f in self._valid("format"))})
        for name, label in (("topic", gettext("topic")), ("campaign", gettext("campaign")),
                            ("audience", gettext("audience"))):
            if self._valid(name):
                parts.append(f"{label}: {self._valid(name)}")
        if self._valid("status"):
            parts.append(gettext("status: %(status)s")
                         % {"status": Activity.Status(self._valid("status")).label})
        if not parts:
            return gettext("Filters: none (all the activities you may see).")
        return gettext("Filters: %(filters)s.") % {"filters": "; ".join(parts)}


def _day(value: dt.date) -> str:
    return value.strftime("%d/%m/%Y")
