"""Unit choosers in the CMS that show the tree and can be searched (issue #16 point 5).

Every foreign key to ``org.Unit`` in Wagtail's admin forms (a section's unit in charge, an
article's publishing unit) is chosen from the open units in tree order, each indented under its
parent ("— — Xã Đức Hòa"), the staff app's ``UnitChoiceField``. The select carries
``data-ctip-unit-search``: ``portal/cms-init.js`` puts a search box above it that keeps only the
units whose name matches, with or without accents; without JavaScript the tree-ordered list is
still there.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms.models import register_form_field_override

from ctip.accounts.forms import UnitChoiceField
from ctip.org.models import Unit


class UnitSearchSelect(forms.Select):
    def __init__(self, attrs: dict[str, Any] | None = None, choices: Any = ()) -> None:
        attrs = {"data-ctip-unit-search": _("Search for a unit by name"), **(attrs or {})}
        super().__init__(attrs, choices)


def use_unit_tree_chooser() -> None:
    """Called from ``PortalConfig.ready``."""
    register_form_field_override(models.ForeignKey, to=Unit, override={
        "form_class": UnitChoiceField, "queryset": Unit.objects.open(),
        "widget": UnitSearchSelect})
