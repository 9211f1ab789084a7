"""Sealed files, private files, retention of backups, /healthz (issue 13)."""

from __future__ import annotations

import datetime as dt
import io
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from ctip.core import sealing
from ctip.core.private import create_private, make_private_dir


def _seal(data: bytes, **kwargs: Any) -> bytes:
    out = io.BytesIO()
    writer = sealing.SealedWriter(out, **kwargs)
    writer.write(data)
    writer.close()
    return out.getvalue()


def _open(sealed: bytes, opener: sealing.Opener) -> bytes:
    return b"".join(sealing.unseal(io.BytesIO(sealed), opener))


def test_a_sealed_stream_opens_with_the_passphrase_or_the_private_key_only() -> None:
    data = os.urandom(sealing.CHUNK * 2 + 1234)
    private_text, public_text = sealing.generate_keypair()
    sealed = _seal(data, passphrase="cụm mật khẩu dài", public_key=sealing.load_public_key(
        public_text))
    assert data[:64] not in sealed
    assert _open(sealed, sealing.Opener(passphrase="cụm mật khẩu dài")) == data
    assert _open(sealed, sealing.Opener(
        private_key=sealing.load_private_key(private_text))) == data
    with pytest.raises(sealing.SealError, match="cannot open"):
        _open(sealed, sealing.Opener(passphrase="sai rồi"))
    other_private, _ = sealing.generate_keypair()
    with pytest.raises(sealing.SealError, match="cannot open"):
        _open(sealed, sealing.Opener(private_key=sealing.load_private_key(other_private)))
    with pytest.raises(sealing.SealError, match="sealed for"):
        _open(sealed, sealing.Opener())


@pytest.mark.parametrize("damage", ["flip", "truncate", "drop-last", "append"])
def test_any_change_to_a_sealed_stream_is_detected(damage: str) -> None:
    data = os.urandom(sealing.CHUNK + 10)
    sealed = bytearray(_seal(data, passphrase="cụm mật khẩu dài"))
    if damage == "flip":
        sealed[-100] ^= 1
    elif damage == "truncate":
        del sealed[-10:]
    elif damage == "drop-last":  # cut exactly after the first chunk
        header = len(sealing.MAGIC) + 4 + int.from_bytes(sealed[len(sealing.MAGIC):
                                                                len(sealing.MAGIC) + 4], "big")
        first = int.from_bytes(sealed[header:header + 4], "big")
        del sealed[header + 5 + first:]
    else:
        sealed += b"x"
    with pytest.raises(sealing.SealError):
        _open(bytes(sealed), sealing.Opener(passphrase="cụm mật khẩu dài"))


def test_private_files_and_directories_ignore_the_umask(tmp_path: Path) -> None:
    previous = os.umask(0)
    try:
        directory = make_private_dir(tmp_path / "a" / "b")
        with create_private(directory / "f") as handle:
            handle.write(b"x")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "a").stat().st_mode) == 0o700
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert stat.S_IMODE((directory / "f").stat().st_mode) == 0o600
    with pytest.raises(FileExistsError):
        create_private(directory / "f")
    open_dir = tmp_path / "open"
    open_dir.mkdir()
    open_dir.chmod(0o755)
    with pytest.raises(CommandError, match="open to other users"):
        make_private_dir(open_dir)


def test_retention_keeps_the_newest_backups(tmp_path: Path) -> None:
    from ctip.ops.backup import newest_backup, prune

    names = [f"ctip-202612{d:02d}T023000Z.tar.sealed" for d in range(1, 10)]
    for name in names:
        (tmp_path / name).write_bytes(b"")
    (tmp_path / "notes.txt").write_text("kept")
    removed = prune(tmp_path, 3)
    assert sorted(p.name for p in removed) == names[:6]
    assert sorted(p.name for p in tmp_path.iterdir()) == [*names[6:], "notes.txt"]
    assert newest_backup(tmp_path) == tmp_path / names[-1]


# --- /healthz ---------------------------------------------------------------------------

