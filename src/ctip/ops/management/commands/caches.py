from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ctip.ops.backup import cache_names, forget_cached


class Command(BaseCommand):
    help = ("The caches: list them, or empty them of what ctip kept there (after a restore "
            "whose own emptying failed, or to see changes made to the database by hand at "
            "once). A Redis cache loses only the keys under ctip's prefix.")
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        sub.add_parser("list", help="Each configured cache: its kind, place and keys.")
        sub.add_parser("empty", help="Empty each configured cache of ctip's keys; signed-in "
                                     "people stay signed in (sessions are read back from the "
                                     "database).")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "list":
            for name in cache_names():
                self.stdout.write(name)
            return
        for name in forget_cached():
            self.stdout.write(f"Emptied {name}")
