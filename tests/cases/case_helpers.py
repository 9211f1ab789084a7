"""Building persons and support cases through the real actions, for the case tests and the
access matrix."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ctip.accounts.capabilities import Role
from ctip.cases import actions
from ctip.cases.models import Person, SupportCase
from tests.conftest import make_user

CONSENT_DAY = dt.date(2026, 1, 5)


def register(unit: Any, *, actor: Any = None, full_name: str = "Trần Thị Mai",
             birth_year: int | None = 2001, **identity: Any) -> Person:
    return actions.create_person(actor=actor, unit=unit, full_name=full_name,
                                 birth_year=birth_year, **identity)


def consent(person: Person, purpose: str = "support", *, actor: Any = None,
            agency: Any = None, given_by: str = "person") -> Any:
    return actions.record_consent(actor=actor, person=person, purpose=purpose, agency=agency,
                                  given_on=CONSENT_DAY, given_by=given_by)


def open_case(unit: Any, worker: Any, *, person: Person | None = None,
              kind: str = "returned_victim", **kwargs: Any) -> SupportCase:
    """A person with consent to support and an open case in ``unit`` assigned to
    ``worker`` (who may be None)."""
    if person is None:
        person = register(unit, **{k: kwargs.pop(k) for k in list(kwargs)
                                   if k in {"full_name", "birth_year", "phone", "id_number",
                                            "address", "other_names", "guardian"}})
        consent(person)
    return actions.open_case(actor=None, unit=unit, person=person, kind=kind,
                             workers=[worker] if worker else [],
                             opened_on=kwargs.pop("opened_on", dt.date(2026, 1, 10)), **kwargs)


def matrix_case(tree: Any, users: Any, inside: bool) -> SupportCase:
    """For the access matrix: a case in commune A assigned to the demo case worker, or one in
    the other province assigned to a case worker there."""
    if inside:
        return open_case(tree.commune_a, users["case_worker"])
    worker = make_user("hotro.caobang", Role.CASE_WORKER, tree.other_commune)
    return open_case(tree.other_commune, worker, full_name="Nông Thị Hạnh")
