"""User management pages: scoped lists, 404 outside the scope, audited writes behind CSRF."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from ctip.accounts import actions
from ctip.accounts.capabilities import Role
from ctip.accounts.models import RoleAssignment, User
from ctip.audit.models import AuditEvent, Outcome
from tests.conftest import make_user


def label(role: str) -> str:
    """The role's name as the (Vietnamese) page shows it, whatever the translation says."""
    with translation.override("vi"):
        return str(Role(role).label)


def listed_usernames(response: Any) -> set[str]:
    return {u.username for u in response.context["page"].object_list}


def detail(user: User) -> str:
    return reverse("accounts:user_detail", args=[user.pk])


def test_commune_officer_lists_only_users_of_her_subtree(users: Any, client_for: Any) -> None:
    response = client_for(users["commune_officer"]).get(reverse("accounts:user_list"))
    assert response.status_code == 200
    assert listed_usernames(response) == {"xa", "chihoi", "bcv", "hotro"}
    body = response.content.decode()
    assert "Chihoi" in body and detail(users["branch_head"]) in body
    assert label(Role.BRANCH_HEAD) in body and "Chi hội ấp Mỹ Lộc" in body
    for hidden in ("caobang", "tinh", "admin", "kiemtoan"):
        assert f">{hidden}<" not in body
    assert detail(users["other_officer"]) not in body
    assert reverse("accounts:user_create") in body


def test_province_officer_lists_her_province_only(users: Any, client_for: Any) -> None:
    response = client_for(users["province_officer"]).get(reverse("accounts:user_list"))
    assert "caobang" not in listed_usernames(response)
    assert {"tinh", "xa", "hotro", "admin"} <= listed_usernames(response)


def test_auditor_lists_users_but_cannot_manage(users: Any, client_for: Any) -> None:
    response = client_for(users["auditor"]).get(reverse("accounts:user_list"))
    assert response.status_code == 200
    assert reverse("accounts:user_create") not in response.content.decode()
    page = client_for(users["auditor"]).get(detail(users["commune_officer"]))
    assert page.status_code == 200
    assert page.context["grant_form"] is None
    assert reverse("accounts:password_reset", args=[users["commune_officer"].pk]) \
        not in page.content.decode()


def test_search_ignores_accents(users: Any, tree: Any, client_for: Any) -> None:
    make_user("lan", Role.SPEAKER, tree.branch_a2, full_name="Nguyễn Thị Lan")
    response = client_for(users["commune_officer"]).get(reverse("accounts:user_list"),
                                                         {"q": "nguyen thi"})
    assert listed_usernames(response) == {"lan"}
    assert "Nguyễn Thị Lan" in response.content.decode()


def test_without_user_view_the_list_is_404_and_recorded(users: Any, client_for: Any) -> None:
    speaker = users["speaker"]
    response = client_for(speaker).get(reverse("accounts:user_list"))
    assert response.status_code == 404
    event = AuditEvent.objects.get(action="access.refused")
    assert event.actor == speaker and event.outcome == Outcome.REFUSED
    assert event.target_label == reverse("accounts:user_list")


@pytest.mark.parametrize("target", ["other_officer", "province_officer", "system_admin"])
def test_a_user_outside_her_scope_is_404_and_recorded(users: Any, client_for: Any,
                                                      target: str) -> None:
    officer = users["commune_officer"]
    response = client_for(officer).get(detail(users[target]))
    assert response.status_code == 404
    event = AuditEvent.objects.get(action="access.refused")
    assert event.actor == officer and event.outcome == Outcome.REFUSED
    assert event.target_label == detail(users[target])
    assert not AuditEvent.objects.filter(action="user.viewed").exists()


def test_unknown_user_is_404_too(users: Any, client_for: Any) -> None:
    response = client_for(users["commune_officer"]).get(
        reverse("accounts:user_detail", args=[999999]))
    assert response.status_code == 404


