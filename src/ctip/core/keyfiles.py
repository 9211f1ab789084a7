"""The keys of an installation, exported and imported apart from the backups
(``ctip keys export`` / ``ctip keys import``).

A backup holds the data encrypted with the field keys; the keys are kept somewhere else, so that
whoever finds one of the two has nothing readable. What counts as a key:

- ``SECRET_KEY`` (sessions, signed links) and ``CTIP_FIELD_KEYS`` (identities, narratives),
  from the environment or from their files in the data directory;
- every other file of the data directory whose name matches ``settings.CTIP_KEY_FILE_PATTERNS``
  (``*_key``, ``*_keys``, ``*.key``: the audit chain's key, for example);
- every other ``CTIP_*_KEY`` / ``CTIP_*_KEYS`` environment variable (but not the
  ``CTIP_BACKUP_*`` settings: the backups' public key is not a secret, and their passphrase
  belongs with the backups' openers, not with the data's keys).

Imported, each is written as a private file of the data directory under the name ctip reads
when the variable is not set (``CTIP_AUDIT_KEYS`` becomes ``audit_keys``).
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError

from ctip.core.private import write_private

FORMAT = "ctip-keys"
KNOWN_ENV = {"SECRET_KEY": "secret_key", "CTIP_FIELD_KEYS": "field_keys"}
ENV_PATTERN = re.compile(r"^CTIP_[A-Z0-9_]+_KEYS?$")
FILE_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")


def fingerprint(key: str | bytes) -> str:
    """A short, non-secret name of a key, to tell keys apart in messages and manifests."""
    raw = key.encode() if isinstance(key, str) else key
    return hashlib.sha256(b"ctip-key-fingerprint|" + raw.strip()).hexdigest()[:16]


def _file_name(env_name: str) -> str:
    return KNOWN_ENV.get(env_name) or env_name.removeprefix("CTIP_").lower()


def collect() -> dict[str, str]:
    """``{file name: content}`` of every key of this installation."""
    keys: dict[str, str] = {}
    data_dir = Path(settings.DATA_DIR)
    patterns = getattr(settings, "CTIP_KEY_FILE_PATTERNS", ["*_key", "*_keys", "*.key"])
    if data_dir.is_dir():
        for path in sorted(data_dir.iterdir()):
            if (path.is_file() and not path.is_symlink() and FILE_NAME.match(path.name)
                    and any(fnmatch.fnmatch(path.name, p) for p in patterns)):
                keys[path.name] = path.read_text()
    for name, value in sorted(os.environ.items()):
        if name.startswith("CTIP_BACKUP_"):  # paths and passphrases of the backups
            continue
        if (name in KNOWN_ENV or ENV_PATTERN.match(name)) and value.strip():
            text = value.replace(",", "\n") if name == "CTIP_FIELD_KEYS" else value
            keys[_file_name(name)] = text.strip() + "\n"
    if "secret_key" not in keys and settings.SECRET_KEY and not settings.TESTING:
        keys["secret_key"] = settings.SECRET_KEY + "\n"
    if "field_keys" not in keys and settings.CTIP_FIELD_KEYS:
        keys["field_keys"] = "\n".join(settings.CTIP_FIELD_KEYS) + "\n"
    return keys


def export_document() -> bytes:
    keys = collect()
    if "field_keys" not in keys:
        raise CommandError("no field keys are configured: there is nothing to export")
    return json.dumps({
        "format": FORMAT, "version": 1,
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "keys": keys,
        "fingerprints": {"field_keys": [fingerprint(k) for k in keys["field_keys"].split()]},
    }, indent=2, sort_keys=True).encode()


def parse_document(data: bytes) -> dict[str, str]:
    try:
        document: dict[str, Any] = json.loads(data)
    except ValueError as exc:
        raise CommandError("this is not a key export made by `ctip keys export`") from exc
    if document.get("format") != FORMAT or not isinstance(document.get("keys"), dict):
        raise CommandError("this is not a key export made by `ctip keys export`")
    keys = {str(k): str(v) for k, v in document["keys"].items()}
    for name in keys:
        if not FILE_NAME.match(name):
            raise CommandError(f"the key export names an unexpected file: {name!r}")
    return keys


def import_keys(keys: dict[str, str], *, database_empty: bool) -> list[str]:
    """Write the keys into the data directory; return the names written. A key file that
    exists with other content is never replaced (that would make its data unreadable), except
    the generated ``secret_key`` of a data directory whose database is still empty."""
    data_dir = Path(settings.DATA_DIR)
    written = []
    for name, content in sorted(keys.items()):
        path = data_dir / name
        if path.exists():
            if path.read_text().split() == content.split():
                continue
            if not (name == "secret_key" and database_empty):
                raise CommandError(f"{path} exists with another key; it is left as it is and "
                                   "nothing was imported. Import into a new data directory, "
                                   "or remove the file if you are sure it is not needed.")
    for name, content in sorted(keys.items()):
        path = data_dir / name
        if path.exists() and path.read_text().split() == content.split():
            continue
        write_private(path, content.encode())
        written.append(name)
    return written
