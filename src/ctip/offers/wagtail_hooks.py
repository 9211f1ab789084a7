"""The library of warning signs in the CMS (``/cms/snippets/offers/warningsign/``), with every
change written to ctip's audit trail as well as Wagtail's history."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, MultiFieldPanel, ObjectList
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from ctip.audit.actions import record
from ctip.offers.models import HTCDS_FIELDS, WarningSign


def _codes_field(name: str) -> forms.MultipleChoiceField:
    """Ticks of an HTCDS code list (without "other" and "unknown", which no sign warns of)."""
    choices = [(value, label) for value, label in HTCDS_FIELDS[name].choices
               if value not in ("other", "unknown")]
    return forms.MultipleChoiceField(
        label=WarningSign._meta.get_field(name).verbose_name, choices=choices, required=False,
        widget=forms.CheckboxSelectMultiple)


class WarningSignForm(WagtailAdminModelForm):
    recruitment_methods = _codes_field("recruitment_methods")
    exploitation = _codes_field("exploitation")
    means_of_control = _codes_field("means_of_control")


class WarningSignViewSet(SnippetViewSet):
    model = WarningSign
    icon = "warning"
    menu_label = _("Warning signs")
    menu_order = 300
    add_to_admin_menu = True
    list_display = ["title", "code", "weight", "active", "sort_order"]
    list_filter = ["active"]
    search_fields = ["title", "code", "phrases"]
    panels = [
        FieldPanel("title"), FieldPanel("code"), FieldPanel("explanation"),
        FieldPanel("questions"), FieldPanel("weight"),
        MultiFieldPanel([FieldPanel("phrases"), FieldPanel("patterns")],
                        heading=_("What finds the sign")),
        MultiFieldPanel([FieldPanel("pay_threshold"), FieldPanel("pay_context")],
                        heading=_("Pay far above the market")),
        FieldPanel("articles", widget=forms.CheckboxSelectMultiple),
        MultiFieldPanel([FieldPanel("recruitment_methods"), FieldPanel("exploitation"),
                         FieldPanel("means_of_control"),
                         FieldPanel("topics", widget=forms.CheckboxSelectMultiple)],
                        heading=_("What it warns of, for the prevention figures")),
        FieldPanel("active"), FieldPanel("sort_order"),
    ]
    edit_handler = ObjectList(panels, base_form_class=WarningSignForm)


register_snippet(WarningSignViewSet)


def _audit(action: str, request: Any, sign: WarningSign) -> None:
    record(actor=request.user, action=action, target=sign, target_label=sign.code,
           changes={"title": sign.title, "weight": sign.weight, "active": sign.active})


@hooks.register("after_create_snippet")
def audit_created(request: Any, instance: Any) -> None:
    if isinstance(instance, WarningSign):
        _audit("offers.sign.created", request, instance)


@hooks.register("after_edit_snippet")
def audit_edited(request: Any, instance: Any) -> None:
    if isinstance(instance, WarningSign):
        _audit("offers.sign.edited", request, instance)


@hooks.register("after_delete_snippet")
def audit_deleted(request: Any, instances: Any) -> None:
    for instance in instances:
        if isinstance(instance, WarningSign):
            _audit("offers.sign.deleted", request, instance)