def test_user_detail_shows_the_user_and_her_roles(users: Any, tree: Any,
                                                  client_for: Any) -> None:
    target = users["branch_head"]
    response = client_for(users["commune_officer"]).get(detail(target))
    assert response.status_code == 200
    body = response.content.decode()
    assert "<h1>Chihoi</h1>" in body
    assert "chihoi" in body
    assert label(Role.BRANCH_HEAD) in body and tree.branch_a1.name in body
    assignment = RoleAssignment.objects.get(user=target)
    assert reverse("accounts:role_revoke", args=[target.pk, assignment.pk]) in body
    assert reverse("accounts:password_reset", args=[target.pk]) in body
    # The grant form offers only units of her subtree.
    units = set(response.context["grant_form"].fields["unit"].queryset)
    assert units == {tree.commune_a, tree.branch_a1, tree.branch_a2, tree.group_a1}
    event = AuditEvent.objects.get(action="user.viewed")
    assert event.actor == users["commune_officer"] and event.target_id == str(target.pk)


def test_the_reset_button_is_offered_only_where_a_reset_is_allowed(users: Any,
                                                                   client_for: Any) -> None:
    client = client_for(users["commune_officer"])
    same_level = users["speaker"]
    page = client.get(detail(same_level))
    assert page.context["grant_form"] is not None
    assert reverse("accounts:password_reset", args=[same_level.pk]) \
        not in page.content.decode()
    page = client_for(users["province_officer"]).get(detail(users["case_worker"]))
    assert reverse("accounts:password_reset", args=[users["case_worker"].pk]) \
        not in page.content.decode()
    page = client_for(users["system_admin"]).get(detail(users["case_worker"]))
    assert reverse("accounts:password_reset", args=[users["case_worker"].pk]) \
        in page.content.decode()


def test_grant_by_post(users: Any, tree: Any, client_for: Any) -> None:
    officer, target = users["commune_officer"], users["speaker"]
    client = client_for(officer)
    response = client.post(detail(target), {"role": Role.BRANCH_HEAD, "unit": tree.branch_a2.pk},
                           follow=True)
    assert response.redirect_chain == [(detail(target), 302)]
    assert [m.level_tag for m in response.context["messages"]] == ["success"]
    assert RoleAssignment.objects.active().filter(user=target, role=Role.BRANCH_HEAD,
                                                  unit=tree.branch_a2).exists()
    event = AuditEvent.objects.get(action="user.role_granted", actor=officer)
    assert event.target_id == str(target.pk) and event.unit_path == tree.branch_a2.path
    body = response.content.decode()
    assert label(Role.BRANCH_HEAD) in body and tree.branch_a2.name in body


def test_the_forms_offer_only_roles_she_can_grant(users: Any, client_for: Any) -> None:
    expected = {
        "commune_officer": {Role.COMMUNE_OFFICER, Role.BRANCH_HEAD, Role.SPEAKER, Role.VIEWER},
        "province_officer": {Role.PROVINCE_OFFICER, Role.COMMUNE_OFFICER, Role.BRANCH_HEAD,
                             Role.SPEAKER, Role.VIEWER},
        "system_admin": set(Role.values),
    }
    for who, roles in expected.items():
        client = client_for(users[who])
        create = client.get(reverse("accounts:user_create")).context["form"]
        grant = client.get(detail(users["branch_head"])).context["grant_form"]
        assert {value for value, _ in create.fields["role"].choices} == roles, who
        assert {value for value, _ in grant.fields["role"].choices} == roles, who


def test_grant_of_a_role_she_lacks_is_refused_on_the_form(users: Any, tree: Any,
                                                          client_for: Any) -> None:
    target = users["speaker"]
    response = client_for(users["commune_officer"]).post(
        detail(target), {"role": Role.CASE_WORKER, "unit": tree.commune_a.pk})
    assert response.status_code == 200
    assert response.context["grant_form"].errors["role"]
    assert 'role="alert"' in response.content.decode() or "errorlist" in \
        response.content.decode()
    assert not RoleAssignment.objects.filter(user=target, role=Role.CASE_WORKER).exists()
    assert not AuditEvent.objects.filter(action="user.role_granted", actor__isnull=False) \
        .exists()


