"""The disclosure-control layer (cell-key perturbation with a threshold, decision 0019) as
a plain function (the person-level files are tested in ``test_ctdc.py``)."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import pytest

from ctip.cases import actions
from ctip.reports.privacy import (
    MARK,
    MAX_NOISE,
    MODULUS,
    PERTURBATION,
    THRESHOLD,
    UnprotectedIndicator,
    feasible,
    protect,
    protect_values,
)
from tests.cases.case_helpers import consent

PERTURBATION_SHA256 = "1cab5a133b895d04bfbc41ae40f8d4319cbb74142782619f5f4d75e574d0d002"


def test_no_count_of_one_to_four_is_ever_published() -> None:
    for n in range(1, THRESHOLD):
        for key in range(MODULUS):
            assert protect(n, key, f"situations|total|{key}") == MARK


def test_every_published_value_is_true_to_its_documented_meaning() -> None:
    """A number is at least the threshold and at most 2 from the truth, a zero is a zero, the
    mark stands for 0-6: what ``feasible`` says a reader may infer holds for every count and
    every cell key."""
    for n in range(0, 90):
        for key in range(MODULUS):
            shown = protect(n, key, f"services|medical|{n}|{key}")
            low, high = feasible(shown)
            assert low <= n and (high is None or n <= high), (n, key, shown)
            if isinstance(shown, int) and shown:
                assert shown >= THRESHOLD and abs(shown - n) <= MAX_NOISE


def test_the_same_records_always_get_the_same_noise() -> None:
    # the noise depends on the count and the cell key only: a fixed table, mean zero per row
    assert [protect(40, key, "a") for key in range(MODULUS)] == \
        [protect(40, key, "b") for key in range(MODULUS)]
    for row in PERTURBATION:
        assert len(row) == MODULUS and sum(row) == 0 and set(row) == {-2, -1, 0, 1, 2}
    # the table is part of the published method: changing it changes every published figure
    digest = hashlib.sha256(repr(PERTURBATION).encode()).hexdigest()
    assert digest == PERTURBATION_SHA256
    # a cell key is a sum of record keys modulo 256: the same people, the same key
    assert protect(12, 300, "x") == protect(12, 300 - MODULUS, "x")


def test_some_zeros_carry_the_mark_so_the_mark_never_proves_a_person() -> None:
    shown = [protect(0, 0, f"situations|other|{i}|2026-01-01|2026-01-31") for i in range(400)]
    marked = shown.count(MARK)
    assert set(shown) == {0, MARK}
    assert 50 < marked < 150  # about one in four
    assert protect(0, 0, "same cell") == protect(0, 0, "same cell")


def test_a_person_count_indicator_without_keys_is_refused() -> None:
    with pytest.raises(UnprotectedIndicator):
        protect_values({"situations": {"total": 3, "other": 3}}, {}, "1|2026-01-01|2026-12-31")
    # counts that are not about people stay exact
    assert protect_values({"sessions": {"total": 3, "meeting": 3}}, {}, "w") == \
        {"sessions": {"total": 3, "meeting": 3}}


def _victims(unit: Any, n: int, *, birth_year: int = 1995, sex: str = "female",
             opened_on: dt.date = dt.date(2026, 3, 2)) -> list[Any]:
    persons = []
    for i in range(n):
        person = actions.create_person(actor=None, unit=unit, full_name=f"Người số {i}",
                                       birth_year=birth_year, sex=sex)
        consent(person)
        actions.open_case(actor=None, unit=unit, person=person, kind="returned_victim",
                          opened_on=opened_on)
        persons.append(person)
    return persons


# --- Every indicator about people is registered with the layer ------------------------------

PERSON_FACTS = ("cases.Situation", "cases.Referral", "cases.SupportCase", "cases.Service",
                "cases.Person", "cases.Visit", "cases.FollowUp", "cases.TraffickingEvent")


def unregistered(catalogue: list[Any]) -> list[str]:
    """Indicators computed from a table of facts about people that do not declare themselves
    to the disclosure-control layer (a count or an amount of people)."""
    return [i.code for i in catalogue
            if any(model in i.source for model in PERSON_FACTS)
            and not (i.is_person_count or i.is_person_amount)]


def test_every_indicator_about_people_is_registered(tree: Any) -> None:
    from dataclasses import replace

    from ctip.reports import indicators as ind
    from ctip.reports.periods import Period

    assert unregistered(ind.CATALOGUE) == []
    # a new indicator read from the services that skips the layer is caught
    fake = replace(ind.get("services"), code="services_new", is_person_count=False)
    assert unregistered([*ind.CATALOGUE, fake]) == ["services_new"]
    # every registered indicator gets the cell keys of its records from its source, in the
    # shape of its value; without them the layer refuses to publish it
    _victims(tree.commune_a, 2)
    total, keys, per_child = ind.compute_keyed(tree.province, Period.year(2026))
    for indicator in ind.CATALOGUE:
        if not (indicator.is_person_count or indicator.is_person_amount):
            continue
        assert indicator.code in keys, indicator.code
        value, key = total[indicator.code], keys[indicator.code]
        if isinstance(value, dict) and indicator.is_person_count:
            parts = set(value) - ({"total"} if indicator.measure == "percent" else set())
            assert parts <= set(key), (indicator.code, parts - set(key))
        for _unit, _values, child_keys in per_child:
            assert indicator.code in child_keys
    shown = protect_values(total, keys, "test")
    assert shown["cases_opened"]["total"] == MARK  # two cases: never shown
    assert shown["victims_supported_pct"]["total"] == MARK
    with pytest.raises(UnprotectedIndicator):
        protect_values(total, {k: v for k, v in keys.items() if k != "referrals"}, "test")
