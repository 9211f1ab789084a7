"""What ``ctip check`` says about operations (decision 0025): retention, backups, keys, the
worker and the queue. Informational lines and warnings; only keys open to other users of the
machine make the check fail."""

from __future__ import annotations

import datetime as dt
import fnmatch
import stat
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

from ctip.cases import crypto
from ctip.cases.rights import anonymise_after_years, persons_due_for_anonymisation
from ctip.core.health import health
from ctip.core.keyfiles import fingerprint
from ctip.core.leases import expired_count
from ctip.core.models import ScheduledRun
from ctip.ops.backup import newest_backup


def _age(seconds: float) -> str:
    if seconds < 120:
        return f"{int(seconds)} s"
    if seconds < 7200:
        return f"{int(seconds // 60)} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def _last_run(name: str) -> dt.datetime | None:
    return (ScheduledRun.objects.filter(name=name)
            .values_list("last_run_at", flat=True).first())


def report(out: Any, style: Any, now: dt.datetime | None = None) -> list[str]:
    """Write the operations report to ``out``; return the failures."""
    now = now or timezone.now()
    failures: list[str] = []
    try:
        _retention(out, style, now)
        _worker(out, style)
    except DatabaseError as exc:  # before `ctip migrate`
        out.write(style.WARNING(f"Operations: the database is not ready ({exc})."))
    _backups(out, style, now)
    failures += _keys(out, style)
    return failures


def _retention(out: Any, style: Any, now: dt.datetime) -> None:
    years = anonymise_after_years()
    due = persons_due_for_anonymisation().count()
    last = _last_run("cases.anonymise_due")
    when = (f"last run {timezone.localtime(last):%d/%m/%Y %H:%M}" if last
            else "never run yet")
    line = (f"Retention: identities wiped {years} years after a person's last case closed, "
            f"daily by the worker ({when}); {due} person(s) due now.")
    stale = last is None or now - last > dt.timedelta(days=2)
    out.write(style.WARNING(line + " Is `ctip worker` running?") if due and stale else line)


def _worker(out: Any, style: Any) -> None:
    state = health()
    if not state.queue:
        out.write("Worker: tasks run in the web process (no queue).")
        return
    beat = ("no heartbeat yet: start `ctip worker`" if state.worker_age is None
            else f"last heartbeat {_age(state.worker_age)} ago")
    queue = ("no task waiting" if state.queue_age is None
             else f"oldest waiting task queued {_age(state.queue_age)} ago")
    line = f"Worker: {beat}; {queue}."
    out.write(line if state.ok else style.WARNING(line))
    expired = expired_count()
    if expired:
        out.write(style.WARNING(
            f"Worker: {expired} running task(s) lost their worker (lease expired); a running "
            "`ctip worker` queues them again or marks them failed."))


def _backups(out: Any, style: Any, now: dt.datetime) -> None:
    directory = settings.CTIP_BACKUP_DIR
    if not directory:
        out.write(style.WARNING("Backups: CTIP_BACKUP_DIR is not set, so the worker makes no "
                                "daily backup (see docs/operations.md)."))
        return
    newest = newest_backup(Path(directory))
    sealing = ("sealed" if settings.CTIP_BACKUP_PUBLIC_KEY
               or settings.CTIP_BACKUP_PASSPHRASE_FILE else "NOT sealed")
    if newest is None:
        out.write(style.WARNING(f"Backups: none yet in {directory} (daily at "
                                f"{settings.CTIP_BACKUP_AT}, {sealing}, keeping "
                                f"{settings.CTIP_BACKUP_KEEP})."))
        return
    age = now.timestamp() - newest.stat().st_mtime
    line = (f"Backups: newest {newest.name}, {_age(age)} old, in {directory} (daily at "
            f"{settings.CTIP_BACKUP_AT}, {sealing}, keeping {settings.CTIP_BACKUP_KEEP}).")
    out.write(style.WARNING(line) if age > 2 * 86400 or sealing != "sealed" else line)


def _keys(out: Any, style: Any) -> list[str]:
    failures: list[str] = []
    try:
        keys = crypto.current_keys()
    except crypto.KeyError_:
        return failures  # the system check ctip.E001 says it
    out.write(f"Field keys: {len(keys)} configured (newest first: "
              f"{', '.join(fingerprint(k) for k in keys)}); keep `ctip keys export` apart "
              "from the backups.")
    data_dir = Path(settings.DATA_DIR)
    patterns = settings.CTIP_KEY_FILE_PATTERNS
    if data_dir.is_dir():
        for path in sorted(data_dir.iterdir()):
            if path.is_file() and any(fnmatch.fnmatch(path.name, p) for p in patterns):
                mode = stat.S_IMODE(path.stat().st_mode)
                if mode & 0o077:
                    failures.append(f"the key file {path} is readable by other users "
                                    f"(mode {mode:o}): chmod 600 {path}")
    return failures
