"""A restore empties the caches (``ops.backup.forget_cached``): what they kept was made from
the database it replaces (a signed-in user's roles, her session, cards and figures under data
versions the restored database reaches again with other rows). A Redis that other
installations share loses only ctip's keys."""

from __future__ import annotations

import uuid
from pathlib import Path

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
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
            assert forget_cached() == ["default", "files"]
            client = redis._cache.get_client()  # noqa: SLF001
            assert not list(client.scan_iter(match=f"{ours}:*"))
            assert files.get("home:duties:x") is None
        assert other.get("their-key") == "kept"  # another installation's key stays
    finally:
        other.delete("their-key")
