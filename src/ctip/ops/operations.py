"""The operator's side of backups: settings, sealing options, audit records, the worker's
scheduled backup with retention (``core.backup`` in ``ctip.core.scheduler.JOBS``)."""

from __future__ import annotations

import datetime as dt
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.utils import timezone

from ctip.audit.actions import record
from ctip.core import sealing
from ctip.core.faults import pause
from ctip.core.leases import lease_seconds
from ctip.core.private import read_passphrase
from ctip.ops.backup import PREFIX, create_backup, newest_backup, prune

logger = logging.getLogger("ctip.backup")


@dataclass
class BackupOptions:
    directory: Path | None
    public_key_file: str | None
    passphrase_file: str | None
    prompt: bool = False

    def sealing(self) -> tuple[Any, str | None]:
        public_key = None
        if self.public_key_file:
            try:
                public_key = sealing.load_public_key(Path(self.public_key_file).read_text())
            except OSError as exc:
                raise CommandError(f"cannot read the public key {self.public_key_file}: "
                                   f"{exc.strerror}") from exc
            except (sealing.SealError, ValueError) as exc:
                raise CommandError(f"{self.public_key_file}: {exc}") from exc
        passphrase = read_passphrase(file=self.passphrase_file, prompt=self.prompt,
                                     confirm=True)
        return public_key, passphrase


def backup_options(*, public_key_file: str | None = None, passphrase_file: str | None = None,
                   prompt: bool = False) -> BackupOptions:
    directory = settings.CTIP_BACKUP_DIR
    return BackupOptions(
        directory=Path(directory) if directory else None,
        public_key_file=public_key_file or settings.CTIP_BACKUP_PUBLIC_KEY or None,
        passphrase_file=passphrase_file or settings.CTIP_BACKUP_PASSPHRASE_FILE or None,
        prompt=prompt)


def opener_for(path: Path, *, private_key_file: str | None,
               passphrase_file: str | None) -> sealing.Opener:
    """What opens ``path``: nothing for a clear backup; else the private key and/or a
    passphrase from a file, the environment or a prompt."""
    if not path.is_file():
        raise CommandError(f"{path} is not a file")
    if not sealing.is_sealed(path):
        return sealing.Opener()
    private_key = None
    if private_key_file:
        try:
            private_key = sealing.load_private_key(Path(private_key_file).read_text())
        except OSError as exc:
            raise CommandError(f"cannot read the private key {private_key_file}: "
                               f"{exc.strerror}") from exc
        except (sealing.SealError, ValueError) as exc:
            raise CommandError(f"{private_key_file}: {exc}") from exc
    passphrase = read_passphrase(file=passphrase_file, prompt=private_key is None)
    return sealing.Opener(passphrase=passphrase, private_key=private_key)


def record_backup(backup: Any, removed: list[Path]) -> None:
    record(actor=None, action="backup.created", target_label=backup.path.name,
           changes={"tables": len(backup.manifest["tables"]),
                    "files": len(backup.manifest["files"]),
                    "sealed": backup.path.name.endswith(".sealed"),
                    "removed": [p.name for p in removed]})


def record_restore(path: Path, manifest: dict[str, Any]) -> None:
    record(actor=None, action="backup.restored", target_label=path.name,
           changes={"backup_created_at": manifest["created_at"],
                    "ctip_version": manifest["ctip_version"]})


def _made_today(directory: Path, now: dt.datetime) -> Path | None:
    """The newest backup of ``directory`` when it was written on ``now``'s local day."""

    newest = newest_backup(directory)
    if newest is None:
        return None
    stamp = newest.name[len(PREFIX):].split(".", 1)[0]
    try:
        made = dt.datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
    except ValueError:
        return None
    return newest if timezone.localdate(made) == timezone.localdate(now) else None


def _remove_leftovers(directory: Path, now: dt.datetime) -> None:
    """Remove what a backup whose process was killed left behind: a ``.part`` archive and
    a ``.ctip-backup-*`` work folder, untouched for longer than a task's lease (a backup
    still being written touches them continuously)."""

    if not directory.is_dir():
        return
    cutoff = now.timestamp() - lease_seconds()
    for path in directory.glob(".*"):
        try:
            newest = max([path.stat().st_mtime, *(p.stat().st_mtime for p in path.rglob("*"))]
                         if path.is_dir() else [path.stat().st_mtime])
        except OSError:
            continue
        if newest >= cutoff:
            continue
        if path.is_dir() and path.name.startswith(".ctip-backup-"):
            shutil.rmtree(path, ignore_errors=True)
        elif path.is_file() and path.name.endswith(".part"):
            path.unlink(missing_ok=True)


def run_scheduled_backup(now: dt.datetime | None = None) -> dict[str, Any]:
    """The worker's daily backup: into ``CTIP_BACKUP_DIR``, sealed for
    ``CTIP_BACKUP_PUBLIC_KEY`` and/or the passphrase in ``CTIP_BACKUP_PASSPHRASE_FILE``, then
    all but the newest ``CTIP_BACKUP_KEEP`` removed. Off while ``CTIP_BACKUP_DIR`` is unset."""
    options = backup_options()
    if options.directory is None:
        return {"skipped": "CTIP_BACKUP_DIR is not set"}
    directory = options.directory
    moment = now or dt.datetime.now(dt.UTC)
    _remove_leftovers(directory, moment)
    made_today = _made_today(directory, moment)
    if made_today is not None:
        # a second run the same day (its worker died after writing, core.leases)
        return {"skipped": f"{made_today.name} was written today"}
    public_key, passphrase = options.sealing()
    backup = create_backup(output_dir=options.directory, passphrase=passphrase,
                           public_key=public_key, now=now)
    pause("backup.after_write")
    removed = prune(options.directory, settings.CTIP_BACKUP_KEEP)
    record_backup(backup, removed)
    logger.info("backup %s written; %d old ones removed", backup.path.name, len(removed))
    return {"backup": backup.path.name, "removed": [p.name for p in removed]}
