"""The audit trail against an insider who holds the database (and the data directory) but not
the audit key: each attack of decision 0023, carried out exactly as she would."""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib
import json
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps as global_apps
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from ctip.accounts.capabilities import Role
from ctip.audit import keys
from ctip.audit.actions import record
from ctip.audit.checkpoints import ACTION, checkpoint_file, read_lines, write_checkpoint
from ctip.audit.models import AuditEvent, ChainHead, keyed_hash, legacy_hash
from ctip.audit.verify import verify_chain
from tests.audit.test_audit_trail import drop_append_only_triggers
from tests.conftest import make_user

ATTACKER_KEY = b"the insider does not have the key"


def add_events(user: Any, n: int, prefix: str = "test") -> list[AuditEvent]:
    return [record(actor=user, action=f"{prefix}.{i}", target_label=f"{prefix} {i}")
            for i in range(n)]


def rechain_from(event_id: int, *, key: bytes | None) -> None:
    """Recompute every hash from ``event_id`` on, as an insider would, and move the head.
    ``key=None``: the old unkeyed SHA-256 of the public source."""
    previous = AuditEvent.objects.filter(id__lt=event_id).order_by("-id").first()
    prev = previous.hash if previous else "0" * 64
    for event in AuditEvent.objects.filter(id__gte=event_id).order_by("id"):
        event.prev_hash = prev
        event.hash = keyed_hash(event, key) if key else legacy_hash(event)
        AuditEvent.objects.filter(pk=event.pk).update(prev_hash=event.prev_hash, hash=event.hash)
        prev = event.hash
    ChainHead.objects.filter(pk=1).update(last_hash=prev, count=AuditEvent.objects.count())


def cut_newest(after_id: int) -> None:
    """Delete every event after ``after_id`` and rewind the head to match: a consistent chain."""
    AuditEvent.objects.filter(id__gt=after_id).delete()
    last = AuditEvent.objects.order_by("-id").first()
    assert last is not None
    ChainHead.objects.filter(pk=1).update(last_hash=last.hash, count=AuditEvent.objects.count())


@pytest.mark.parametrize("attacker_key", [ATTACKER_KEY, None], ids=["guessed-key", "sha256"])
def test_an_edited_event_is_caught_though_every_later_hash_was_recomputed(
        tree: Any, users: Any, attacker_key: bytes | None) -> None:
    events = add_events(users["viewer"], 4)
    victim = events[1]
    drop_append_only_triggers()
    AuditEvent.objects.filter(pk=victim.pk).update(target_label="nothing happened here")
    rechain_from(victim.pk, key=attacker_key)

    result = verify_chain()
    assert not result.ok
    assert any(f"#{victim.pk}" in p and "edited" in p for p in result.problems), result.problems
    # the links and the head agree: only the key gives the edit away
    assert not any("broken" in p or "head" in p for p in result.problems), result.problems
    with pytest.raises(CommandError):
        call_command("audit", "verify", "--no-checkpoint")


def test_the_newest_events_deleted_and_the_head_rewound_are_caught(tree: Any,
                                                                   users: Any) -> None:
    kept = add_events(users["viewer"], 3, "kept")
    add_events(users["viewer"], 3, "hidden")
    checkpoint = write_checkpoint("daily")
    drop_append_only_triggers()
    cut_newest(kept[-1].pk)  # the hidden events and the checkpoint's own event go too

    result = verify_chain()
    assert not result.ok
    assert any(f"checkpoint {checkpoint.seq}" in p and f"#{checkpoint.last_id}" in p
               and "deleted" in p for p in result.problems), result.problems
    # the chain alone looks whole: without the checkpoint this attack would pass
    assert not any(p.startswith("event #") or "chain head" in p for p in result.problems)


def test_the_checkpoint_file_removed_is_caught(tree: Any, users: Any) -> None:
    add_events(users["viewer"], 2)
    write_checkpoint("daily")
    checkpoint_file().unlink()

    result = verify_chain()
    assert any("missing" in p for p in result.problems), result.problems


def test_the_checkpoint_file_rolled_back_is_caught(tree: Any, users: Any) -> None:
    add_events(users["viewer"], 2)
    write_checkpoint("daily")
    add_events(users["viewer"], 2)
    write_checkpoint("daily")
    lines = read_lines()
    assert lines is not None and len(lines) == 2
    checkpoint_file().write_text(lines[0] + "\n")

    result = verify_chain()
    assert any("rolled back" in p and "checkpoint 2" in p for p in result.problems), \
        result.problems


