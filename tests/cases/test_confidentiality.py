"""Identity is encrypted at rest, shown only to those allowed, and every view is recorded."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from ctip.audit.models import AuditEvent
from ctip.cases import actions, crypto
from ctip.cases.models import BreakGlass, Consent, Person
from ctip.cases.policy import IdentityAccess, identity_access
from ctip.core.errors import ActionError
from tests.conftest import make_user

NAME = "Lâm Thị Bích Phượng"
PHONE = "0912345678"
ID_NUMBER = "079123456789"


@pytest.fixture
def person(tree: Any, users: Any) -> Person:
    return actions.create_person(actor=users["case_worker"], unit=tree.commune_a,
                                 full_name=NAME, birth_year=1999, phone=PHONE,
                                 id_number=ID_NUMBER, address="Ấp Mỹ Lộc, Xã Đức Hòa")


@pytest.fixture
def case(tree: Any, users: Any, person: Person) -> Any:
    actions.record_consent(actor=users["case_worker"], person=person, purpose="support",
                           given_on=dt.date(2026, 3, 1), given_by="person")
    return actions.open_case(actor=None, unit=tree.commune_a, person=person, kind="returned_victim",
                             workers=[users["case_worker"]], needs="Cần hỗ trợ việc làm",
                             opened_on=dt.date(2026, 3, 1))


def test_no_plaintext_identity_in_the_database(person: Person) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM cases_person")
        raw = repr(cursor.fetchall())
    for secret in (NAME, PHONE, ID_NUMBER, "Mỹ Lộc"):
        assert secret not in raw
    assert person.code in raw
    reloaded = Person.objects.get(pk=person.pk)
    assert reloaded.full_name == NAME and reloaded.phone == PHONE


def test_code_looks_like_the_province_and_year(person: Person) -> None:
    year = timezone.localdate().year
    assert person.code.startswith(f"TN-{year}-")
    assert str(person) == person.code


def test_assigned_worker_sees_identity_and_the_view_is_recorded(case: Any, users: Any) -> None:
    worker = users["case_worker"]
    assert identity_access(worker, case.person) is IdentityAccess.ASSIGNED
    identity = actions.view_identity(actor=worker, person=case.person)
    assert identity["full_name"] == NAME
    event = AuditEvent.objects.filter(action="person.identity_viewed").latest("id")
    assert event.actor == worker and event.target_label == case.person.code
    assert NAME not in repr(event.changes) and NAME not in event.target_label


def test_unassigned_holder_must_break_the_glass(case: Any, tree: Any, users: Any) -> None:
    from ctip.accounts.capabilities import Role

    other_worker = make_user("hotro2", Role.CASE_WORKER, tree.commune_a)
    assert identity_access(other_worker, case.person) is IdentityAccess.BREAK_GLASS
    with pytest.raises(ActionError):
        actions.view_identity(actor=other_worker, person=case.person, reason="")
    assert not BreakGlass.objects.exists()
    identity = actions.view_identity(actor=other_worker, person=case.person,
                                     category="unreachable",
                                     reason="Người hỗ trợ chính nghỉ ốm, cần gọi điện khẩn")
    assert identity["phone"] == PHONE
    flag = BreakGlass.objects.get()
    assert flag.unit_path == case.unit_path and flag.reviewed_at is None
    assert AuditEvent.objects.filter(action="person.break_glass", actor=other_worker).exists()


@pytest.mark.parametrize("role", ["province_officer", "commune_officer", "branch_head",
                                  "speaker", "auditor", "viewer", "editor"])
def test_roles_without_identity_capability_never_see_it(case: Any, users: Any,
                                                        role: str) -> None:
    assert identity_access(users[role], case.person) is IdentityAccess.NONE
    with pytest.raises(ActionError):
        actions.view_identity(actor=users[role], person=case.person, reason="x" * 50)
    assert AuditEvent.objects.filter(action="person.identity_refused",
                                     actor=users[role]).exists()


def test_duplicate_check_warns_without_revealing_other_units(person: Person, tree: Any,
                                                             users: Any) -> None:
    same = actions.possible_duplicates(actor=users["case_worker"], unit=tree.commune_a,
                                       full_name="LÂM THỊ BÍCH PHƯỢNG", birth_year=1999)
    assert [m.code for m in same] == [person.code]
    from ctip.accounts.capabilities import Role

    outsider = make_user("hotro.tanan", Role.CASE_WORKER, tree.commune_b)
    hidden = actions.possible_duplicates(actor=outsider, unit=tree.commune_a,
                                         full_name="lam thi bich phuong", birth_year=1999)
    assert len(hidden) == 1 and hidden[0].code is None and hidden[0].unit_name is None
    assert actions.possible_duplicates(actor=users["case_worker"], unit=tree.commune_a,
                                       full_name=NAME, birth_year=2001) == []


def test_referral_needs_consent_for_that_agency(case: Any, users: Any) -> None:
    from ctip.cases.models import Agency

    police = Agency.objects.get(code="cong-an-xa")
    health = Agency.objects.get(code="so-y-te")
    with pytest.raises(ActionError) as err:
        actions.refer(actor=users["case_worker"], case=case, agency=police,
                      referred_on=dt.date(2026, 4, 1))
    assert case.person.code in err.value.message and police.name in err.value.message
    actions.record_consent(actor=users["case_worker"], person=case.person, purpose="referral",
                           agency=health, given_on=dt.date(2026, 3, 2), given_by="person")
    with pytest.raises(ActionError):
        actions.refer(actor=users["case_worker"], case=case, agency=police,
                      referred_on=dt.date(2026, 4, 1))
    referral = actions.refer(actor=users["case_worker"], case=case, agency=health,
                             referred_on=dt.date(2026, 4, 1))
    assert referral.consent.agency == health


def test_withdrawn_consent_blocks_further_sharing(case: Any, users: Any) -> None:
    from ctip.cases.models import Agency

    health = Agency.objects.get(code="so-y-te")
    consent = actions.record_consent(actor=users["case_worker"], person=case.person,
                                     purpose="referral", agency=health,
                                     given_on=dt.date(2026, 3, 2), given_by="guardian")
    actions.withdraw_consent(actor=users["case_worker"], consent=consent)
    with pytest.raises(ActionError) as err:
        actions.refer(actor=users["case_worker"], case=case, agency=health,
                      referred_on=dt.date(2026, 4, 1))
    assert case.person.code in err.value.message
    assert Consent.objects.get(pk=consent.pk).withdrawn_on is not None


def test_closed_case_cannot_be_edited(case: Any, users: Any) -> None:
    actions.close_case(actor=users["case_worker"], case=case, outcome="reintegrated",
                       reason="Đã có việc làm ổn định")
    with pytest.raises(ActionError) as err:
        actions.add_service(actor=users["case_worker"], case=case, type="medical",
                            provider="Trạm y tế", date=dt.date(2026, 5, 1))
    assert case.code in err.value.message


def test_anonymise_wipes_identity_and_keeps_statistics(case: Any, users: Any) -> None:
    actions.add_service(actor=users["case_worker"], case=case, type="hardship_allowance",
                        provider="UBND xã", date=dt.date(2026, 4, 1), amount=1_500_000,
                        status="delivered")
    request = actions.request_anonymisation(actor=users["case_worker"], person=case.person,
                                            reason="Theo yêu cầu của người được hỗ trợ")
    person = actions.approve_anonymisation(actor=users["system_admin"], request=request)
    person.refresh_from_db()
    assert person.phone == "" and person.id_number == "" and person.full_name == "—"
    assert person.birth_year == 1999 and person.cases.count() == 1
    assert case.services.count() == 1
    assert identity_access(users["case_worker"], person) is IdentityAccess.NONE


def test_key_rotation_reencrypts_everything(person: Person, settings: Any) -> None:
    from ctip.cases.rotation import rotate_all

    old_key = settings.CTIP_FIELD_KEYS[0]
    new_key = crypto.generate_key()
    crypto.check_keys_against_canary()
    settings.CTIP_FIELD_KEYS = [new_key, old_key]
    counts = rotate_all()
    assert counts["cases.Person"] == 1
    settings.CTIP_FIELD_KEYS = [new_key]
    assert Person.objects.get(pk=person.pk).full_name == NAME
    crypto.check_keys_against_canary()


def test_missing_or_wrong_key_refuses_to_start(person: Person, settings: Any) -> None:
    from ctip.cases.checks import field_keys

    crypto.check_keys_against_canary()
    settings.CTIP_FIELD_KEYS = []
    errors = field_keys()
    assert errors and "CTIP_FIELD_KEYS" in errors[0].msg
    with pytest.raises(crypto.KeyError_):
        actions.create_person(actor=None, unit=person.unit, full_name="Người mới")
    settings.CTIP_FIELD_KEYS = [crypto.generate_key()]
    errors = field_keys()
    assert errors and "wrong" in errors[0].msg
    with pytest.raises(crypto.KeyError_):
        Person.objects.get(pk=person.pk)


def test_follow_up_text_is_encrypted_at_rest_and_wiped_on_anonymisation(
        case: Any, users: Any) -> None:
    text = "Gọi cho mẹ chị ở ấp Mỹ Lộc"
    follow_up = actions.add_follow_up(actor=users["case_worker"], case=case, what=text,
                                      due_on=timezone.localdate() + dt.timedelta(days=2))
    with connection.cursor() as cursor:
        cursor.execute("SELECT what FROM cases_followup WHERE id = %s", [follow_up.pk])
        (raw,) = cursor.fetchone()
    assert text not in raw and crypto.decrypt(raw) == text
    assert type(follow_up).objects.get(pk=follow_up.pk).what == text

    request = actions.request_anonymisation(actor=users["case_worker"], person=case.person,
                                            reason="Theo yêu cầu của người được hỗ trợ")
    actions.approve_anonymisation(actor=users["system_admin"], request=request)
    assert type(follow_up).objects.get(pk=follow_up.pk).what == "—"


def test_the_migration_encrypts_follow_ups_written_before_it(case: Any, users: Any) -> None:
    import importlib

    migration = importlib.import_module("ctip.cases.migrations.0004_encrypt_follow_up_text")
    text = "Đưa chị đi khám sức khỏe"
    follow_up = actions.add_follow_up(actor=users["case_worker"], case=case, what=text,
                                      due_on=timezone.localdate())
    editor = type("Editor", (), {"connection": connection})()

    def raw() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SELECT what FROM cases_followup WHERE id = %s", [follow_up.pk])
            return str(cursor.fetchone()[0])

    migration.decrypt(None, editor)  # as it was stored before the migration
    assert raw() == text
    migration.encrypt(None, editor)
    assert raw() != text and crypto.decrypt(raw()) == text
    migration.encrypt(None, editor)  # running again does not encrypt twice
    assert type(follow_up).objects.get(pk=follow_up.pk).what == text

    # plain text that merely starts like a token is encrypted all the same
    lookalike = "gAAAAA là mã hẹn gặp chị ở xã"
    with connection.cursor() as cursor:
        cursor.execute("UPDATE cases_followup SET what = %s WHERE id = %s",
                       [lookalike, follow_up.pk])
    migration.encrypt(None, editor)
    assert type(follow_up).objects.get(pk=follow_up.pk).what == lookalike
    # going back cuts what no longer fits the old 300-character column
    type(follow_up).objects.filter(pk=follow_up.pk).update(what="x" * 400)
    migration.decrypt(None, editor)
    assert raw() == "x" * 300


def test_duplicates_are_still_found_after_a_rotation(tree: Any, users: Any,
                                                      settings: Any) -> None:
    """Issue 13: the keyed hash of a name used the newest key and was never recomputed, so
    3 of 3 persons matched before a rotation and 0 of 3 after."""
    from ctip.cases.rotation import rotate_all

    names = ["Nguyễn Thị Hoa", "Trần Thị Lan", "Lê Thị Mai"]
    created = [actions.create_person(actor=users["case_worker"], unit=tree.commune_a,
                                     full_name=n, birth_year=1990) for n in names]
    actions.anonymise_person(actor=None, person=actions.create_person(
        actor=None, unit=tree.commune_a, full_name="Phạm Thị Gấm"), reason="")

    def matches() -> list[list[str | None]]:
        return [[m.code for m in actions.possible_duplicates(
            actor=users["case_worker"], unit=tree.commune_a, full_name=n.upper(),
            birth_year=1990)] for n in names]

    expected = [[p.code] for p in created]
    assert matches() == expected
    old_key = settings.CTIP_FIELD_KEYS[0]
    settings.CTIP_FIELD_KEYS = [crypto.generate_key(), old_key]
    assert matches() == expected  # new key added, rotation not run yet: still found
    counts = rotate_all(batch_size=2)
    assert counts["cases.Person"] == 4
    settings.CTIP_FIELD_KEYS = settings.CTIP_FIELD_KEYS[:1]  # the old key removed
    assert matches() == expected
    assert Person.objects.get(pk=created[0].pk).full_name == names[0]
    anonymised = Person.objects.get(anonymised_at__isnull=False)
    assert anonymised.name_key == "" and anonymised.full_name == "—"
    # a new person with the same name is flagged as a duplicate of the rotated one
    assert actions.possible_duplicates(actor=None, unit=tree.commune_a,
                                       full_name="nguyen thi hoa", birth_year=None)


def test_rotation_is_resumable_and_idempotent(tree: Any, users: Any, settings: Any) -> None:
    from ctip.cases import rotation

    people = [actions.create_person(actor=None, unit=tree.commune_a, full_name=f"Người {i}",
                                    phone=f"09000000{i:02d}") for i in range(5)]
    old_key = settings.CTIP_FIELD_KEYS[0]
    settings.CTIP_FIELD_KEYS = [crypto.generate_key(), old_key]
    calls = 0

    def interrupt(label: str, changed: int) -> None:
        nonlocal calls
        calls += 1
        if label == "cases.Person" and changed >= 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        rotation.rotate_all(batch_size=2, progress=interrupt)
    # the first batch is committed with the new key; the rest still needs the old one
    newest_only = [settings.CTIP_FIELD_KEYS[0]]
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM cases_person ORDER BY id")
        tokens = [row[0] for row in cursor.fetchall()]
    from cryptography.fernet import Fernet, InvalidToken

    readable = 0
    for token in tokens:
        try:
            Fernet(newest_only[0].encode()).decrypt(token.encode())
            readable += 1
        except InvalidToken:
            pass
    assert readable == 2
    counts = rotation.rotate_all(batch_size=2)
    assert counts["cases.Person"] == 3  # only what the interrupted run had not done
    assert rotation.rotate_all(batch_size=2)["cases.Person"] == 0
    settings.CTIP_FIELD_KEYS = newest_only
    assert [Person.objects.get(pk=p.pk).phone for p in people] == [
        f"09000000{i:02d}" for i in range(5)]
