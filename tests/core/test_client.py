"""One answer to "who is the client" (ctip.core.client), used by audit, lockout and limits."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import RequestFactory

from ctip.core.client import client_ip


def ip(remote: str, forwarded: str | None = None) -> str | None:
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_ip(RequestFactory().get("/", **extra))


def test_the_documented_proxy_on_the_same_host_is_trusted_by_default() -> None:
    assert {"127.0.0.1", "::1"} <= django_settings.CTIP_TRUSTED_PROXIES
    assert ip("127.0.0.1", "203.0.113.5") == "203.0.113.5"


def test_the_header_is_ignored_from_an_untrusted_address() -> None:
    assert ip("198.51.100.9", "10.9.9.9") == "198.51.100.9"


def test_the_rightmost_untrusted_address_is_the_client(settings: Any) -> None:
    settings.CTIP_TRUSTED_PROXIES = frozenset({"127.0.0.1", "10.0.0.0/8"})
    # client-forged entries on the left, then the client, then two trusted proxies
    assert ip("127.0.0.1", "1.2.3.4, 203.0.113.5, 10.1.1.1") == "203.0.113.5"
    assert ip("10.2.2.2", "203.0.113.5") == "203.0.113.5"
    # a chain made of trusted proxies only: the first of them
    assert ip("127.0.0.1", "10.1.1.1") == "10.1.1.1"
    # garbage stops the walk at the last trusted proxy, never reaching forged entries
    assert ip("127.0.0.1", "203.0.113.7, not-an-address") == "127.0.0.1"
    # ports and IPv4-mapped IPv6 are read as the address
    assert ip("127.0.0.1", "203.0.113.5:51000") == "203.0.113.5"
    assert ip("::ffff:203.0.113.8") == "203.0.113.8"
    assert ip("127.0.0.1", "[2001:db8::1]:443") == "2001:db8::1"
    assert ip("not-an-address") is None


def _settings_with(env_extra: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["SECRET_KEY"] = "only-for-this-check"  # noqa: S105
    env.update(env_extra)
    code = "from ctip import settings; print(sorted(settings.CTIP_TRUSTED_PROXIES))"
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,  # noqa: S603
                          text=True, check=False, timeout=60)


@pytest.mark.parametrize("value", ["10.0.0.5"])
def test_one_setting_name_the_old_one_is_refused_loudly(value: str) -> None:
    ok = _settings_with({"CTIP_TRUSTED_PROXIES": value})
    assert ok.returncode == 0 and value in ok.stdout
    old = _settings_with({"CTIP_FORWARDED_ALLOW_IPS": value})
    assert old.returncode != 0 and "CTIP_TRUSTED_PROXIES" in old.stderr
