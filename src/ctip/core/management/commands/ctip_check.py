from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = ("Django's deployment checks plus ctip's own: debug or test mode outside development, "
            "migrations, the unit tree, the audit chain, the report roll-ups.")

    def handle(self, *args: Any, **options: Any) -> None:
        failures = []
        call_command("check", deploy=True, fail_level="ERROR", stdout=self.stdout)
        try:
            call_command("migrate", check=True, plan=False, verbosity=0)
        except SystemExit:
            failures.append("unapplied migrations: run `ctip migrate`")
        for command in (["units", "check"], ["audit", "verify"],
                        ["reports", "rebuild", "--check"]):
            try:
                call_command(*command, stdout=self.stdout)
            except CommandError as exc:
                failures.append(str(exc))
        from ctip.core.opscheck import report  # retention, backups, keys, worker

        failures += report(self.stdout, self.style)
        if failures:
            raise CommandError("; ".join(failures))
        self.stdout.write(self.style.SUCCESS("All checks passed."))
