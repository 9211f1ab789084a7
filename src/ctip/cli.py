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


def _write_new_private(path: Path, text: str) -> None:
    """Create a key file mode 600 from the start (never readable by others, whatever the
    umask; a file created and then narrowed with chmod is open in between)."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another ctip process made it first
        return
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text)


def ensure_data_dir(*, field_keys: bool = False) -> Path:
    """Create the data directory and a secret key on first use; reuse them afterwards."""
    directory = data_dir()
    if not directory.exists():
        directory.parent.mkdir(parents=True, exist_ok=True)
        directory.mkdir(mode=0o700)  # the database and uploads hold personal data
    key_file = directory / "secret_key"
    if not os.environ.get("SECRET_KEY") and not key_file.exists():
        _write_new_private(key_file, secrets.token_urlsafe(50))
    keys_file = directory / "field_keys"
    if field_keys and not os.environ.get("CTIP_FIELD_KEYS") and not keys_file.exists():
        # cryptography only when a new data directory needs a field key: the command line
        # starts without it
        from cryptography.fernet import Fernet

        _write_new_private(keys_file, Fernet.generate_key().decode() + "\n")
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
    # Django's command machinery once the data directory is set: importing the console
    # script stays light
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
