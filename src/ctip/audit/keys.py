"""The keys that sign the audit chain: kept outside the database, rotatable.

Every audit event is chained with HMAC-SHA256 under a key that the database does not hold, so
someone who can write the database but has not the key cannot recompute the hashes after editing
an event. Each event records the id of the key that signed it; rotating adds a new key that new
events use, and the old keys stay for verification.

Where the keys come from (``load_keys`` is the one function that reads them; ``ctip keys
export`` and backups use it too):

- ``CTIP_AUDIT_KEYS``: ``id:key,id:key`` with the newest first, ``key`` being 32 random bytes in
  URL-safe base64 (production: put them in the service's environment or secret store, not in a
  place the database administrator can read);
- otherwise the file ``<data dir>/audit_keys`` (one ``id:key`` a line, newest first), created
  with one fresh key on first use, mode 0600, beside ``field_keys``.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

ENV = "CTIP_AUDIT_KEYS"


@dataclass(frozen=True)
class KeyRing:
    """The audit keys by id; ``current`` signs new events."""

    keys: dict[str, bytes]
    current: str
    source: str  # "environment", "file" or "tests"

    def key(self, key_id: str) -> bytes | None:
        return self.keys.get(key_id)


_cache: dict[str, KeyRing] = {}


def key_file() -> Path:
    return Path(getattr(settings, "CTIP_AUDIT_KEY_FILE", Path(settings.DATA_DIR) / "audit_keys"))


def new_key_line(existing: set[str] | None = None) -> str:
    """A fresh ``id:key`` entry: the id is the UTC date and time, unique among ``existing``."""
    base = dt.datetime.now(dt.UTC).strftime("k%Y%m%d%H%M%S")
    key_id, n = base, 1
    while existing and key_id in existing:
        n += 1
        key_id = f"{base}-{n}"
    return f"{key_id}:{base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()}"


def parse(entries: list[str], source: str) -> KeyRing:
    keys: dict[str, bytes] = {}
    for entry in entries:
        key_id, sep, encoded = entry.strip().partition(":")
        if not sep or not key_id or len(key_id) > 32:
            raise ImproperlyConfigured(f"audit key entry without an id in {source}: "
                                       "write each one as id:key")
        try:
            raw = base64.urlsafe_b64decode(encoded.encode())
        except (binascii.Error, ValueError) as exc:
            raise ImproperlyConfigured(f"audit key {key_id} in {source} is not base64") from exc
        if len(raw) < 32:
            raise ImproperlyConfigured(f"audit key {key_id} in {source} is shorter than 32 "
                                       "bytes")
        if key_id in keys:
            raise ImproperlyConfigured(f"audit key id {key_id} appears twice in {source}")
        keys[key_id] = raw
    if not keys:
        raise ImproperlyConfigured(f"no audit key in {source}")
    return KeyRing(keys=keys, current=next(iter(keys)), source=source)


def _read_file(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text().splitlines()
            if line.strip() and not line.startswith("#")]


def _create_file(path: Path) -> None:
    """Write the first key to a private temporary file, then link it into place: a process
    starting at the same moment sees either no file or a whole one (FileExistsError if another
    process won)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(new_key_line() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.link(tmp, path)
    finally:
        tmp.unlink()


def load_keys() -> KeyRing:
    """The audit key ring: from ``CTIP_AUDIT_KEYS``, else the key file (created when absent)."""
    configured = getattr(settings, "CTIP_AUDIT_KEYS", None) or os.environ.get(ENV, "")
    if isinstance(configured, str):
        configured = [e for e in configured.split(",") if e.strip()]
    cache_key = f"{','.join(configured)}|{key_file()}"
    cached = _cache.get(cache_key)
    if cached is not None:
        return cached
    if configured:
        ring = parse(list(configured), "environment")
    else:
        path = key_file()
        if not path.exists():
            try:
                _create_file(path)
            except FileExistsError:  # another process created it first
                pass
        ring = parse(_read_file(path), str(path))
        ring = KeyRing(ring.keys, ring.current, "file")
    _cache.clear()
    _cache[cache_key] = ring
    return ring


def reset_cache() -> None:
    _cache.clear()


def rotate() -> tuple[str, str]:
    """Add a new key in front of the key file; return (new key id, where it was written).

    With keys from the environment nothing is written: the new entry is returned for the
    operator to put in front of ``CTIP_AUDIT_KEYS``."""
    ring = load_keys()
    line = new_key_line(set(ring.keys))
    if ring.source == "environment":
        return line.split(":", 1)[0], line
    path = key_file()
    old = path.read_text()
    tmp = path.with_name(path.name + ".new")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(line + "\n" + old)
        handle.flush()
        os.fsync(handle.fileno())
    tmp.replace(path)
    reset_cache()
    return line.split(":", 1)[0], str(path)
