"""Ids too large for the database match nothing, in every ``__in`` filter (SQLite raised
OverflowError: a 500 on any multiple choice given 2^63)."""

from __future__ import annotations

from typing import Any

from django import forms

from ctip.org.models import Unit
from ctip.outreach.models import Activity
from tests.conftest import log_activity


def test_in_filters_ignore_ids_out_of_range(tree: Any, formats: Any) -> None:
    activity = log_activity(tree.branch_a1, formats["meeting"])
    huge = [2**63, 2**64 + 1, -(2**63) - 1]
    assert list(Unit.objects.filter(pk__in=huge)) == []
    assert list(Unit.objects.filter(pk__in=[*huge, tree.province.pk])) == [tree.province]
    assert list(Activity.objects.filter(unit__in=huge)) == []
    assert list(Activity.objects.filter(unit__in=[*huge, tree.branch_a1.pk])) == [activity]
    assert list(Activity.objects.filter(unit_id__in=huge)) == []
    assert Unit.objects.filter(pk__in=[str(2**63)]).count() == 0


def test_a_multiple_choice_with_a_huge_id_is_a_validation_error(tree: Any) -> None:
    class Choose(forms.Form):
        units = forms.ModelMultipleChoiceField(queryset=Unit.objects.all())
        unit = forms.ModelChoiceField(queryset=Unit.objects.all())

    form = Choose({"units": [str(2**63), str(tree.province.pk)], "unit": str(2**63)})
    assert not form.is_valid()
    assert set(form.errors) == {"units", "unit"}
