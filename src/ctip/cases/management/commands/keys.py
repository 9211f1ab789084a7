from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Field encryption keys: generate a new key, or re-encrypt everything with the newest."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        sub.add_parser("generate", help="Print a new key to put first in CTIP_FIELD_KEYS.")
        sub.add_parser("rotate", help="Re-encrypt every encrypted value with the first key "
                                      "in CTIP_FIELD_KEYS (keep the old key listed until done).")

    def handle(self, *args: Any, **options: Any) -> None:
        from ctip.cases import crypto

        if options["subcommand"] == "generate":
            self.stdout.write(crypto.generate_key())
            return
        from ctip.cases.rotation import rotate_all

        try:
            counts = rotate_all()
        except crypto.KeyError_ as exc:
            raise CommandError(str(exc)) from exc
        for label, count in counts.items():
            self.stdout.write(f"{label}: {count} re-encrypted")
        self.stdout.write(self.style.SUCCESS("Every value now uses the newest key; the old key "
                                             "can be removed from CTIP_FIELD_KEYS."))
