"""Access-matrix rows for persons and support cases (for ``tests/test_access_matrix.py``).

In scope: a case in commune A assigned to the demo case worker. Out of scope: a case in a
commune of another province. The identity and the export answer POST only (a GET answers 405
to everybody, so that no link, prefetch or cache opens them): ``METHODS`` says which targets
the runner must POST. Until the runner reads ``METHODS``, ``tests/cases/test_case_views.py``
runs these rows itself."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.urls import reverse


def setup(tree: Any, users: Any) -> None:
    from tests.cases.case_helpers import open_case

    open_case(tree.commune_a, users["case_worker"], full_name="Người Ma Trận Trong")
    open_case(tree.other_commune, None, full_name="Người Ma Trận Ngoài")


def _case(tree: Any, users: Any, inside: bool) -> Any:
    from ctip.cases.models import SupportCase

    if inside:
        return (SupportCase.objects.filter(unit=tree.commune_a, workers=users["case_worker"])
                .order_by("pk").first())
    return SupportCase.objects.filter(unit=tree.other_commune).order_by("pk").first()


def _counts(tree: Any, inside: bool) -> str:
    unit = tree.commune_a if inside else tree.other_commune
    return reverse("cases:unit_case_counts", args=[unit.pk])


TARGETS: dict[str, Callable[[Any, Any, bool], str]] = {
    "case.list": lambda t, u, inside: reverse("cases:case_list"),
    "case.detail": lambda t, u, inside: reverse("cases:case_detail",
                                                args=[_case(t, u, inside).pk]),
    "person.detail": lambda t, u, inside: reverse("cases:person_detail",
                                                  args=[_case(t, u, inside).person_id]),
    "person.identity": lambda t, u, inside: reverse("cases:person_identity",
                                                    args=[_case(t, u, inside).person_id]),
    "person.export": lambda t, u, inside: reverse("cases:person_export_json",
                                                  args=[_case(t, u, inside).person_id]),
    "case.counts": lambda t, u, inside: _counts(t, inside),
    "breakglass.list": lambda t, u, inside: reverse("cases:breakglass_list"),
}
METHODS: dict[str, str] = {"person.identity": "post", "person.export": "post"}

_CASES = {"case.list", "case.detail", "person.detail"}
ALLOWED: dict[str, set[str]] = {
    # an identity.view holder over the unit who is not assigned: the identity page answers
    # with the break-glass reason form; she may not export
    "system_admin": _CASES | {"person.identity", "case.counts", "breakglass.list"},
    "province_officer": _CASES | {"case.counts"},
    "commune_officer": _CASES | {"case.counts"},
    "branch_head": set(),
    "speaker": set(),
    "case_worker": _CASES | {"person.identity", "person.export", "breakglass.list"},
    "editor": set(),
    "publisher": set(),
    "auditor": set(),
    "viewer": {"case.counts"},
}
UNSCOPED = {"case.list", "breakglass.list"}
