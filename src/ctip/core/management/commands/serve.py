from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ctip.core.dbsettings import sqlite_problems


class Command(BaseCommand):
    help = "Serve ctip with gunicorn (static files through whitenoise)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("CTIP_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("CTIP_PORT", "8000")))
        parser.add_argument("--workers", type=int,
                            default=int(os.environ.get("CTIP_WORKERS", "3")))

    def handle(self, *args: Any, **options: Any) -> None:
        problems = sqlite_problems()
        if problems:
            raise CommandError(" ".join(problems))
        collect_static()
        argv = [
            sys.executable, "-m", "gunicorn", "ctip.wsgi:application",
            "--bind", f"{options['host']}:{options['port']}",
            "--workers", str(options["workers"]),
            "--access-logfile", "-",
            "--forwarded-allow-ips", ",".join(sorted(settings.CTIP_TRUSTED_PROXIES)) or "127.0.0.1",
        ]
        self.stdout.write(f"Serving on http://{options['host']}:{options['port']}/")
        sys.stdout.flush()
        os.execv(sys.executable, argv)  # noqa: S606  (replace this process with gunicorn)


def _static_state() -> str:
    """A digest of what ``collectstatic`` reads and writes: every static file the finders see
    and every file under ``STATIC_ROOT`` (path, size, modification time; nothing is read), and
    the static settings. It changes when ctip or a package is upgraded, or a collected file is
    removed. A collected file is named by its place under ``STATIC_ROOT``: a data directory
    moved or restored with its files' times is not collected again (decision record 0077)."""
    # imported when the command runs: the command line's start-up stays light (decision 0068)
    from django.contrib.staticfiles.finders import get_finders

    lines = [repr((settings.STATIC_URL, settings.STORAGES.get("staticfiles")))]
    for finder in get_finders():
        for path, storage in finder.list(["CVS", ".*", "*~"]):
            found = os.stat(storage.path(path))
            lines.append(f"{storage.path(path)}\0{path}\0{found.st_size}\0{found.st_mtime_ns}")
    root = Path(settings.STATIC_ROOT)
    for directory, _dirs, files in os.walk(root):
        for name in files:
            found = os.stat(Path(directory) / name)
            place = (Path(directory) / name).relative_to(root)
            lines.append(f"{place}\0{found.st_size}\0{found.st_mtime_ns}")
    return hashlib.sha256("\n".join(sorted(lines)).encode()).hexdigest()


def static_stamp() -> Path:
    """Beside ``STATIC_ROOT``, not in it: nothing under it is served that was not collected."""
    root = Path(settings.STATIC_ROOT)
    return root.with_name(f".{root.name}-collected")


def collect_static() -> bool:
    """``collectstatic``, unless nothing changed since the last one: with the production
    storage it hashes and compresses (gzip and Brotli) every file again each time, about 25 s
    of processor (each content compressed once: decision record 0082), so a restart of the
    server no longer pays it (decision record 0062).
    Returns whether it collected."""
    stamp = static_stamp()
    if stamp.exists() and stamp.read_text() == _static_state():
        return False
    call_command("collectstatic", interactive=False, verbosity=0)
    stamp.write_text(_static_state())
    return True
