from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from ctip.audit.checkpoints import checkpoint_file, last_in_file
from ctip.ops.opscheck import report


class Command(BaseCommand):
    help = ("Django's deployment checks plus ctip's own: debug or test mode outside development, "
            "migrations, the unit tree, the audit chain, the report roll-ups.")

    def handle(self, *args: Any, **options: Any) -> None:
        failures = []
        call_command("check", deploy=True, fail_level="ERROR", stdout=self.stdout,
                     databases=["default"])
        try:
            call_command("migrate", check=True, plan=False, verbosity=0)
        except SystemExit:
            failures.append("unapplied migrations: run `ctip migrate`")
        self._warn_on_old_checkpoint()
        for command in (["units", "check"], ["audit", "verify"],
                        ["reports", "rebuild", "--check"]):
            try:
                call_command(*command, stdout=self.stdout)
            except CommandError as exc:
                failures.append(str(exc))
        failures += report(self.stdout, self.style)  # retention, backups, keys, worker
        if failures:
            raise CommandError("; ".join(failures))
        self.stdout.write(self.style.SUCCESS("All checks passed."))

    def _warn_on_old_checkpoint(self) -> None:
        """The worker writes an audit checkpoint every day: an old one means it is not running
        (or the file was replaced). A warning, not a failure; ``audit verify`` below writes a
        fresh one when the trail is intact."""
        last = last_in_file()
        if last is None:
            self.stdout.write(self.style.WARNING(
                f"Warning: no audit checkpoint in {checkpoint_file()} yet: is `ctip worker` "
                "running?"))
        elif timezone.now() - last.time > dt.timedelta(days=1):
            self.stdout.write(self.style.WARNING(
                f"Warning: the newest audit checkpoint is from {last.at}, more than a day ago: "
                "is `ctip worker` running?"))
