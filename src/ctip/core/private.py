"""Files that hold personal data or keys: created private whatever the umask.

A file is created with ``os.open(..., 0o600)`` and ``O_EXCL`` (never widened, then narrowed
with ``chmod``: between the two another user could open it), a directory with ``mkdir(0o700)``.
The umask can only take permissions away, so neither is ever readable by others.
"""

from __future__ import annotations

import getpass
import os
import stat
import sys
from pathlib import Path
from typing import IO

from django.core.management.base import CommandError

from ctip.core.sealing import MIN_PASSPHRASE

FILE_MODE = 0o600
DIR_MODE = 0o700


def make_private_dir(path: Path, *, strict: bool = True) -> Path:
    """Create ``path`` (and missing parents) mode 700. An existing directory open to others is
    refused when ``strict`` (what goes into it would be exposed by the listing at least)."""
    missing = []
    current = path
    while not current.exists():
        missing.append(current)
        current = current.parent
    for directory in reversed(missing):
        os.mkdir(directory, DIR_MODE)
    if not path.is_dir():
        raise CommandError(f"{path} is not a directory")
    mode = stat.S_IMODE(path.stat().st_mode)
    if strict and mode & 0o077:
        raise CommandError(f"{path} is open to other users (mode {mode:o}); make it private "
                           f"first: chmod 700 {path}")
    return path


def create_private(path: Path) -> IO[bytes]:
    """A new file, mode 600, opened for writing; refuses to replace an existing file or to
    follow a symbolic link."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    return os.fdopen(os.open(path, flags, FILE_MODE), "wb")


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to a new private file next to ``path`` and move it into place."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with create_private(temporary) as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def read_passphrase(*, file: str | None, env: str = "CTIP_BACKUP_PASSPHRASE",
                    prompt: bool = False, confirm: bool = False) -> str | None:
    """A passphrase from a file, the environment or a prompt; never from the command line
    (where every user of the machine sees it in the process list)."""
    passphrase: str | None = None
    if file:
        try:
            passphrase = Path(file).read_text().rstrip("\r\n")
        except OSError as exc:
            raise CommandError(f"cannot read the passphrase file {file}: {exc.strerror}") from exc
    elif os.environ.get(env):
        passphrase = os.environ[env]
    elif prompt and not sys.stdin.isatty():
        if confirm:  # asked for explicitly
            raise CommandError("there is no terminal to ask for the passphrase: use "
                               "--passphrase-file FILE or CTIP_BACKUP_PASSPHRASE")
    elif prompt:
        passphrase = getpass.getpass("Passphrase: ")
        if confirm and getpass.getpass("Passphrase again: ") != passphrase:
            raise CommandError("the two passphrases differ")
    if passphrase is not None and confirm:
        if len(passphrase) < MIN_PASSPHRASE:
            raise CommandError(f"the passphrase must be at least {MIN_PASSPHRASE} characters")
    return passphrase or None
