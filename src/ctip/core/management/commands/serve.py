from __future__ import annotations

import os
import sys
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
        call_command("collectstatic", interactive=False, verbosity=0)
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
