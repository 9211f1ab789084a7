"""Creating users and granting roles: only within one's subtree, only what one holds."""

from __future__ import annotations

from typing import Any

import pytest

from ctip.accounts import actions
from ctip.accounts.capabilities import Role
from ctip.accounts.models import RoleAssignment, User
from ctip.accounts.policy import NotInScope, has_capability
from ctip.audit.models import AuditEvent, Outcome
from ctip.core.errors import ActionError
from ctip.units.actions import merge_units
from tests.conftest import PASSWORD, make_user


def events(action: str, **filters: Any) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action, **filters).order_by("id"))


def test_commune_officer_creates_a_user_in_her_subtree(users: Any, tree: Any) -> None:
    officer = users["commune_officer"]
    user, password = actions.create_user(
        actor=officer, username="  Lan.Nguyen ", full_name="Nguyễn Thị Lan",
        home_unit=tree.branch_a1, role=Role.BRANCH_HEAD)
    assert user.username == "lan.nguyen"
    assert user.home_unit == tree.branch_a1
    assert user.must_change_password
    assert user.check_password(password)
    assert user.password.split("$", 1)[0] in {"md5", "argon2"}  # never stored in clear
    assignment = RoleAssignment.objects.get(user=user)
    assert (assignment.role, assignment.unit, assignment.granted_by) == (
        Role.BRANCH_HEAD, tree.branch_a1, officer)
    created = events("user.created", target_id=str(user.pk))
    granted = events("user.role_granted", target_id=str(user.pk))
    assert len(created) == 1 and len(granted) == 1
    assert created[0].actor == officer and granted[0].actor == officer
    assert created[0].unit_path == tree.branch_a1.path
    assert granted[0].changes["role"] == Role.BRANCH_HEAD
    assert password not in str(created[0].changes)


def test_commune_officer_grants_roles_anywhere_below_her(users: Any, tree: Any) -> None:
    officer = users["commune_officer"]
    target = users["speaker"]
    for role, unit in [(Role.BRANCH_HEAD, tree.branch_a2), (Role.VIEWER, tree.group_a1),
                       (Role.SPEAKER, tree.branch_a1)]:
        actions.grant_role(actor=officer, user=target, role=role, unit=unit)
    assert RoleAssignment.objects.active().filter(user=target).count() == 4
    assert len(events("user.role_granted", target_id=str(target.pk), actor=officer)) == 3


@pytest.mark.parametrize("where", ["commune_b", "province", "other_commune"])
def test_granting_outside_her_subtree_is_not_in_scope(users: Any, tree: Any, where: str) -> None:
    with pytest.raises(NotInScope):
        actions.grant_role(actor=users["commune_officer"], user=users["speaker"],
                           role=Role.VIEWER, unit=getattr(tree, where))
    assert not RoleAssignment.objects.filter(user=users["speaker"], role=Role.VIEWER).exists()


def test_creating_a_user_outside_her_subtree_is_not_in_scope(users: Any, tree: Any) -> None:
    with pytest.raises(NotInScope):
        actions.create_user(actor=users["commune_officer"], username="la",
                            full_name="La", home_unit=tree.commune_b, role=Role.VIEWER)
    assert not User.objects.filter(username="la").exists()


def test_granting_to_a_user_she_does_not_manage_is_not_in_scope(users: Any, tree: Any) -> None:
    """Even at her own commune, she cannot hand roles to a user of another province."""
    with pytest.raises(NotInScope):
        actions.grant_role(actor=users["commune_officer"], user=users["other_officer"],
                           role=Role.VIEWER, unit=tree.commune_a)


@pytest.mark.parametrize("role", [Role.CASE_WORKER, Role.AUDITOR, Role.PROVINCE_OFFICER,
                                  Role.SYSTEM_ADMIN, Role.EDITOR, Role.PUBLISHER])
def test_nobody_grants_a_capability_she_does_not_hold(users: Any, tree: Any, role: str) -> None:
    officer = users["commune_officer"]
    with pytest.raises(ActionError):
        actions.grant_role(actor=officer, user=users["speaker"], role=role, unit=tree.commune_a)
    with pytest.raises(ActionError):
        actions.create_user(actor=officer, username="moi", full_name="Mới",
                            home_unit=tree.branch_a1, role=role)
    assert not RoleAssignment.objects.filter(user=users["speaker"], role=role).exists()
    assert not User.objects.filter(username="moi").exists()
    assert not events("user.created", target_label="Mới")


def test_the_refusal_names_the_role_in_the_users_language(users: Any, tree: Any) -> None:
    with pytest.raises(ActionError) as exc:
        actions.grant_role(actor=users["commune_officer"], user=users["speaker"],
                           role=Role.CASE_WORKER, unit=tree.commune_a)
    assert tree.commune_a.name in exc.value.message


def test_province_officer_cannot_grant_system_admin_or_case_worker(users: Any, tree: Any) -> None:
    officer = users["province_officer"]
    for role in (Role.SYSTEM_ADMIN, Role.CASE_WORKER):
        with pytest.raises(ActionError):
            actions.grant_role(actor=officer, user=users["commune_officer"], role=role,
                               unit=tree.commune_a)
    # but she can grant what she holds, anywhere in her province
    actions.grant_role(actor=officer, user=users["commune_officer"],
                       role=Role.COMMUNE_OFFICER, unit=tree.commune_b)
    assert has_capability(User.objects.get(pk=users["commune_officer"].pk), "user.manage",
                          tree.branch_b1)


