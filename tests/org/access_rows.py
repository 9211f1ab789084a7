"""Access-matrix rows for units, users and the audit trail.

In-scope objects sit in commune A (Xã Đức Hòa) of Tây Ninh, where the commune-level roles hold
their role; out-of-scope objects sit in another province."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.urls import reverse

TARGETS: dict[str, Callable[[Any, Any, bool], str]] = {
    "unit.detail": lambda t, u, inside: reverse(
        "org:unit_detail", args=[(t.branch_a1 if inside else t.other_commune).pk]),
    "unit.children": lambda t, u, inside: reverse(
        "org:children", args=[(t.commune_a if inside else t.other_province).pk]),
    "unit.edit": lambda t, u, inside: reverse(
        "org:unit_edit", args=[(t.branch_a1 if inside else t.other_commune).pk]),
    "unit.create_child": lambda t, u, inside: reverse(
        "org:unit_create", args=[(t.branch_a1 if inside else t.other_commune).pk]),
    "unit.move": lambda t, u, inside: reverse(
        "org:unit_move", args=[(t.branch_a1 if inside else t.other_commune).pk]),
    "user.detail": lambda t, u, inside: reverse(
        "accounts:user_detail", args=[(u["branch_head"] if inside else u["other_officer"]).pk]),
    "audit.list": lambda t, u, inside: reverse("audit:event_list"),
}
_UNITS = {"unit.detail", "unit.children", "unit.edit", "unit.create_child", "unit.move"}
ALLOWED: dict[str, set[str]] = {
    "system_admin": _UNITS | {"user.detail", "audit.list"},
    "province_officer": _UNITS | {"user.detail"},
    "commune_officer": _UNITS | {"user.detail"},
    "branch_head": {"unit.detail"},
    "speaker": {"unit.detail", "unit.children"},
    "case_worker": {"unit.detail", "unit.children"},
    "editor": set(),
    "publisher": set(),
    "auditor": {"unit.detail", "unit.children", "user.detail", "audit.list"},
    "viewer": {"unit.detail", "unit.children"},
}
# Lists not scoped by one object: they open, but show nothing outside the viewer's subtree
# (checked in the module tests).
UNSCOPED = {"audit.list"}
