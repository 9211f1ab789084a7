"""Password reset by an administrator of a higher unit, and the forced change that follows."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from ctip.accounts import actions
from ctip.accounts.models import User
from ctip.accounts.policy import NotInScope
from ctip.audit.models import AuditEvent, Outcome
from ctip.core.errors import ActionError
from tests.conftest import PASSWORD

NEW_PASSWORD = "my-own-new-passphrase-42"


def sign_in(client: Client, username: str, password: str) -> Any:
    return client.post(reverse("accounts:login"), {"username": username, "password": password})


def test_province_officer_resets_a_commune_officer(users: Any) -> None:
    officer, target = users["province_officer"], users["commune_officer"]
    password = actions.reset_password(actor=officer, user=target)
    target.refresh_from_db()
    assert target.must_change_password
    assert target.check_password(password)
    assert not target.check_password(PASSWORD)
    (event,) = AuditEvent.objects.filter(action="user.password_reset")
    assert event.actor == officer and event.target_id == str(target.pk)
    assert event.outcome == Outcome.OK
    assert password not in str(event.changes)


def test_commune_officer_resets_a_user_below_her_commune(users: Any) -> None:
    actions.reset_password(actor=users["commune_officer"], user=users["branch_head"])


@pytest.mark.parametrize("target", ["speaker", "case_worker"])
def test_commune_officer_cannot_reset_a_user_of_her_own_level(users: Any, target: str) -> None:
    with pytest.raises(ActionError):
        actions.reset_password(actor=users["commune_officer"], user=users[target])
    assert users[target].check_password(PASSWORD)
    assert not AuditEvent.objects.filter(action="user.password_reset").exists()


def test_nobody_resets_her_own_password_this_way(users: Any) -> None:
    with pytest.raises(ActionError):
        actions.reset_password(actor=users["province_officer"], user=users["province_officer"])


def test_reset_needs_user_manage(users: Any) -> None:
    with pytest.raises(NotInScope):
        actions.reset_password(actor=users["auditor"], user=users["commune_officer"])


def test_nobody_resets_a_user_in_another_province(users: Any) -> None:
    with pytest.raises(NotInScope):
        actions.reset_password(actor=users["province_officer"], user=users["other_officer"])
    with pytest.raises(NotInScope):
        actions.reset_password(actor=users["other_officer"], user=users["commune_officer"])


def test_a_reset_cannot_hand_over_permissions_the_actor_lacks(users: Any) -> None:
    """Whoever knows the new password can act as that user: a provincial officer must not get
    a case worker's access to identities this way; a system administrator may reset it."""
    with pytest.raises(ActionError):
        actions.reset_password(actor=users["province_officer"], user=users["case_worker"])
    actions.reset_password(actor=users["system_admin"], user=users["case_worker"])


def test_a_reset_covers_every_unit_where_the_user_holds_a_role(users: Any, tree: Any) -> None:
    """A commune-A officer cannot reset a branch head who also holds a role in commune B."""
    branch_head = users["branch_head"]
    actions.grant_role(actor=None, user=branch_head, role="viewer", unit=tree.commune_b)
    with pytest.raises(NotInScope):
        actions.reset_password(actor=users["commune_officer"], user=branch_head)
    actions.reset_password(actor=users["province_officer"], user=branch_head)


def test_view_from_another_province_answers_404_and_records_the_refusal(
        users: Any, client_for: Any) -> None:
    target = users["commune_officer"]
    client = client_for(users["other_officer"])
    response = client.post(reverse("accounts:password_reset", args=[target.pk]))
    assert response.status_code == 404
    target.refresh_from_db()
    assert target.check_password(PASSWORD) and not target.must_change_password
    refused = AuditEvent.objects.get(action="access.refused")
    assert refused.outcome == Outcome.REFUSED
    assert refused.actor == users["other_officer"]


def test_view_shows_the_temporary_password_once(users: Any, client_for: Any) -> None:
    target = users["commune_officer"]
    client = client_for(users["province_officer"])
    detail = client.get(reverse("accounts:user_detail", args=[target.pk]))
    assert reverse("accounts:password_reset", args=[target.pk]) in detail.content.decode()
    assert client.get(reverse("accounts:password_reset", args=[target.pk])).status_code == 405
    response = client.post(reverse("accounts:password_reset", args=[target.pk]))
    assert response.status_code == 200
    password = response.context["password"]
    assert password in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    target.refresh_from_db()
    assert target.check_password(password)
    again = client.get(reverse("accounts:user_detail", args=[target.pk]))
    assert password not in again.content.decode()