def test_the_offered_roles_are_a_convenience_the_action_decides(
        users: Any, tree: Any, client_for: Any) -> None:
    """A commune officer who is also a case worker of one branch is offered the case worker
    role, but may grant it only in that branch."""
    officer, speaker = users["commune_officer"], users["speaker"]
    actions.grant_role(actor=None, user=officer, role=Role.CASE_WORKER, unit=tree.branch_a1)
    client = client_for(officer)
    form = client.get(detail(speaker)).context["grant_form"]
    assert Role.CASE_WORKER in {value for value, _ in form.fields["role"].choices}
    response = client.post(detail(speaker), {"role": Role.CASE_WORKER,
                                             "unit": tree.branch_a2.pk})
    assert response.status_code == 200
    assert response.context["grant_form"].non_field_errors()
    assert not RoleAssignment.objects.filter(user=speaker, role=Role.CASE_WORKER).exists()
    response = client.post(detail(speaker), {"role": Role.CASE_WORKER,
                                             "unit": tree.branch_a1.pk})
    assert response.status_code == 302
    assert RoleAssignment.objects.active().filter(
        user=speaker, role=Role.CASE_WORKER, unit=tree.branch_a1).exists()


def test_grant_at_a_unit_outside_her_subtree_is_refused(users: Any, tree: Any,
                                                        client_for: Any) -> None:
    target = users["speaker"]
    response = client_for(users["commune_officer"]).post(
        detail(target), {"role": Role.VIEWER, "unit": tree.commune_b.pk})
    assert response.status_code == 200
    assert response.context["grant_form"].errors["unit"]
    assert not RoleAssignment.objects.filter(user=target, role=Role.VIEWER).exists()


def test_post_without_user_manage_is_404(users: Any, tree: Any, client_for: Any) -> None:
    target = users["commune_officer"]
    response = client_for(users["auditor"]).post(
        detail(target), {"role": Role.VIEWER, "unit": tree.commune_a.pk})
    assert response.status_code == 404
    assert AuditEvent.objects.filter(action="access.refused").count() == 1
    assert not RoleAssignment.objects.filter(user=target, role=Role.VIEWER).exists()


def test_revoke_by_post(users: Any, client_for: Any) -> None:
    officer, target = users["commune_officer"], users["branch_head"]
    assignment = RoleAssignment.objects.get(user=target)
    url = reverse("accounts:role_revoke", args=[target.pk, assignment.pk])
    client = client_for(officer)
    assert client.get(url).status_code == 405
    response = client.post(url, follow=True)
    assert response.redirect_chain == [(detail(target), 302)]
    assert [m.level_tag for m in response.context["messages"]] == ["success"]
    assignment.refresh_from_db()
    assert assignment.revoked_by == officer
    assert AuditEvent.objects.filter(action="user.role_revoked", actor=officer).count() == 1
    # The revoked role stays in the history, without a revoke button.
    assert url not in response.content.decode()


