"""The ``ctip`` command.

``ctip demo``, ``ctip serve``, ``ctip worker``, ``ctip check``, ``ctip units ...``,
``ctip audit verify``, and every Django management command (``ctip migrate``,
``ctip createsuperuser``, ...).
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path


def data_dir() -> Path:
    return Path(os.environ.get("CTIP_DATA_DIR", Path.cwd() / "var")).resolve()


def ensure_data_dir(*, field_keys: bool = False) -> Path:
    """Create the data directory and a secret key on first use; reuse them afterwards."""
    directory = data_dir()
    if not directory.exists():
        directory.mkdir(parents=True)
        directory.chmod(0o700)  # the database and uploads hold personal data
    key_file = directory / "secret_key"
    if not os.environ.get("SECRET_KEY") and not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    keys_file = directory / "field_keys"
    if field_keys and not os.environ.get("CTIP_FIELD_KEYS") and not keys_file.exists():
        from cryptography.fernet import Fernet

        keys_file.write_text(Fernet.generate_key().decode() + "\n")
        keys_file.chmod(0o600)
    os.environ["CTIP_DATA_DIR"] = str(directory)
    return directory


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    argv[0] = "ctip"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ctip.settings")
    command = argv[1] if len(argv) > 1 else "help"
    if command not in {"help", "--help", "-h", "--version"}:
        # the demo is a local installation: it keeps its field key in the data directory
        ensure_data_dir(field_keys=command in {"demo", "synth"})
    if command == "check":
        argv[1:2] = ["ctip_check"]
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
