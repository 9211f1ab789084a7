"""Several servers: the settings a national roll-out sets, and one cache shared by all of them,
so that a publish or a user's own write is seen by every server at once."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.core.cache.backends.redis import RedisCache
from django.test import RequestFactory

from ctip.core import checks, dbrouter
from ctip.portal import caching
from tests.conftest import needs

REDIS = ("127.0.0.1", 6379)
SRC = Path(__file__).resolve().parents[2] / "src"


def _settings_of(tmp_path: Path, **env: str) -> dict[str, Any]:
    """The settings a server started with ``env`` would have (not the tests' own)."""
    clean = {k: v for k, v in os.environ.items()
             if k not in {"CTIP_TESTING", "DATABASE_URL", "DATABASE_REPLICA_URL", "CTIP_CACHE_URL",
                          "CTIP_CACHE_PREFIX"}}
    clean.update({"PYTHONPATH": str(SRC), "CTIP_DATA_DIR": str(tmp_path), "SECRET_KEY": "x" * 50,
                  **env})
    code = ("import json, ctip.settings as s; print(json.dumps({'databases': s.DATABASES, "
            "'replica': s.CTIP_REPLICA_ALIAS, 'cache': s.CACHES['default'], "
            "'routers': s.DATABASE_ROUTERS}, default=str))")
    out = subprocess.run([sys.executable, "-c", code], env=clean, capture_output=True,  # noqa: S603
                         text=True, check=True, timeout=60)
    return json.loads(out.stdout)


def test_a_replica_and_a_shared_cache_come_from_the_environment(tmp_path: Path) -> None:
    alone = _settings_of(tmp_path)
    assert set(alone["databases"]) == {"default"} and alone["replica"] == ""
    assert alone["cache"]["BACKEND"].endswith("FileBasedCache")
    several = _settings_of(tmp_path, DATABASE_URL="postgres://ctip@10.0.0.11:5432/ctip",
                           DATABASE_REPLICA_URL="postgres://ctip@10.0.0.12:5432/ctip",
                           CTIP_CACHE_URL="redis://10.0.0.13:6379/0")
    replica = several["databases"]["replica"]
    assert (replica["HOST"], replica["NAME"]) == ("10.0.0.12", "ctip")
    assert replica["OPTIONS"]["connect_timeout"] == 3  # an unreachable replica costs seconds
    assert replica["TEST"] == {"MIRROR": "default"}
    assert several["replica"] == "replica"
    assert several["routers"] == ["ctip.core.dbrouter.ReplicaRouter"]
    assert several["cache"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert several["cache"]["LOCATION"] == "redis://10.0.0.13:6379/0"


def test_two_installations_on_one_redis_keep_apart_and_one_installations_servers_share(
        tmp_path: Path) -> None:
    """Two installations (two provinces, or a training copy beside the real one) sent to one
    Redis database must not read each other's cards, figures and sessions: the key prefix
    comes from the installation's own secret key unless ``CTIP_CACHE_PREFIX`` names one; the
    servers of one installation, which share its secret key, share it."""
    redis = {"CTIP_CACHE_URL": "redis://10.0.0.13:6379/0"}
    province = _settings_of(tmp_path, SECRET_KEY="p" * 50, **redis)["cache"]["KEY_PREFIX"]
    training = _settings_of(tmp_path, SECRET_KEY="t" * 50, **redis)["cache"]["KEY_PREFIX"]
    assert province != training
    assert _settings_of(tmp_path, SECRET_KEY="p" * 50, **redis)["cache"]["KEY_PREFIX"] == province
    assert province.startswith("ctip-") and "p" * 8 not in province  # no part of the key
    named = _settings_of(tmp_path, SECRET_KEY="p" * 50, CTIP_CACHE_PREFIX="ctip-quangtri",
                         **redis)["cache"]["KEY_PREFIX"]
    assert named == "ctip-quangtri"


def test_a_cache_prefix_that_could_not_be_one_is_refused(tmp_path: Path) -> None:
    """A Redis pattern character in the prefix would let ``ctip caches empty`` delete the keys
    of another installation."""
    for bad in ("ctip*", "ctip:x", "c t", "x" * 65):
        with pytest.raises(subprocess.CalledProcessError) as refused:
            _settings_of(tmp_path, CTIP_CACHE_URL="redis://10.0.0.13:6379/0",
                         CTIP_CACHE_PREFIX=bad)
        assert "CTIP_CACHE_PREFIX" in refused.value.stderr


def test_ctip_check_warns_about_a_replica_without_a_shared_cache(settings: Any) -> None:
    settings.CTIP_REPLICA_ALIAS = "replica"
    settings.CTIP_CACHE_URL = ""
    assert [m.id for m in checks.shared_cache()] == ["ctip.W047"]
    settings.CTIP_CACHE_URL = "redis://127.0.0.1:6379/0"
    assert checks.shared_cache() == []


def _redis_answers() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def two_servers() -> tuple[RedisCache, RedisCache]:
    """The caches of two application servers configured with the same CTIP_CACHE_URL."""
    needs(_redis_answers(), "Redis is not running on 127.0.0.1:6379")
    prefix = f"ctip-test-{uuid.uuid4().hex}"
    params = {"KEY_PREFIX": prefix, "TIMEOUT": 60}
    first = RedisCache(f"redis://{REDIS[0]}:{REDIS[1]}/15", dict(params))
    second = RedisCache(f"redis://{REDIS[0]}:{REDIS[1]}/15", dict(params))
    yield first, second
    first.delete_many([caching.VERSION_KEY])
    first.close()
    second.close()


def test_a_publish_on_one_server_is_seen_by_the_other(two_servers: Any,
                                                      monkeypatch: Any) -> None:
    first, second = two_servers
    monkeypatch.setattr(caching, "cache", second)
    before = caching.bulletin_version()
    monkeypatch.setattr(caching, "cache", first)
    caching.bump_version()  # an editor publishes through the first server
    monkeypatch.setattr(caching, "cache", second)
    assert caching.bulletin_version() != before


def test_a_write_on_one_server_sends_the_next_report_read_on_the_other_to_the_primary(
        two_servers: Any, monkeypatch: Any, settings: Any) -> None:
    first, second = two_servers
    settings.CTIP_REPLICA_STICKY_SECONDS = 60
    request = RequestFactory().post("/api/v1/activities",
                                    HTTP_AUTHORIZATION=f"Bearer ctip_{uuid.uuid4().hex}")
    monkeypatch.setattr(dbrouter, "cache", second)
    assert not dbrouter.wrote_recently(request)
    monkeypatch.setattr(dbrouter, "cache", first)
    dbrouter.note_write(request)
    monkeypatch.setattr(dbrouter, "cache", second)
    assert dbrouter.wrote_recently(request)
