"""Field encryption for identity data.

Keys come from ``CTIP_FIELD_KEYS`` (comma separated Fernet keys, the newest first); while
rotating, the old key stays listed after the new one and ``ctip keys rotate`` re-encrypts every
value with the newest. Without a key the system refuses to start; with a key that cannot read
the data already stored (a wrong key) it refuses too, rather than writing plaintext or garbage.

Search keys (for duplicate checks on names) are HMACs with a key derived from the first field
key, so equal folded names match without storing the name. They are derived from a key, so
``ctip keys rotate`` recomputes them too (``ctip.cases.rotation``), and lookups try every
configured key until it has (``search_keys``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError

CANARY_TEXT = "ctip-key-check"


class KeyError_(ImproperlyConfigured):  # noqa: N801
    """The field keys are missing or cannot read the stored data."""


def _keys() -> list[bytes]:
    raw = [k.strip() for k in settings.CTIP_FIELD_KEYS if k.strip()]
    if not raw:
        raise KeyError_(
            "No field encryption key is configured. Set CTIP_FIELD_KEYS to one or more Fernet "
            "keys (newest first); generate one with `ctip keys generate`. ctip will not store "
            "identity data without encryption.")
    keys = []
    for key in raw:
        try:
            Fernet(key.encode())
        except (ValueError, TypeError) as exc:
            raise KeyError_(f"CTIP_FIELD_KEYS holds a value that is not a Fernet key "
                            f"({key[:4]}…).") from exc
        keys.append(key.encode())
    return keys


@lru_cache(maxsize=4)
def _fernet(keys: tuple[bytes, ...]) -> MultiFernet:
    return MultiFernet([Fernet(k) for k in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(_keys()))


def encrypt(value: str) -> str:
    return fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise KeyError_("The configured field keys cannot read stored identity data: the key "
                        "is wrong or missing from CTIP_FIELD_KEYS.") from exc


def rotate(token: str) -> str:
    return fernet().rotate(token.encode()).decode()


def current_keys() -> list[bytes]:
    """The configured field keys, newest first."""
    return _keys()


def _search_key(key: bytes, value: str) -> str:
    secret = hashlib.sha256(b"ctip-search-key|" + key).digest()
    return hmac.new(secret, value.encode(), hashlib.sha256).hexdigest()


def search_key(value: str) -> str:
    """A keyed hash of a folded value, for equality checks without storing the value. It is
    made with the newest key; ``ctip keys rotate`` recomputes the stored ones."""
    return _search_key(_keys()[0], value)


def search_keys(value: str) -> list[str]:
    """The hash of ``value`` under every configured key, newest first: what a lookup matches,
    so that rows not yet brought to the newest key by ``ctip keys rotate`` are still found."""
    return [_search_key(key, value) for key in _keys()]


def generate_key() -> str:
    return Fernet.generate_key().decode()


def check_keys_against_canary() -> None:
    """Raise ``KeyError_`` when the keys are missing or cannot read the stored canary."""
    # cases.models imports this module (through its encrypted fields)
    from ctip.cases.models import KeyCanary

    fernet()
    try:
        canary = KeyCanary.objects.filter(pk=1).first()
    except DatabaseError:  # tables not created yet (before migrate)
        return
    if canary is None:
        KeyCanary.objects.create(pk=1, token=encrypt(CANARY_TEXT))
        return
    if decrypt(canary.token) != CANARY_TEXT:
        raise KeyError_("The key check value does not match.")


def b64(value: bytes) -> str:
    return base64.urlsafe_b64encode(value).decode()
