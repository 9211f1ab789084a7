"""A case's kind and risk factors are checked against their lists by the actions themselves
(decision 0069): whatever calls them, a form, a command, an import or the API, an unknown code
is refused and nothing is stored."""

from __future__ import annotations

from typing import Any

import pytest

from ctip.cases import actions
from ctip.cases.models import RISK_FACTORS, SupportCase
from ctip.core.errors import ActionError
from tests.cases.case_helpers import consent, open_case, register


@pytest.mark.parametrize("bad", [{"kind": "smuggled"}, {"risk_factors": ["poverty", "x1"]}])
def test_opening_a_case_refuses_codes_not_in_the_lists(bad: dict[str, Any], tree: Any,
                                                       users: Any) -> None:
    person = register(tree.commune_a)
    consent(person)
    with pytest.raises(ActionError) as refused:
        open_case(tree.commune_a, users["case_worker"], person=person, **bad)
    assert refused.value.field == next(iter(bad))
    assert not SupportCase.objects.filter(person=person).exists()


def test_a_case_s_edit_refuses_codes_not_in_the_lists(tree: Any, users: Any) -> None:
    case = open_case(tree.commune_a, users["case_worker"], risk_factors=["poverty", "debt"])
    assert case.risk_factors == ["debt", "poverty"]
    for bad in ({"kind": "smuggled"}, {"risk_factors": ["<b>x</b>"]}):
        with pytest.raises(ActionError):
            actions.update_case(actor=users["case_worker"], case=case, **bad)
    case.refresh_from_db()
    assert (case.kind, case.risk_factors) == ("returned_victim", ["debt", "poverty"])
    every = [code for code, _label in RISK_FACTORS]
    actions.update_case(actor=users["case_worker"], case=case, risk_factors=every)
    case.refresh_from_db()
    assert case.risk_factors == sorted(every)