def test_system_admin_grants_case_worker_in_her_subtree(users: Any, tree: Any) -> None:
    admin = users["system_admin"]
    actions.grant_role(actor=admin, user=users["speaker"], role=Role.CASE_WORKER,
                       unit=tree.commune_a)
    with pytest.raises(NotInScope):
        actions.grant_role(actor=admin, user=users["speaker"], role=Role.CASE_WORKER,
                           unit=tree.other_commune)


def test_duplicate_active_grant_is_refused(users: Any, tree: Any) -> None:
    officer = users["commune_officer"]
    with pytest.raises(ActionError):
        actions.grant_role(actor=officer, user=users["speaker"], role=Role.SPEAKER,
                           unit=tree.commune_a)
    assert RoleAssignment.objects.filter(user=users["speaker"]).count() == 1


def test_revoked_role_can_be_granted_again(users: Any, tree: Any) -> None:
    officer = users["commune_officer"]
    first = RoleAssignment.objects.get(user=users["speaker"])
    actions.revoke_role(actor=officer, assignment=first)
    actions.grant_role(actor=officer, user=users["speaker"], role=Role.SPEAKER,
                       unit=tree.commune_a)
    assert RoleAssignment.objects.filter(user=users["speaker"]).count() == 2
    assert RoleAssignment.objects.active().filter(user=users["speaker"]).count() == 1


def test_revoke_works_and_is_audited(users: Any, tree: Any) -> None:
    officer = users["commune_officer"]
    target = users["branch_head"]
    assignment = RoleAssignment.objects.get(user=target)
    actions.revoke_role(actor=officer, assignment=assignment)
    assignment.refresh_from_db()
    assert assignment.revoked_at is not None and assignment.revoked_by == officer
    assert not has_capability(User.objects.get(pk=target.pk), "activity.manage")
    (event,) = events("user.role_revoked", target_id=str(target.pk))
    assert event.actor == officer and event.outcome == Outcome.OK
    assert event.changes["role"] == Role.BRANCH_HEAD
    assert event.unit_path == tree.branch_a1.path
    # Revoking again changes nothing and records nothing more.
    actions.revoke_role(actor=officer, assignment=assignment)
    assert len(events("user.role_revoked", target_id=str(target.pk))) == 1


def test_revoke_is_limited_like_grant(users: Any, tree: Any) -> None:
    officer = users["commune_officer"]
    # another province: out of scope
    with pytest.raises(NotInScope):
        actions.revoke_role(actor=officer,
                            assignment=RoleAssignment.objects.get(user=users["other_officer"]))
    # her own commune, but a role she could not grant: refused
    with pytest.raises(ActionError):
        actions.revoke_role(actor=officer,
                            assignment=RoleAssignment.objects.get(user=users["case_worker"]))
    assert RoleAssignment.objects.active().filter(
        user__in=[users["other_officer"], users["case_worker"]]).count() == 2
    assert not events("user.role_revoked")


def test_an_administrator_cannot_revoke_her_own_administrator_role(users: Any) -> None:
    admin = users["system_admin"]
    with pytest.raises(ActionError):
        actions.revoke_role(actor=admin, assignment=RoleAssignment.objects.get(user=admin))


def test_granting_at_a_closed_unit_is_refused(users: Any, tree: Any) -> None:
    merge_units(actor=None, sources=[tree.commune_b], into=tree.commune_a)
    tree.commune_b.refresh_from_db()
    with pytest.raises(ActionError):
        actions.grant_role(actor=users["province_officer"], user=users["speaker"],
                           role=Role.VIEWER, unit=tree.commune_b)


def test_unknown_role_is_refused(users: Any, tree: Any) -> None:
    with pytest.raises(ActionError):
        actions.grant_role(actor=users["province_officer"], user=users["speaker"],
                           role="superuser", unit=tree.commune_a)
    with pytest.raises(ActionError):
        actions.create_user(actor=users["province_officer"], username="x1", full_name="X",
                            home_unit=tree.commune_a, role="superuser")


@pytest.mark.parametrize("username", ["", "   ", "nguyễn", "lan nguyen", "lan@xa", "lan/xa",
                                      "a" * 151])
def test_username_rules(users: Any, tree: Any, username: str) -> None:
    with pytest.raises(ActionError) as exc:
        actions.create_user(actor=users["commune_officer"], username=username,
                            full_name="Lan", home_unit=tree.commune_a, role=Role.SPEAKER)
    assert exc.value.field == "username"


def test_usernames_are_unique_whatever_the_case(users: Any, tree: Any) -> None:
    with pytest.raises(ActionError) as exc:
        actions.create_user(actor=users["commune_officer"], username="XA", full_name="Xa 2",
                            home_unit=tree.commune_a, role=Role.SPEAKER)
    assert exc.value.field == "username"


@pytest.mark.parametrize("password", ["short1", "12345678901234", "password123",
                                      "nguyenthilan"])
def test_weak_passwords_are_refused_by_the_validators(users: Any, tree: Any,
                                                      password: str) -> None:
    with pytest.raises(ActionError) as exc:
        actions.create_user(actor=users["commune_officer"], username="nguyenthilan",
                            full_name="Nguyễn Thị Lan", home_unit=tree.commune_a,
                            role=Role.SPEAKER, password=password)
    assert exc.value.field == "password"
    assert not User.objects.filter(username="nguyenthilan").exists()


def test_generated_passwords_pass_the_validators(users: Any, tree: Any) -> None:
    _user, password = actions.create_user(actor=users["commune_officer"], username="lan",
                                          full_name="Lan", home_unit=tree.commune_a,
                                          role=Role.SPEAKER)
    assert len(password) >= 10


def test_conftest_password_is_not_weak(tree: Any) -> None:
    user = make_user("kiemtra", Role.VIEWER, tree.commune_a)
    assert user.check_password(PASSWORD)