def test_a_rollback_of_both_file_and_trail_is_caught_by_the_auditors_copy(
        tree: Any, users: Any) -> None:
    """The limit of what the server can prove alone (decision 0023): rolling back the chain's
    tail and the file together to an earlier genuine state leaves them consistent. The
    checkpoint e-mailed to the auditor is what catches it."""
    add_events(users["viewer"], 2)
    first = write_checkpoint("daily")
    add_events(users["viewer"], 3, "later")
    second = write_checkpoint("daily")
    drop_append_only_triggers()
    cut_newest(AuditEvent.objects.get(action=ACTION, changes__seq=first.seq).pk)
    checkpoint_file().write_text(first.line() + "\n")

    assert verify_chain().ok  # locally consistent, as documented
    result = verify_chain(external=[second.line()])
    assert any(f"checkpoint {second.seq}" in p and "deleted" in p for p in result.problems), \
        result.problems
    with pytest.raises(CommandError):
        call_command("audit", "verify", "--checkpoint", second.line())


def test_forged_altered_or_removed_checkpoint_lines_are_caught(tree: Any, users: Any) -> None:
    add_events(users["viewer"], 1)
    for _ in range(3):
        write_checkpoint("daily")
    lines = read_lines()
    assert lines is not None
    # a line rewritten to claim fewer events, without the key
    forged = json.loads(lines[2])
    forged["count"] = 1
    checkpoint_file().write_text("\n".join([lines[0], lines[1], json.dumps(forged)]) + "\n")
    assert any("valid signature" in p for p in verify_chain().problems)
    # a line taken out of the middle
    checkpoint_file().write_text("\n".join([lines[0], lines[2]]) + "\n")
    assert any("does not follow" in p for p in verify_chain().problems)
    checkpoint_file().write_text("\n".join(lines) + "\n")
    assert verify_chain().ok


def test_a_chain_head_that_counts_wrong_is_caught(tree: Any, users: Any) -> None:
    add_events(users["viewer"], 2)
    head = ChainHead.objects.get()
    ChainHead.objects.filter(pk=1).update(count=head.count + 1)
    result = verify_chain()
    assert result.problems == [f"the chain head counts {head.count + 1} events but "
                               f"{head.count} exist"]


def test_an_event_signed_with_an_unknown_key_is_caught(tree: Any, users: Any) -> None:
    events = add_events(users["viewer"], 2)
    drop_append_only_triggers()
    AuditEvent.objects.filter(pk=events[0].pk).update(key_id="forged")
    assert any(f"#{events[0].pk}" in p and "unknown audit key" in p
               for p in verify_chain().problems)


def test_rotating_the_key_keeps_old_events_verifiable(tree: Any, users: Any, settings: Any,
                                                      tmp_path: Path) -> None:
    # the key file holds the key that signed the events so far (the tests' key)
    settings.CTIP_AUDIT_KEY_FILE = tmp_path / "audit_keys"
    settings.CTIP_AUDIT_KEY_FILE.write_text("\n".join(settings.CTIP_AUDIT_KEYS) + "\n")
    settings.CTIP_AUDIT_KEYS = []
    ring = keys.load_keys()
    assert ring.source == "file"
    before = record(actor=users["viewer"], action="test.before", target_label="a")
    assert before.key_id == ring.current

    out = _run("audit", "rotate-key")
    after = record(actor=users["viewer"], action="test.after", target_label="b")
    assert after.key_id != before.key_id and after.key_id in out
    assert AuditEvent.objects.filter(action="audit.key_rotated", target_label=after.key_id)
    assert verify_chain().ok

    # without the old key the events it signed cannot be vouched for
    lines = settings.CTIP_AUDIT_KEY_FILE.read_text().splitlines()
    assert len(lines) == 2 and lines[0].startswith(after.key_id + ":")
    settings.CTIP_AUDIT_KEY_FILE.write_text(lines[0] + "\n")
    keys.reset_cache()
    assert any(f"#{before.pk}" in p and "unknown audit key" in p
               for p in verify_chain().problems)
    keys.reset_cache()


def test_a_missing_key_file_is_created_for_its_owner_only(settings: Any,
                                                          tmp_path: Path) -> None:
    settings.CTIP_AUDIT_KEYS = []
    settings.CTIP_AUDIT_KEY_FILE = tmp_path / "new" / "audit_keys"
    ring = keys.load_keys()
    assert settings.CTIP_AUDIT_KEY_FILE.stat().st_mode & 0o777 == 0o600
    assert len(ring.keys[ring.current]) == 32
    keys.reset_cache()
    assert keys.load_keys() == ring  # read back, not made again


def test_keys_from_the_environment_are_not_written(settings: Any, tree: Any) -> None:
    settings.CTIP_AUDIT_KEYS = ["k1:" + "A" * 43 + "="]
    out = _run("audit", "rotate-key")
    assert "CTIP_AUDIT_KEYS" in out
    assert keys.load_keys().current == "k1"


