"""Access-matrix rows for situations (run by ``tests/test_access_matrix.py``).

In scope: a situation the branch head reported in her branch A1 (commune A), which every
commune-level role with situation rights may open, and she as its reporter. Out of scope: a
situation in a commune of another province. The inbox is opened for commune A, or for that
other commune."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.urls import reverse

IN_TEXT, OUT_TEXT = "Tình huống ma trận trong phạm vi", "Tình huống ma trận ngoài phạm vi"


def setup(tree: Any, users: Any) -> None:
    from ctip.cases.actions import create_situation

    create_situation(actor=users["branch_head"], unit=tree.branch_a1, category="missing",
                     source="member", description=IN_TEXT)
    create_situation(actor=None, unit=tree.other_commune, category="missing",
                     source="officer", description=OUT_TEXT)


def _situation(tree: Any, inside: bool) -> int:
    from ctip.cases.models import Situation

    unit = tree.branch_a1 if inside else tree.other_commune
    return Situation.objects.get(unit=unit).pk


TARGETS: dict[str, Callable[[Any, Any, bool], str]] = {
    "situation.detail": lambda t, u, inside: reverse("cases:situation_detail",
                                                     args=[_situation(t, inside)]),
    "situation.inbox": lambda t, u, inside: reverse(
        "cases:unit_inbox", args=[(t.commune_a if inside else t.other_commune).pk]),
    # beyond the two asked for: the list and the quick report, which hold no one object
    "situation.list": lambda t, u, inside: reverse("cases:situation_list"),
    "situation.create": lambda t, u, inside: reverse("cases:situation_create"),
}

ALLOWED: dict[str, set[str]] = {
    "system_admin": {"situation.detail", "situation.inbox", "situation.list",
                     "situation.create"},
    "province_officer": {"situation.detail", "situation.inbox", "situation.list",
                         "situation.create"},
    "commune_officer": {"situation.detail", "situation.inbox", "situation.list",
                        "situation.create"},
    # she reported it; she has no inbox (no situation.view)
    "branch_head": {"situation.detail", "situation.list", "situation.create"},
    "speaker": set(),
    "case_worker": {"situation.detail", "situation.inbox", "situation.list"},
    "editor": set(),
    "publisher": set(),
    "auditor": set(),
    "viewer": set(),
}
UNSCOPED = {"situation.list", "situation.create"}
