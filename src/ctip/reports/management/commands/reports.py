"""``ctip reports rebuild [--check]``: recompute the roll-ups the indicators read.
``ctip reports sql [--database sqlite|postgresql]``: print the SQL of their triggers."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ctip.reports import rollups

VENDORS = ("sqlite", "postgresql")


class Command(BaseCommand):
    help = ("Report roll-ups. `rebuild` recomputes from the records the monthly sums the "
            "database keeps for the indicators (and puts back any missing trigger); with "
            "--check it only counts where the kept values differ and fails if any do. `sql` "
            "prints the SQL that installs the triggers keeping them.")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        rebuild = sub.add_parser("rebuild", help="recompute the roll-ups from the records")
        rebuild.add_argument("--check", action="store_true",
                             help="change nothing; fail if the kept values differ")
        rebuild.add_argument("--database", default="default")
        sql = sub.add_parser("sql", help="print the SQL that installs the roll-up triggers")
        sql.add_argument("--database", choices=VENDORS, default=None,
                         help="the database the SQL is for (default: the configured one's)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "sql":
            self._sql(options["database"])
            return
        # imported when the command runs: the command line's start-up stays light (decision 0068)
        from django.db import connections

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

    def _sql(self, vendor: str | None) -> None:
        """The statements exactly as ``migrate`` and ``reports rebuild`` run them (one
        transaction), each ended by ``;``, under a comment naming its trigger."""
        # imported when the command runs: the command line's start-up stays light (decision 0068)
        from django.db import connection

        vendor = vendor or connection.vendor
        if vendor not in VENDORS:
            raise CommandError(f"No roll-up triggers for {vendor}: use --database sqlite or "
                               "--database postgresql.")
        self.stdout.write(f"-- The roll-up triggers of ctip on {vendor} (src/ctip/reports/"
                          "rollups.py), as installed; run in one transaction.\n")
        for name, statements in rollups.install_sql(vendor):
            self.stdout.write(f"-- {name}")
            for statement in statements:
                self.stdout.write(statement + ";")
            self.stdout.write("")
