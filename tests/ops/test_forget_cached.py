"""A restore empties the caches (``ops.backup.forget_cached``): what they kept was made from
the database it replaces (a signed-in user's roles, her session, cards and figures under data
versions the restored database reaches again with other rows). A Redis that other
installations share loses only ctip's keys."""

from __future__ import annotations

import uuid
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test.utils import override_settings

from ctip.ops.backup import REDIS_BATCH, forget_cached
from tests.accounts.test_signed_in_cache import _redis_answers
from tests.conftest import needs

REDIS = "redis://127.0.0.1:6379/15"


def test_every_cache_is_emptied_of_ctips_keys_and_only_of_them(tmp_path: Path) -> None:
    needs(_redis_answers(), "Redis is not running on 127.0.0.1:6379")
    ours, theirs = f"ctip-test-{uuid.uuid4().hex}", f"other-{uuid.uuid4().hex}"
    other = RedisCache(REDIS, {"KEY_PREFIX": theirs})
    other.set("their-key", "kept", 60)
    try:
        with override_settings(CACHES={
                "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                            "LOCATION": REDIS, "KEY_PREFIX": ours},
                "files": {"BACKEND": "ctip.core.filecache.FileBasedCache",
                          "LOCATION": str(tmp_path / "cache")}}):
            redis, files = caches["default"], caches["files"]
            # more keys than one batch deletes
            redis.set_many({f"snapshot:{n}": n for n in range(REDIS_BATCH * 2 + 7)}, 60)
            files.set("home:duties:x", {"values": 1}, None)
            assert forget_cached() == [f"default: RedisCache {REDIS}, keys {ours}:*",
                                       f"files: FileBasedCache {tmp_path / 'cache'}"]
            client = redis._cache.get_client()  # noqa: SLF001
            assert not list(client.scan_iter(match=f"{ours}:*"))
            assert files.get("home:duties:x") is None
        assert other.get("their-key") == "kept"  # another installation's key stays
    finally:
        other.delete("their-key")


def test_the_command_empties_the_caches_and_names_them(tmp_path: Path) -> None:
    with override_settings(CACHES={"default": {
            "BACKEND": "ctip.core.filecache.FileBasedCache",
            "LOCATION": str(tmp_path / "cache")}}):
        caches["default"].set("reports:fragment:x", "<p>kept</p>", None)
        out = StringIO()
        call_command("caches", "list", stdout=out)
        assert out.getvalue() == f"default: FileBasedCache {tmp_path / 'cache'}\n"
        call_command("caches", "empty", stdout=out)
        assert f"Emptied default: FileBasedCache {tmp_path / 'cache'}" in out.getvalue()
        assert caches["default"].get("reports:fragment:x") is None


def test_a_restore_whose_caches_cannot_be_emptied_is_recorded_and_says_what_to_do(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The database is back when the caches are emptied: a cache that does not answer must
    not leave the restore unrecorded, nor let the services start on the old cache unawares."""
    from ctip.ops.management.commands import restore

    recorded: list[Any] = []
    monkeypatch.setattr(restore, "opener_for", lambda *a, **k: None)
    monkeypatch.setattr(restore, "restore_backup", lambda *a, **k: {"created_at": "x"})
    monkeypatch.setattr(restore, "record_restore", lambda *a: recorded.append(a))

    def unreachable() -> list[str]:
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(restore, "forget_cached", unreachable)
    out = StringIO()
    with pytest.raises(CommandError) as refused:
        call_command("restore", str(tmp_path / "b.tar"), "--skip-check", stdout=out)
    assert recorded  # the restore is in the audit trail
    assert "Restored." in out.getvalue()
    assert "Connection refused" in str(refused.value)
    assert "ctip caches empty" in str(refused.value)
    assert "Do not start the services" in str(refused.value)
