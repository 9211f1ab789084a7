from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from ctip.demo import build


class Command(BaseCommand):
    help = ("Prepare the data directory, migrate, load demo data (Tây Ninh, demo users) and "
            "serve the system with its background worker.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-serve", action="store_true",
                            help="Only prepare the data; do not start the server.")
        parser.add_argument("--no-data", action="store_true",
                            help="Serve the data directory as it is (after migrating); do not "
                                 "load or refresh the demo data.")

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"Data directory: {settings.DATA_DIR}")
        call_command("migrate", interactive=False, verbosity=0)
        if options["no_data"]:
            if not options["no_serve"]:
                self._serve(options["host"], options["port"])
            return
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
        """The web server and the worker, each in its own process group, until a signal.

        SIGTERM, SIGINT (Ctrl+C) or SIGHUP stops both groups (a SIGINT to each) -- gunicorn's
        workers and the task worker included -- waiting ``STOP_GRACE`` seconds before killing
        what is left; so does either child ending by itself. Nothing is left running after
        ``ctip demo`` returns."""
        env = os.environ.copy()
        commands = [
            [sys.executable, "-m", "ctip.cli", "worker"],
            [sys.executable, "-m", "ctip.cli", "serve", "--host", host, "--port", str(port)],
        ]
        children: list[subprocess.Popen[bytes]] = []
        previous = {signum: signal.signal(signum, _raise_stop) for signum in STOP_SIGNALS}
        try:
            for command in commands:
                # start_new_session: a group per child, so that stopping it reaches its own
                # children (gunicorn's workers) even if it dies first.
                children.append(subprocess.Popen(command, env=env,  # noqa: S603
                                                 start_new_session=True))
            while all(child.poll() is None for child in children):
                time.sleep(0.2)
            self.stderr.write("A process of the demo stopped; stopping the others.")
        except _Stop as stop:
            self.stdout.write(f"\nStopping ({signal.Signals(stop.signum).name}) ...")
        finally:
            for signum in STOP_SIGNALS:  # a second Ctrl+C must not cut the clean-up short
                signal.signal(signum, signal.SIG_IGN)
            stop_groups(children)
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        self.stdout.write("Stopped.")


STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
STOP_GRACE = 10.0  # seconds between the polite SIGINT and SIGKILL


class _Stop(Exception):  # noqa: N818  (not an error: the way out of the wait)
    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _raise_stop(signum: int, frame: Any) -> None:
    raise _Stop(signum)


def _group_alive(pgid: int) -> bool:
    """Whether a process of the group still runs. A zombie does not count: once its parent
    (gunicorn's master) is gone, nobody may reap it soon in a container without an init."""
    proc = Path("/proc")
    if proc.is_dir():
        for entry in proc.iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[2]) == pgid and fields[0] != "Z":
                return True
        return False
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stop_groups(children: list[subprocess.Popen[bytes]], grace: float = STOP_GRACE) -> None:
    """SIGINT every child's process group -- what Ctrl+C in a terminal does: gunicorn's quick
    shutdown (its graceful SIGTERM may wait for idle workers), the task worker's graceful stop
    -- then SIGKILL whatever is still there after ``grace`` seconds; reap the children."""
    groups = [child.pid for child in children]  # start_new_session: pgid == pid
    for pgid in groups:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGINT)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        for child in children:
            child.poll()
        if not any(_group_alive(pgid) for pgid in groups):
            break
        time.sleep(0.1)
    for pgid in groups:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
    for child in children:
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=5)