def test_view_refuses_a_same_level_reset_with_a_message(users: Any, client_for: Any) -> None:
    target = users["speaker"]
    client = client_for(users["commune_officer"])
    response = client.post(reverse("accounts:password_reset", args=[target.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("accounts:user_detail", args=[target.pk])
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    target.refresh_from_db()
    assert target.check_password(PASSWORD)


def test_temporary_password_forces_a_change_until_done(users: Any) -> None:
    target = users["commune_officer"]
    temporary = actions.reset_password(actor=users["province_officer"], user=target)
    client = Client()
    response = sign_in(client, target.username, temporary)
    assert response.status_code == 302
    change_url = reverse("accounts:password_change")
    for url in (reverse("core:home"), reverse("accounts:user_list"),
                reverse("accounts:profile"), reverse("org:tree")):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == change_url, url
    page = client.get(change_url)
    assert page.status_code == 200
    assert page.context["user"].must_change_password

    # A wrong current password, or the same password again, does not count as a change.
    response = client.post(change_url, {"old_password": "not-it-at-all", "new_password":
                                        NEW_PASSWORD, "new_password_again": NEW_PASSWORD})
    assert response.status_code == 200 and response.context["form"].errors
    response = client.post(change_url, {"old_password": temporary, "new_password": temporary,
                                        "new_password_again": temporary})
    assert response.status_code == 200 and response.context["form"].errors
    assert client.get(reverse("core:home")).status_code == 302

    response = client.post(change_url, {"old_password": temporary,
                                        "new_password": NEW_PASSWORD,
                                        "new_password_again": NEW_PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("core:home")
    # Still signed in after the change, and free to go anywhere.
    assert client.get(reverse("core:home")).status_code == 200
    target.refresh_from_db()
    assert not target.must_change_password
    assert AuditEvent.objects.filter(action="user.password_changed",
                                     target_id=str(target.pk)).count() == 1

    # The temporary password is spent: it no longer signs in; the new one does.
    client.post(reverse("accounts:logout"))
    assert sign_in(Client(), target.username, temporary).status_code == 200
    assert sign_in(Client(), target.username, NEW_PASSWORD).status_code == 302


def test_new_password_goes_through_the_validators(users: Any, client_for: Any) -> None:
    client = client_for(users["commune_officer"])
    response = client.post(reverse("accounts:password_change"), {
        "old_password": PASSWORD, "new_password": "1234567890",
        "new_password_again": "1234567890"})
    assert response.status_code == 200
    assert response.context["form"].errors["new_password"]
    users["commune_officer"].refresh_from_db()
    assert users["commune_officer"].check_password(PASSWORD)


def test_a_reset_lifts_a_lockout(users: Any, settings: Any) -> None:
    target = users["commune_officer"]
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(Client(), target.username, "wrong-password-here")
    assert sign_in(Client(), target.username, PASSWORD).status_code == 429
    temporary = actions.reset_password(actor=users["province_officer"], user=target)
    response = sign_in(Client(), target.username, temporary)
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="user.password_reset")
    assert event.changes == {"lockout_lifted": True}


def test_the_reset_ends_the_users_open_sessions(users: Any, client_for: Any) -> None:
    target = users["commune_officer"]
    client = client_for(target)
    assert client.get(reverse("core:home")).status_code == 200
    actions.reset_password(actor=users["province_officer"], user=target)
    response = client.get(reverse("core:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_user_objects_are_not_touched_by_a_refused_reset(users: Any) -> None:
    before = User.objects.get(pk=users["speaker"].pk).password
    with pytest.raises(ActionError):
        actions.reset_password(actor=users["commune_officer"], user=users["speaker"])
    assert User.objects.get(pk=users["speaker"].pk).password == before


def test_deactivation_follows_the_same_rule_and_is_audited(users: Any, client_for: Any) -> None:
    target = users["commune_officer"]
    client = client_for(target)
    with pytest.raises(ActionError):
        actions.set_active(actor=users["commune_officer"], user=users["speaker"], active=False)
    actions.set_active(actor=users["province_officer"], user=target, active=False)
    target.refresh_from_db()
    assert not target.is_active
    assert AuditEvent.objects.filter(action="user.deactivated", target_id=str(target.pk),
                                     actor=users["province_officer"]).count() == 1
    # Her open session ends at once.
    response = client.get(reverse("core:home"))
    assert response.status_code == 302
    actions.set_active(actor=users["province_officer"], user=target, active=True)
    assert AuditEvent.objects.filter(action="user.activated").count() == 1
