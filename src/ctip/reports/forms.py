"""Forms of the report pages. They only turn input into values; ``actions`` decides."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ctip.accounts.forms import UnitChoiceField, scoped_units
from ctip.core.errors import ActionError, add_to_form
from ctip.core.idempotency import IdempotentForm
from ctip.core.rules import RulesForm
from ctip.outreach.models import Campaign
from ctip.outreach.selectors import campaigns_visible_to
from ctip.reports.actions import (
    ATTACHMENT_RULES,
    DRAFT_RULES,
    NARRATIVE_RULES,
    RETURN_RULES,
    UNLOCK_RULES,
)
from ctip.reports.models import ReportType
from ctip.reports.periods import parse_period
from ctip.reports.selectors import REPORTING_UNIT_TYPES

PERIOD_HINT = _("As you write it: 11/2026, T11/2026, quý 3/2026, 6 tháng đầu năm 2026, "
                "năm 2026.")


class NewReportForm(RulesForm, forms.Form):
    """``create_or_get_draft``'s rules run here too when a field fails (``RulesForm``): the
    period as written becomes the action's ``start`` and ``end``."""

    rules = DRAFT_RULES
    unit = UnitChoiceField(label=_("Unit"), queryset=None)
    report_type = forms.ModelChoiceField(label=_("Report type"),
                                         queryset=ReportType.objects.filter(active=True))
    period = forms.CharField(label=_("Period"), required=False, max_length=40,
                             help_text=PERIOD_HINT)
    campaign = forms.ModelChoiceField(label=_("Campaign"), required=False,
                                      queryset=Campaign.objects.filter(archived=False))

    def __init__(self, *args: Any, viewer: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["unit"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101
        field.queryset = scoped_units(viewer, "report.submit").filter(
            unit_type__code__in=REPORTING_UNIT_TYPES)
        campaign = self.fields["campaign"]
        assert isinstance(campaign, forms.ModelChoiceField)  # noqa: S101
        campaign.queryset = (campaigns_visible_to(viewer).filter(archived=False)
                             .order_by("-starts_on"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        report_type = data.get("report_type")
        if report_type is None:
            return data
        if report_type.kind == ReportType.Kind.CAMPAIGN:
            data["start"] = data["end"] = None  # the campaign's dates
            return data
        data["campaign"] = None  # a choice left from a campaign report: not this one's
        if "period" in data:
            try:
                data["start"], data["end"] = parse_period(report_type.kind, data["period"])
            except ActionError as exc:
                add_to_form(self, exc, default="period")
        return data


class NarrativeForm(RulesForm, forms.Form):
    rules = NARRATIVE_RULES
    number = forms.CharField(label=_("Number"), required=False, max_length=40,
                             help_text=_("For example 12/BC-HPN."))
    results = forms.CharField(label=_("Results"), required=False, widget=forms.Textarea)
    difficulties = forms.CharField(label=_("Difficulties"), required=False,
                                   widget=forms.Textarea)
    proposals = forms.CharField(label=_("Proposals"), required=False, widget=forms.Textarea)


class ReturnForm(RulesForm, forms.Form):
    """``return_report``'s rules (``given``: the viewer and the report)."""

    rules = RETURN_RULES
    comment = forms.CharField(label=_("What needs correcting"), widget=forms.Textarea,
                              max_length=5000)


class UnlockForm(RulesForm, forms.Form):
    """``unlock``'s rules (``given``: the lock)."""

    rules = UNLOCK_RULES
    reason = forms.CharField(label=_("Reason for unlocking"), widget=forms.Textarea,
                             max_length=2000)


class AttachmentForm(RulesForm, IdempotentForm, forms.Form):
    rules = ATTACHMENT_RULES
    rename = {"file": "upload"}
    file = forms.FileField(label=_("File"))
    caption = forms.CharField(label=_("Caption"), required=False, max_length=300)


class StatusForm(forms.Form):
    unit = forms.IntegerField(required=False, widget=forms.HiddenInput)
    type = forms.ModelChoiceField(label=_("Report type"), to_field_name="code",  # noqa: A003
                                  queryset=ReportType.objects.filter(active=True))
    period = forms.CharField(label=_("Period"), max_length=40, required=False,
                             help_text=PERIOD_HINT)
    campaign = forms.ModelChoiceField(label=_("Campaign"), required=False,
                                      queryset=Campaign.objects.filter(archived=False),
                                      help_text=_("For a campaign report."))

    def __init__(self, *args: Any, viewer: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if viewer is not None:
            field = self.fields["campaign"]
            assert isinstance(field, forms.ModelChoiceField)  # noqa: S101
            field.queryset = (campaigns_visible_to(viewer).filter(archived=False)
                              .order_by("-starts_on"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        report_type = data.get("type")
        if report_type is None:
            return data
        if report_type.kind == ReportType.Kind.CAMPAIGN:
            campaign = data.get("campaign")
            if campaign is None:
                self.add_error("campaign", _("Choose the campaign this report is about."))
            else:
                data["start"], data["end"] = campaign.starts_on, campaign.ends_on
            return data
        data["campaign"] = None
        try:
            data["start"], data["end"] = parse_period(report_type.kind, data.get("period", ""))
        except ActionError as exc:
            add_to_form(self, exc, default="period")
        return data
