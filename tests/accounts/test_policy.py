"""The permission policy: grants cover a unit's subtree, and nothing else."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from ctip.accounts import actions, policy
from ctip.accounts.capabilities import CAPABILITIES, ROLE_CAPABILITIES, Role, capabilities_of
from ctip.accounts.models import RoleAssignment
from ctip.org.models import Unit
from ctip.units.actions import merge_units
from tests.conftest import make_user


def fresh(user: Any) -> Any:
    """The same user without cached grants, as the next request would see it."""
    return type(user).objects.get(pk=user.pk)


def test_every_role_is_defined_in_one_place_with_known_capabilities() -> None:
    assert set(ROLE_CAPABILITIES) == set(Role.values)
    assert set(Role.values) == {
        "system_admin", "province_officer", "commune_officer", "branch_head", "speaker",
        "case_worker", "editor", "publisher", "auditor", "viewer", "security_officer",
    }
    for role in Role.values:
        caps = capabilities_of(role)
        assert caps, f"{role} has no capabilities"
        assert caps <= set(CAPABILITIES), caps - set(CAPABILITIES)
    assert capabilities_of(Role.SYSTEM_ADMIN) == frozenset(CAPABILITIES)


def test_only_case_workers_and_administrators_see_identities() -> None:
    holders = {role for role in Role.values if "identity.view" in capabilities_of(role)}
    assert holders == {Role.SYSTEM_ADMIN, Role.CASE_WORKER}


def test_a_grant_covers_the_unit_and_its_whole_subtree(tree: Any) -> None:
    officer = make_user("xa", Role.COMMUNE_OFFICER, tree.commune_a)
    for unit in (tree.commune_a, tree.branch_a1, tree.branch_a2, tree.group_a1):
        assert policy.has_capability(officer, "user.manage", unit), unit.name


def test_a_grant_covers_neither_siblings_nor_parents_nor_other_provinces(tree: Any) -> None:
    officer = make_user("xa", Role.COMMUNE_OFFICER, tree.commune_a)
    for unit in (tree.commune_b, tree.branch_b1, tree.province, tree.central,
                 tree.other_province, tree.other_commune):
        assert not policy.has_capability(officer, "unit.view", unit), unit.name
        assert policy.capabilities_at(officer, unit) == frozenset()


def test_a_path_prefix_that_is_not_an_ancestor_is_not_covered(tree: Any) -> None:
    """Paths are ``/1/2/``: unit 2 must not cover unit 23 just because "/1/2" prefixes "/1/23"."""
    officer = make_user("xa", Role.COMMUNE_OFFICER, tree.commune_a)
    assert tree.commune_a.path.endswith("/")
    lookalike = Unit(name="lookalike", path=tree.commune_a.path[:-1] + "9/")
    assert not policy.has_capability(officer, "unit.view", lookalike)
    assert policy.capabilities_at(officer, lookalike) == frozenset()


def test_capability_without_unit_means_anywhere(tree: Any) -> None:
    speaker = make_user("bcv", Role.SPEAKER, tree.branch_a1)
    assert policy.has_capability(speaker, "activity.log_own")
    assert not policy.has_capability(speaker, "user.view")


def test_several_roles_add_up(tree: Any) -> None:
    user = make_user("nhieu", Role.SPEAKER, tree.branch_a1)
    actions.grant_role(actor=None, user=user, role=Role.AUDITOR, unit=tree.commune_b)
    user = fresh(user)
    assert policy.capabilities_at(user, tree.group_a1) == capabilities_of(Role.SPEAKER)
    assert policy.capabilities_at(user, tree.branch_b1) == capabilities_of(Role.AUDITOR)
    actions.grant_role(actor=None, user=user, role=Role.VIEWER, unit=tree.commune_a)
    user = fresh(user)
    assert policy.capabilities_at(user, tree.group_a1) == (
        capabilities_of(Role.SPEAKER) | capabilities_of(Role.VIEWER))
    assert policy.has_capability(user, "audit.view", tree.branch_b1)
    assert not policy.has_capability(user, "audit.view", tree.branch_a1)


def test_a_revoked_assignment_gives_nothing(tree: Any) -> None:
    user = make_user("xa", Role.COMMUNE_OFFICER, tree.commune_a)
    assignment = RoleAssignment.objects.get(user=user)
    actions.revoke_role(actor=None, assignment=assignment)
    user = fresh(user)
    assert policy.grants_of(user) == []
    assert not policy.has_capability(user, "unit.view")
    assert policy.scope_paths(user, "unit.view") == []


def test_revoking_her_own_role_updates_her_grants_at_once(tree: Any) -> None:
    officer = make_user("xa", Role.COMMUNE_OFFICER, tree.commune_a)
    actions.grant_role(actor=officer, user=officer, role=Role.BRANCH_HEAD, unit=tree.branch_a1)
    assert len(policy.grants_of(officer)) == 2
    assignment = RoleAssignment.objects.select_related("user").get(
        user=officer, role=Role.BRANCH_HEAD)
    actions.revoke_role(actor=officer, assignment=assignment)
    assert [g.role for g in policy.grants_of(officer)] == [Role.COMMUNE_OFFICER]
    assert [g.role for g in policy.grants_of(assignment.user)] == [Role.COMMUNE_OFFICER]


def test_a_role_at_a_closed_unit_gives_nothing(tree: Any) -> None:
    user = make_user("phuong", Role.COMMUNE_OFFICER, tree.commune_b)
    merge_units(actor=None, sources=[tree.commune_b], into=tree.commune_a)
    user = fresh(user)
    assert policy.grants_of(user) == []
    assert not policy.has_capability(user, "unit.view")


def test_inactive_and_anonymous_users_have_no_grants(tree: Any) -> None:
    user = make_user("xa", Role.COMMUNE_OFFICER, tree.commune_a)
    user.is_active = False
    assert policy.grants_of(user) == []
    assert policy.grants_of(AnonymousUser()) == []
    assert policy.navigation_for(AnonymousUser()) == []


def test_scope_paths_drop_nested_roots_and_duplicates(tree: Any) -> None:
    user = make_user("nhieu", Role.VIEWER, tree.branch_a1)
    actions.grant_role(actor=None, user=user, role=Role.VIEWER, unit=tree.commune_a)
    actions.grant_role(actor=None, user=user, role=Role.SPEAKER, unit=tree.commune_a)
    actions.grant_role(actor=None, user=user, role=Role.VIEWER, unit=tree.other_commune)
    user = fresh(user)
    assert sorted(policy.scope_paths(user, "unit.view")) == sorted(
        [tree.commune_a.path, tree.other_commune.path])
    # A capability held only through one role is scoped by that role alone.
    assert policy.scope_paths(user, "activity.log_own") == [tree.commune_a.path]
    assert policy.scope_paths(user, "user.manage") == []


def test_scope_q_selects_exactly_the_subtrees(tree: Any) -> None:
    user = make_user("nhieu", Role.VIEWER, tree.branch_a1)
    actions.grant_role(actor=None, user=user, role=Role.VIEWER, unit=tree.group_a1)
    actions.grant_role(actor=None, user=user, role=Role.VIEWER, unit=tree.branch_b1)
    user = fresh(user)
    names = set(Unit.objects.filter(policy.scope_q(user, "unit.view"))
                .values_list("name", flat=True))
    assert names == {tree.branch_a1.name, tree.group_a1.name, tree.branch_b1.name}
    # The nested grant at the group adds no second copy of the group.
    assert Unit.objects.filter(policy.scope_q(user, "unit.view")).count() == 3
    assert not Unit.objects.filter(policy.scope_q(user, "user.view")).exists()


def test_scope_q_on_a_related_path(tree: Any) -> None:
    officer = make_user("xa", Role.COMMUNE_OFFICER, tree.commune_a)
    make_user("chihoi", Role.BRANCH_HEAD, tree.branch_a1)
    make_user("phuong", Role.COMMUNE_OFFICER, tree.commune_b)
    from ctip.accounts.models import User

    visible = set(User.objects.filter(policy.scope_q(officer, "user.view", "home_unit__path"))
                  .values_list("username", flat=True))
    assert visible == {"xa", "chihoi"}


def test_require_raises_not_in_scope(tree: Any) -> None:
    officer = make_user("xa", Role.COMMUNE_OFFICER, tree.commune_a)
    policy.require(officer, "unit.manage", tree.branch_a2)
    with pytest.raises(policy.NotInScope):
        policy.require(officer, "unit.manage", tree.commune_b)
    with pytest.raises(policy.NotInScope):
        policy.require(officer, "audit.view", tree.commune_a)


def test_navigation_follows_capabilities(tree: Any) -> None:
    speaker = make_user("bcv", Role.SPEAKER, tree.commune_a)
    auditor = make_user("kiemtoan", Role.AUDITOR, tree.province)
    speaker_urls = {item.url for item in policy.navigation_for(speaker)}
    auditor_urls = {item.url for item in policy.navigation_for(auditor)}
    users_url, audit_url = reverse("accounts:user_list"), reverse("audit:event_list")
    assert users_url not in speaker_urls and audit_url not in speaker_urls
    assert {users_url, audit_url} <= auditor_urls


def test_roles_grantable_by_follow_the_capabilities_held(tree: Any) -> None:
    officer = make_user("xa", Role.COMMUNE_OFFICER, tree.commune_a)
    assert set(policy.roles_grantable_by(officer)) == {
        Role.COMMUNE_OFFICER, Role.BRANCH_HEAD, Role.SPEAKER, Role.VIEWER}
    actions.grant_role(actor=None, user=officer, role=Role.CASE_WORKER, unit=tree.branch_a1)
    assert Role.CASE_WORKER in policy.roles_grantable_by(fresh(officer))
    speaker = make_user("bcv", Role.SPEAKER, tree.commune_a)
    assert policy.roles_grantable_by(speaker) == []
    admin = make_user("admin", Role.SYSTEM_ADMIN, tree.province)
    assert set(policy.roles_grantable_by(admin)) == set(Role.values)