@pytest.fixture
def queue(settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.mark.django_db
def test_healthz_without_a_queue_needs_no_worker() -> None:
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "worker_heartbeat_age": None,
                               "oldest_queued_task_age": None}


@pytest.mark.django_db
def test_healthz_answers_503_when_the_worker_is_dead(queue: None, settings: Any) -> None:
    from ctip.core.health import beat

    response = Client().get("/healthz")
    assert response.status_code == 503 and response.json()["status"] == "unhealthy"
    beat(timezone.now() - dt.timedelta(seconds=settings.CTIP_HEALTH_WORKER_SECONDS + 5))
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["worker_heartbeat_age"] > settings.CTIP_HEALTH_WORKER_SECONDS
    beat()
    response = Client().get("/healthz")
    assert response.status_code == 200
    # public: the two ages and the status, nothing else
    assert set(response.json()) == {"status", "worker_heartbeat_age", "oldest_queued_task_age"}
    assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_healthz_answers_503_when_the_queue_is_stuck(queue: None, settings: Any) -> None:
    from django_tasks_db.models import DBTaskResult

    from ctip.core.health import beat
    from ctip.portal.tasks import publish_scheduled

    beat()
    publish_scheduled.enqueue()
    response = Client().get("/healthz")
    assert response.status_code == 200 and response.json()["oldest_queued_task_age"] >= 0
    DBTaskResult.objects.update(
        enqueued_at=timezone.now() - dt.timedelta(seconds=settings.CTIP_HEALTH_QUEUE_SECONDS + 60))
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["oldest_queued_task_age"] > settings.CTIP_HEALTH_QUEUE_SECONDS
    # a task deferred to the future is not waiting yet
    DBTaskResult.objects.update(run_after=timezone.now() + dt.timedelta(hours=1))
    assert Client().get("/healthz").status_code == 200


def test_the_worker_beats_even_without_the_scheduler() -> None:
    import inspect

    from ctip.core.management.commands import worker

    source = inspect.getsource(worker.Command.handle)
    assert source.index("start_heartbeat(stop)") < source.index("if not options")


def test_the_key_export_holds_every_key_and_nothing_else(settings: Any, tmp_path: Path,
                                                         monkeypatch: Any) -> None:
    import json

    from ctip.core import keyfiles

    settings.DATA_DIR = tmp_path
    (tmp_path / "field_keys").write_text("k1\nk0\n")
    (tmp_path / "secret_key").write_text("s")
    (tmp_path / "audit_keys").write_text("a")
    (tmp_path / "ctip.sqlite3").write_text("not a key")
    monkeypatch.delenv("CTIP_FIELD_KEYS", raising=False)
    monkeypatch.setenv("CTIP_SIGNING_KEY", "from-env")
    monkeypatch.setenv("CTIP_BACKUP_PUBLIC_KEY", "/etc/ctip/public.key")
    document = json.loads(keyfiles.export_document())
    assert document["keys"] == {"field_keys": "k1\nk0\n", "secret_key": "s",
                                "audit_keys": "a", "signing_key": "from-env\n"}
    assert len(document["fingerprints"]["field_keys"]) == 2

    # imported into a new data directory; a different key is never replaced
    settings.DATA_DIR = tmp_path / "new"
    (tmp_path / "new").mkdir(mode=0o700)
    written = keyfiles.import_keys(keyfiles.parse_document(json.dumps(document).encode()),
                                   database_empty=True)
    assert written == ["audit_keys", "field_keys", "secret_key", "signing_key"]
    assert stat.S_IMODE((tmp_path / "new" / "field_keys").stat().st_mode) == 0o600
    document["keys"]["field_keys"] = "other\n"
    with pytest.raises(CommandError, match="exists with another key"):
        keyfiles.import_keys(document["keys"], database_empty=True)
    assert (tmp_path / "new" / "field_keys").read_text() == "k1\nk0\n"
    with pytest.raises(CommandError, match="unexpected file"):
        keyfiles.parse_document(json.dumps({"format": "ctip-keys",
                                            "keys": {"../x": "y"}}).encode())
