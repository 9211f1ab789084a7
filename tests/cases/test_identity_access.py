"""Identity access follows the current role (issue 12): a case worker who moves keeps none of
her old victims; revoking or moving a role ends the assignments it carried, audited, and the
supervisor sees the case needs a worker; assigning oneself is break glass; every view of a
case is recorded; break-glass reasons written before encryption are encrypted by the
migration."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from django.db import connection
from django.urls import reverse

from ctip.accounts import actions as accounts
from ctip.accounts.capabilities import Role
from ctip.accounts.models import RoleAssignment
from ctip.audit.models import AuditEvent
from ctip.cases import actions, crypto, rights
from ctip.cases.models import BreakGlass, SupportCase
from ctip.cases.policy import IdentityAccess, identity_access
from ctip.core.errors import ActionError
from tests.cases.case_helpers import open_case
from tests.conftest import make_user

NAME = "Vàng Thị Dợ"
PHONE = "0911223344"
REASON = "Chị gọi tổng đài báo đang bị đe dọa, cần địa chỉ để đến ngay"


def url(name: str, *args: Any) -> str:
    return reverse(f"cases:{name}", args=args)


def text(response: Any) -> str:
    return response.content.decode()


@pytest.fixture
def mover(tree: Any) -> Any:
    """A case worker of commune A, about to move to commune B."""
    return make_user("hotro.chuyen", Role.CASE_WORKER, tree.commune_a, full_name="Lý Thị Mai")


@pytest.fixture
def case(tree: Any, mover: Any) -> SupportCase:
    return open_case(tree.commune_a, mover, full_name=NAME, phone=PHONE)


def move(actor: Any, user: Any, to: Any) -> None:
    """What an officer does when a case worker changes commune: grant the new role, revoke
    the old one."""
    old = RoleAssignment.objects.active().get(user=user, role=Role.CASE_WORKER)
    accounts.grant_role(actor=actor, user=user, role=Role.CASE_WORKER, unit=to)
    accounts.revoke_role(actor=actor, assignment=old)


def fresh(user: Any) -> Any:
    return type(user).objects.get(pk=user.pk)


def test_a_case_worker_who_moves_keeps_none_of_her_old_cases(
        case: SupportCase, mover: Any, tree: Any, users: Any, client_for: Any) -> None:
    client = client_for(mover)
    assert NAME in text(client.post(url("person_identity", case.person.pk)))

    move(users["system_admin"], mover, tree.commune_b)
    mover = fresh(mover)
    assert identity_access(mover, case.person) is IdentityAccess.NONE
    # the assignment it carried has ended, audited
    assert not case.workers.filter(pk=mover.pk).exists()
    event = AuditEvent.objects.get(action="case.worker_removed")
    assert event.target_label == case.code and event.changes["worker"] == "hotro.chuyen"
    assert event.changes["why"] == "role_revoked" and event.changes["workers_left"] == 0
    assert event.actor == users["system_admin"]

    # every path that shows or decrypts her identity is closed
    person = case.person.pk
    for target in ("person_identity", "person_export_json", "person_export_pdf",
                   "person_export_print", "person_correct"):
        response = client.post(url(target, person), {"full_name": "x", "sex": "female"})
        assert response.status_code == 404, target
        assert NAME not in text(response) and PHONE not in text(response)
    for target in (url("case_detail", case.pk), url("person_detail", person),
                   url("person_anonymise", person), url("consent_add", person)):
        assert client.get(target).status_code == 404, target
    with pytest.raises(ActionError):
        rights.export_json(actor=mover, person=case.person)
    with pytest.raises(ActionError):
        actions.view_identity(actor=mover, person=case.person)


def test_the_assignment_alone_no_longer_opens_the_identity(
        case: SupportCase, mover: Any, tree: Any) -> None:
    """Even with her name still on the worker list (a role ended some other way, such as the
    unit closing), an assignment without a current role covering the case opens nothing."""
    elsewhere = make_user("hotro.tanan", Role.CASE_WORKER, tree.commune_b)
    SupportCase.workers.through.objects.create(supportcase_id=case.pk, user_id=elsewhere.pk)
    assert identity_access(elsewhere, case.person) is IdentityAccess.NONE
    with pytest.raises(ActionError):
        rights.export_json(actor=elsewhere, person=case.person)
    with pytest.raises(ActionError):
        actions.correct_person(actor=elsewhere, person=case.person, phone="0900000000")
    with pytest.raises(ActionError):
        actions.request_anonymisation(actor=elsewhere, person=case.person,
                                      reason="Theo yêu cầu của chị")


def test_the_supervisor_sees_the_case_needs_a_new_worker(
        case: SupportCase, mover: Any, tree: Any, users: Any, client_for: Any) -> None:
    supervisor = client_for(users["case_worker"])  # manages the cases of commune A
    assert case.code not in text(supervisor.get(reverse("core:home")))

    move(users["system_admin"], mover, tree.commune_b)
    home = text(supervisor.get(reverse("core:home")))
    assert url("case_detail", case.pk) in home
    listing = text(supervisor.get(url("case_list")))
    assert "?status=unassigned" in listing and case.code in listing
    assert case.code in text(supervisor.get(url("case_list") + "?status=unassigned"))
    detail = text(supervisor.get(url("case_detail", case.pk)))
    assert "needs-worker" in detail and url("case_workers", case.pk) in detail

    # once someone else assigns a worker, nothing is waiting any more
    colleague = make_user("hotro2", Role.CASE_WORKER, tree.commune_a)
    actions.assign_workers(actor=users["case_worker"], case=case, workers=[colleague])
    assert case.code not in text(supervisor.get(url("case_list") + "?status=unassigned"))
    assert "needs-worker" not in text(supervisor.get(url("case_detail", case.pk)))
    assert not BreakGlass.objects.exists()


def test_a_worker_still_covered_elsewhere_keeps_her_cases(
        case: SupportCase, mover: Any, tree: Any, users: Any) -> None:
    """Revoking one of two roles that both cover the case leaves the assignment."""
    accounts.grant_role(actor=users["system_admin"], user=mover, role=Role.CASE_WORKER,
                        unit=tree.province)
    old = RoleAssignment.objects.active().get(user=mover, unit=tree.commune_a)
    accounts.revoke_role(actor=users["system_admin"], assignment=old)
    assert case.workers.filter(pk=mover.pk).exists()
    assert identity_access(fresh(mover), case.person) is IdentityAccess.ASSIGNED
    assert not AuditEvent.objects.filter(action="case.worker_removed").exists()


def test_deactivating_the_account_ends_her_assignments(
        case: SupportCase, mover: Any, users: Any) -> None:
    accounts.set_active(actor=users["system_admin"], user=mover, active=False)
    assert not case.workers.exists()
    event = AuditEvent.objects.get(action="case.worker_removed")
    assert event.changes["why"] == "deactivated"


def test_assigning_oneself_is_break_glass(case: SupportCase, tree: Any, users: Any,
                                          client_for: Any) -> None:
    manager = users["case_worker"]  # may manage the cases of commune A, not assigned here
    assert identity_access(manager, case.person) is IdentityAccess.BREAK_GLASS
    client = client_for(manager)
    before = list(case.workers.all())
    # without a reason: refused, with the reason why, and what she chose is kept
    response = client.post(url("case_workers", case.pk), {"workers": [manager.pk]})
    assert response.status_code == 200
    assert list(case.workers.all()) == before and not BreakGlass.objects.exists()
    assert 'name="category"' in text(response)
    junk = client.post(url("case_workers", case.pk), {
        "workers": [manager.pk], "category": "danger", "reason": "aaaaaaaaaa"})
    assert "aaaaaaaaaa" in text(junk) and list(case.workers.all()) == before
    with pytest.raises(ActionError):
        actions.assign_workers(actor=manager, case=case, workers=[manager])
    assert identity_access(manager, case.person) is IdentityAccess.BREAK_GLASS

    # with a reason: assigned, flagged for the level above, audited without the text
    response = client.post(url("case_workers", case.pk), {
        "workers": [manager.pk], "category": "danger", "reason": REASON})
    assert response.status_code == 302
    assert identity_access(manager, case.person) is IdentityAccess.ASSIGNED
    flag = BreakGlass.objects.get()
    assert flag.kind == "self_assign" and flag.user == manager and flag.case == case
    assert flag.category == "danger" and flag.reason == REASON
    event = AuditEvent.objects.get(action="person.break_glass")
    assert event.changes["flag"] == flag.pk and REASON not in repr(event.changes)


def test_opening_a_case_for_oneself_is_break_glass_too(tree: Any, users: Any) -> None:
    from tests.cases.case_helpers import consent, register

    worker = users["case_worker"]
    person = register(tree.commune_a, full_name="Người Mới Đến")
    consent(person)
    with pytest.raises(ActionError):
        actions.open_case(actor=worker, unit=tree.commune_a, person=person,
                          kind="high_risk", workers=[worker])
    assert not SupportCase.objects.exists()
    case = actions.open_case(actor=worker, unit=tree.commune_a, person=person,
                             kind="high_risk", workers=[worker], category="other",
                             reason="Chỉ có một cán bộ hỗ trợ ở xã, chưa ai khác phân công")
    flag = BreakGlass.objects.get()
    assert flag.kind == "self_assign" and flag.case == case


def test_viewing_a_case_is_recorded(case: SupportCase, users: Any, client_for: Any) -> None:
    """Removing the ``case.viewed`` record from the case page must fail this test."""
    client = client_for(users["case_worker"])
    assert client.get(url("case_detail", case.pk)).status_code == 200
    event = AuditEvent.objects.get(action="case.viewed")
    assert event.actor == users["case_worker"] and event.target_label == case.code
    assert event.unit_path == case.unit_path


def test_identity_is_recorded_on_every_view(case: SupportCase, mover: Any,
                                            client_for: Any) -> None:
    client = client_for(mover)
    for expected in (1, 2):
        client.post(url("person_identity", case.person.pk), {"case": case.pk})
        assert AuditEvent.objects.filter(action="person.identity_viewed",
                                         actor=mover).count() == expected


def test_the_migration_encrypts_reasons_written_in_plain_text(
        case: SupportCase, users: Any) -> None:
    migration = importlib.import_module("ctip.cases.migrations.0009_ident_break_glass_reasons")
    actions.view_identity(actor=users["case_worker"], person=case.person, case=case,
                          category="danger", reason=REASON)
    flag = BreakGlass.objects.get()
    editor = type("Editor", (), {"connection": connection})()

    def raw() -> tuple[str, str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT reason, actor_path FROM cases_breakglass WHERE id = %s",
                           [flag.pk])
            row = cursor.fetchone()
        return str(row[0]), str(row[1])

    migration.decrypt_reasons(None, editor)  # as it was stored before the migration
    assert raw()[0] == REASON
    with connection.cursor() as cursor:
        cursor.execute("UPDATE cases_breakglass SET actor_path = '' WHERE id = %s", [flag.pk])
    migration.encrypt_reasons(None, editor)
    stored, actor_path = raw()
    assert REASON not in stored and crypto.decrypt(stored) == REASON
    assert actor_path == case.unit_path
    migration.encrypt_reasons(None, editor)  # running again does not encrypt twice
    assert BreakGlass.objects.get(pk=flag.pk).reason == REASON


def test_anonymisation_wipes_the_break_glass_reasons(case: SupportCase, mover: Any,
                                                     users: Any, tree: Any) -> None:
    actions.view_identity(actor=users["case_worker"], person=case.person, case=case,
                          category="danger", reason=REASON)
    request = actions.request_anonymisation(actor=mover, person=case.person,
                                            reason="Theo yêu cầu của chị")
    actions.approve_anonymisation(actor=users["case_worker"], request=request)
    flag = BreakGlass.objects.get()
    assert flag.reason == "" and flag.category == "danger"


def test_the_digest_tells_the_level_above_of_unreviewed_flags(
        case: SupportCase, tree: Any, users: Any) -> None:
    from ctip.cases.models import Notification
    from ctip.cases.tasks import run_daily_digest

    above = make_user("hotro.tinh", Role.CASE_WORKER, tree.province)
    actions.view_identity(actor=users["case_worker"], person=case.person, case=case,
                          category="danger", reason=REASON)
    counts = run_daily_digest()
    assert counts["notifications"] >= 1
    note = Notification.objects.get(user=above)
    assert case.person.code in note.body and note.url == url("breakglass_list")
    assert REASON not in note.title + note.body and NAME not in note.body
    # not the peer who opened it, nor the other worker of the commune
    assert not Notification.objects.filter(user__in=[users["case_worker"]]).exists()
    # reviewed: nothing more to tell
    from ctip.cases.review import review_break_glass

    review_break_glass(actor=above, flag=BreakGlass.objects.get())
    Notification.objects.all().delete()
    run_daily_digest()
    assert not Notification.objects.filter(user=above).exists()
