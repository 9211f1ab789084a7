from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Audit trail tools."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        sub.add_parser("verify", help="Check the hash chain: detects edited or deleted events.")

    def handle(self, *args: Any, **options: Any) -> None:
        from ctip.audit.verify import verify_chain

        result = verify_chain()
        for problem in result.problems:
            self.stdout.write(problem)
        if not result.ok:
            raise CommandError(f"The audit trail has been tampered with: "
                               f"{len(result.problems)} problem(s) in {result.checked} events.")
        self.stdout.write(self.style.SUCCESS(f"The audit trail is intact ({result.checked} "
                                             "events)."))
