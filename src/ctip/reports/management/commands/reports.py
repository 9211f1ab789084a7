"""``ctip reports rebuild [--check]``: recompute the roll-ups the indicators read."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = ("Report roll-ups. `rebuild` recomputes from the records the monthly sums the "
            "database keeps for the indicators (and puts back any missing trigger); with "
            "--check it only counts where the kept values differ and fails if any do.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["rebuild"])
        parser.add_argument("--check", action="store_true",
                            help="change nothing; fail if the kept values differ")
        parser.add_argument("--database", default="default")

    def handle(self, *args: Any, **options: Any) -> None:
        from django.db import connections

        from ctip.reports import rollups

        using = options["database"]
        started = time.monotonic()
        if options["check"]:
            found = rollups.differences(using)
            missing = rollups.missing(connections[using])
            for name, count in found.items():
                self.stdout.write(f"{name}: {count} differ")
            if missing:
                self.stdout.write(f"missing triggers: {', '.join(sorted(missing))}")
            if any(found.values()) or missing:
                raise CommandError("The report roll-ups differ from the records; run "
                                   "`ctip reports rebuild`.")
            self.stdout.write("The report roll-ups agree with the records.")
            return
        counts = rollups.install_and_rebuild(using)
        for name, count in counts.items():
            self.stdout.write(f"{name}: {count} rows written")
        self.stdout.write(f"rebuilt in {time.monotonic() - started:.1f} s")
