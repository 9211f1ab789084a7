from __future__ import annotations

from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from ctip.audit.actions import record
from ctip.audit.models import AuditEvent, ChainHead
from ctip.audit.verify import verify_chain
from ctip.units.actions import update_unit


def drop_append_only_triggers() -> None:
    """What an attacker with database access would do first."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP TRIGGER audit_event_no_change ON audit_auditevent")
        else:
            cursor.execute("DROP TRIGGER audit_event_no_update")
            cursor.execute("DROP TRIGGER audit_event_no_delete")


def test_every_write_leaves_an_event_with_actor_path_and_changes(tree: Any, users: Any) -> None:
    officer = users["commune_officer"]
    update_unit(actor=officer, unit=tree.branch_a1, name="Chi hội ấp Mỹ Lộc Mới")
    event = AuditEvent.objects.filter(action="unit.updated").latest("id")
    assert event.actor == officer
    assert event.unit_path == tree.branch_a1.path
    assert event.changes == {"name": ["Chi hội ấp Mỹ Lộc", "Chi hội ấp Mỹ Lộc Mới"]}
    assert event.target_label == "Chi hội ấp Mỹ Lộc Mới"


def test_the_event_is_in_the_same_transaction_as_the_change(tree: Any, users: Any) -> None:
    before = AuditEvent.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        update_unit(actor=users["commune_officer"], unit=tree.branch_a1, name="Tên tạm")
        raise RuntimeError("the request failed after the action")
    assert AuditEvent.objects.count() == before
    tree.branch_a1.refresh_from_db()
    assert tree.branch_a1.name == "Chi hội ấp Mỹ Lộc"


def test_chain_verifies_when_untouched(tree: Any) -> None:
    result = verify_chain()
    assert result.ok, result.problems
    assert result.checked == AuditEvent.objects.count() > 0
    call_command("audit", "verify")


def test_the_database_refuses_to_edit_or_delete_events(tree: Any) -> None:
    event = AuditEvent.objects.first()
    assert event is not None
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="forged")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).action == event.action


def test_verify_detects_an_edited_event(tree: Any, users: Any) -> None:
    record(actor=users["viewer"], action="test.one", target_label="a")
    victim = record(actor=users["viewer"], action="test.two", target_label="b")
    record(actor=users["viewer"], action="test.three", target_label="c")
    drop_append_only_triggers()
    AuditEvent.objects.filter(pk=victim.pk).update(target_label="changed afterwards")
    result = verify_chain()
    assert not result.ok
    assert any(f"#{victim.pk}" in p and "edited" in p for p in result.problems)
    with pytest.raises(CommandError):
        call_command("audit", "verify")


def test_verify_detects_a_deleted_event(tree: Any, users: Any) -> None:
    record(actor=users["viewer"], action="test.one", target_label="a")
    victim = record(actor=users["viewer"], action="test.two", target_label="b")
    after = record(actor=users["viewer"], action="test.three", target_label="c")
    drop_append_only_triggers()
    AuditEvent.objects.filter(pk=victim.pk).delete()
    result = verify_chain()
    assert any(f"#{after.pk}" in p and "deleted" in p for p in result.problems)


def test_verify_detects_the_newest_event_deleted(tree: Any, users: Any) -> None:
    last = record(actor=users["viewer"], action="test.last", target_label="z")
    drop_append_only_triggers()
    AuditEvent.objects.filter(pk=last.pk).delete()
    result = verify_chain()
    assert not result.ok
    assert ChainHead.objects.get().last_hash == last.hash


def test_auditor_page_filters_by_action_period_and_unit(tree: Any, users: Any,
                                                       client_for: Any) -> None:
    update_unit(actor=users["commune_officer"], unit=tree.branch_a1, name="Chi hội đổi tên")
    update_unit(actor=users["province_officer"], unit=tree.branch_b1, name="Chi hội khu phố Ba")
    client = client_for(users["auditor"])
    full = client.get(reverse("audit:event_list"), {"action": "unit.updated",
                                                    "unit": tree.commune_a.pk}).content.decode()
    assert "<select" in full and "<table" in full
    # htmx asks for the table partial only, so unit names in the filter form do not count
    client.defaults["HTTP_HX_REQUEST"] = "true"
    body = client.get(reverse("audit:event_list"), {"action": "unit.updated",
                                                    "unit": tree.commune_a.pk}).content.decode()
    assert "<select" not in body
    assert "Chi hội đổi tên" in body
    assert "Chi hội khu phố Ba" not in body
    body = client.get(reverse("audit:event_list"), {"actor": "tinh"}).content.decode()
    assert "Chi hội khu phố Ba" in body and "Chi hội đổi tên" not in body
    body = client.get(reverse("audit:event_list"),
                      {"start": "01/01/2000", "end": "31/12/2000"}).content.decode()
    assert "Chi hội đổi tên" not in body


def test_auditor_sees_only_her_subtree(tree: Any, users: Any, client_for: Any) -> None:
    from ctip.accounts.capabilities import Role
    from tests.conftest import make_user

    update_unit(actor=users["province_officer"], unit=tree.branch_b1, name="Chi hội khu phố Ba")
    update_unit(actor=users["other_officer"], unit=tree.other_commune, name="Xã Quảng Hòa")
    local_auditor = make_user("kiemtoan.xa", Role.AUDITOR, tree.commune_b)
    body = client_for(local_auditor).get(reverse("audit:event_list"),
                                         HTTP_HX_REQUEST="true").content.decode()
    assert "Chi hội khu phố Ba" in body
    assert "Xã Quảng Hòa" not in body


def test_a_period_that_ends_before_it_starts_is_refused(users: Any, client_for: Any) -> None:
    response = client_for(users["auditor"]).get(
        reverse("audit:event_list"), {"start": "31/12/2026", "end": "01/01/2026"})
    assert response.status_code == 200
    assert response.context["form"].errors["end"]


def test_there_is_no_url_that_changes_an_event(tree: Any, users: Any, client_for: Any) -> None:
    client = client_for(users["system_admin"])
    event = AuditEvent.objects.first()
    assert event is not None
    for url in (f"/audit/{event.pk}/", f"/audit/{event.pk}/delete/", "/admin/audit/"):
        assert client.post(url, {"action": "x"}).status_code == 404
    assert AuditEvent.objects.get(pk=event.pk).action == event.action


def test_refused_access_is_recorded_with_ip(tree: Any, users: Any, client_for: Any) -> None:
    client = client_for(users["commune_officer"])
    url = reverse("org:unit_detail", args=[tree.other_commune.pk])
    assert client.get(url, REMOTE_ADDR="203.0.113.7").status_code == 404
    event = AuditEvent.objects.filter(action="access.refused").latest("id")
    assert event.outcome == "refused"
    assert event.actor == users["commune_officer"]
    assert event.ip_address == "203.0.113.7"
    assert event.target_label == url