def test_a_short_or_malformed_key_is_refused(settings: Any) -> None:
    from django.core.exceptions import ImproperlyConfigured

    for bad in (["nokey"], ["k1:c2hvcnQ="], ["k1:" + "A" * 43 + "=", "k1:" + "B" * 43 + "="]):
        settings.CTIP_AUDIT_KEYS = bad
        with pytest.raises(ImproperlyConfigured):
            keys.load_keys()


def test_verify_writes_a_checkpoint_and_tells_the_top_auditor(tree: Any, users: Any) -> None:
    auditor = make_user("kiemtoan.tw", Role.AUDITOR, tree.central, email="kt@example.org")
    make_user("kiemtoan.tinh", Role.AUDITOR, tree.province, email="tinh@example.org")
    out = _run("audit", "verify")
    lines = read_lines()
    assert lines is not None and len(lines) == 1
    assert lines[0] in out
    assert [m.to for m in mail.outbox] == [[auditor.email]]
    assert lines[0] in mail.outbox[0].body
    assert AuditEvent.objects.filter(action=ACTION).count() == 1
    # the line from the e-mail checks out against the trail later
    _run("audit", "verify", "--checkpoint", lines[0], "--no-checkpoint")
    assert len(read_lines() or []) == 1


def test_a_failed_verify_alerts_the_auditor_and_writes_no_checkpoint(tree: Any,
                                                                     users: Any) -> None:
    make_user("kiemtoan.tw", Role.AUDITOR, tree.central, email="kt@example.org")
    events = add_events(users["viewer"], 2)
    drop_append_only_triggers()
    AuditEvent.objects.filter(pk=events[0].pk).update(target_label="x")
    with pytest.raises(CommandError):
        call_command("audit", "verify")
    assert read_lines() is None
    assert len(mail.outbox) == 1 and f"#{events[0].pk}" in mail.outbox[0].body


def test_the_worker_writes_a_checkpoint_every_day(tree: Any) -> None:
    from ctip.audit.tasks import run_daily_checkpoint
    from ctip.core.scheduler import JOBS

    job = next(j for j in JOBS if j.task == "ctip.audit.tasks.write_daily_checkpoint")
    assert job.daily_at is not None or (job.every and job.every <= dt.timedelta(days=1))
    assert run_daily_checkpoint()["seq"] == 1
    # run again the same day (a worker killed after writing, its task run again): nothing more
    assert run_daily_checkpoint() == {"ok": True, "skipped": "already written today"}
    assert len(read_lines() or []) == 1


def test_ctip_check_warns_when_the_newest_checkpoint_is_over_a_day_old(tree: Any) -> None:
    from io import StringIO

    from ctip.ops.management.commands.ctip_check import Command

    def warning() -> str:
        out = StringIO()
        Command(stdout=out)._warn_on_old_checkpoint()
        return out.getvalue()

    assert "no audit checkpoint" in warning()
    write_checkpoint("daily", now=timezone.now() - dt.timedelta(days=1, minutes=5))
    assert "more than a day ago" in warning()
    write_checkpoint("daily")
    assert warning() == ""


def test_the_migration_rechains_an_unkeyed_trail_and_refuses_a_broken_one(
        tree: Any, users: Any) -> None:
    """Events from before decision 0023 (plain SHA-256) are signed again under the key."""
    migration = importlib.import_module("ctip.audit.migrations.0003_audit_keyed_chain")
    add_events(users["viewer"], 3)
    drop_append_only_triggers()
    AuditEvent.objects.update(key_id="")
    rechain_from(AuditEvent.objects.order_by("id").first().pk, key=None)  # the old chain
    assert not verify_chain().ok

    class Editor:
        def __init__(self) -> None:
            self.connection = connection

        def execute(self, sql: str) -> None:
            with connection.cursor() as cursor:
                cursor.execute(sql)

    migration.rechain(global_apps, Editor())
    assert verify_chain().ok
    assert set(AuditEvent.objects.values_list("key_id", flat=True)) == {
        keys.load_keys().current}

    drop_append_only_triggers()
    AuditEvent.objects.update(key_id="")
    first = AuditEvent.objects.order_by("id").first()
    rechain_from(first.pk, key=None)
    AuditEvent.objects.filter(pk=first.pk).update(target_label="edited before the upgrade")
    with pytest.raises(RuntimeError, match="already broken"):
        migration.rechain(global_apps, Editor())


def _run(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_checkpoint_lines_link_to_the_line_before(tree: Any) -> None:
    write_checkpoint("a")
    write_checkpoint("b")
    lines = read_lines() or []
    assert json.loads(lines[1])["prev"] == hashlib.sha256(lines[0].encode()).hexdigest()