def test_revoke_refused_by_the_rules_shows_a_message(users: Any, client_for: Any) -> None:
    target = users["case_worker"]
    assignment = RoleAssignment.objects.get(user=target)
    response = client_for(users["commune_officer"]).post(
        reverse("accounts:role_revoke", args=[target.pk, assignment.pk]), follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assignment.refresh_from_db()
    assert assignment.revoked_at is None


def test_revoke_of_an_assignment_out_of_scope_is_404(users: Any, client_for: Any) -> None:
    officer = users["commune_officer"]
    foreign = RoleAssignment.objects.get(user=users["other_officer"])
    client = client_for(officer)
    # the foreign user directly, or the foreign assignment under a user she can see
    for url in (reverse("accounts:role_revoke", args=[users["other_officer"].pk, foreign.pk]),
                reverse("accounts:role_revoke", args=[users["speaker"].pk, foreign.pk])):
        assert client.post(url).status_code == 404
    foreign.refresh_from_db()
    assert foreign.revoked_at is None
    assert AuditEvent.objects.filter(action="access.refused", actor=officer).count() == 2


def test_writes_need_the_csrf_token(users: Any, tree: Any) -> None:
    officer, target = users["commune_officer"], users["speaker"]
    client = Client(enforce_csrf_checks=True)
    client.force_login(officer)
    data = {"role": Role.VIEWER, "unit": tree.branch_a1.pk}
    assert client.post(detail(target), data).status_code == 403
    assignment = RoleAssignment.objects.get(user=target)
    revoke = reverse("accounts:role_revoke", args=[target.pk, assignment.pk])
    assert client.post(revoke).status_code == 403
    assert not RoleAssignment.objects.filter(user=target, role=Role.VIEWER).exists()

    page = client.get(detail(target)).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token is not None
    response = client.post(detail(target), {**data, "csrfmiddlewaretoken": token.group(1)})
    assert response.status_code == 302
    assert RoleAssignment.objects.filter(user=target, role=Role.VIEWER).exists()


def test_create_user_by_post(users: Any, tree: Any, client_for: Any) -> None:
    officer = users["commune_officer"]
    client = client_for(officer)
    form = client.get(reverse("accounts:user_create"))
    assert form.status_code == 200
    assert set(form.context["form"].fields["home_unit"].queryset) == {
        tree.commune_a, tree.branch_a1, tree.branch_a2, tree.group_a1}
    response = client.post(reverse("accounts:user_create"), {
        "username": "lan.nguyen", "full_name": "Nguyễn Thị Lan", "email": "",
        "phone": "0912345678", "home_unit": tree.branch_a2.pk, "role": Role.SPEAKER})
    assert response.status_code == 200
    user = User.objects.get(username="lan.nguyen")
    password = response.context["password"]
    assert password in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert user.check_password(password) and user.must_change_password
    assert user.full_name == "Nguyễn Thị Lan" and user.home_unit == tree.branch_a2
    assert AuditEvent.objects.filter(action="user.created", actor=officer).count() == 1
    listing = client.get(reverse("accounts:user_list"))
    assert "lan.nguyen" in listed_usernames(listing)


def test_create_user_refusals_show_on_the_form(users: Any, tree: Any, client_for: Any) -> None:
    client = client_for(users["commune_officer"])
    base = {"full_name": "Lan", "email": "", "phone": "", "home_unit": tree.commune_a.pk}
    cases = [
        ({"username": "nguyễn", "role": Role.SPEAKER}, "username"),
        ({"username": "xa", "role": Role.SPEAKER}, "username"),
        ({"username": "lan", "role": Role.AUDITOR}, "role"),
        ({"username": "lan", "role": Role.SPEAKER, "home_unit": tree.commune_b.pk}, "home_unit"),
    ]
    for data, field in cases:
        response = client.post(reverse("accounts:user_create"), {**base, **data})
        assert response.status_code == 200, data
        form = response.context["form"]
        errors = form.errors.get(field) if field else form.non_field_errors()
        assert errors, data
    assert not User.objects.filter(username__in=["nguyễn", "lan"]).exists()


def test_profile_shows_her_roles(users: Any, tree: Any, client_for: Any) -> None:
    response = client_for(users["commune_officer"]).get(reverse("accounts:profile"))
    body = response.content.decode()
    assert response.status_code == 200
    assert tree.commune_a.name in body and label(Role.COMMUNE_OFFICER) in body
    assert reverse("accounts:password_change") in body


def test_anonymous_visitors_are_sent_to_sign_in(db: Any) -> None:
    for url in (reverse("accounts:user_list"), reverse("accounts:profile"),
                reverse("accounts:user_create")):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))
