from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = ("Prepare the data directory, migrate, load demo data (Tây Ninh, demo users) and "
            "serve the system with its background worker.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-serve", action="store_true",
                            help="Only prepare the data; do not start the server.")

    def handle(self, *args: Any, **options: Any) -> None:
        from ctip.demo import build

        self.stdout.write(f"Data directory: {settings.DATA_DIR}")
        call_command("migrate", interactive=False, verbosity=0)
        logins = build(stdout=self.stdout)
        path = settings.DATA_DIR / "demo-users.json"
        path.write_text(json.dumps(logins, ensure_ascii=False, indent=2))
        path.chmod(0o600)
        self._print_logins(logins)
        self.stdout.write(f"The same list is in {path}")
        if options["no_serve"]:
            return
        self._serve(options["host"], options["port"])

    def _print_logins(self, logins: list[dict[str, str]]) -> None:
        header = ("username", "role", "unit", "enrolment_code")
        widths = [max(len(k), *(len(row.get(k, "")) for row in logins)) for k in header]
        self.stdout.write("")
        self.stdout.write("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
        for row in logins:
            self.stdout.write("  ".join(row.get(k, "").ljust(w) for k, w in
                                        zip(header, widths, strict=True)))
        self.stdout.write(f"\nPassword for every demo user: {logins[0]['password']}")
        self.stdout.write("Users with an enrolment code must register an authenticator app at "
                          "their first sign-in: they type the code, then scan the QR code.")

    def _serve(self, host: str, port: int) -> None:
        env = os.environ.copy()
        worker = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "ctip.cli", "worker"], env=env)
        try:
            subprocess.run(  # noqa: S603
                [sys.executable, "-m", "ctip.cli", "serve", "--host", host, "--port", str(port)],
                env=env, check=False)
        except KeyboardInterrupt:
            pass
        finally:
            worker.terminate()
            worker.wait(timeout=10)
