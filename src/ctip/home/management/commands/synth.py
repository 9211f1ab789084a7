"""``ctip synth --scale province|nation``: synthetic data for benchmarks (see ``ctip.synth``)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ctip.synth import build, is_empty


class Command(BaseCommand):
    help = ("Build synthetic units and records into the configured database, for benchmarks: "
            "--scale province (Tây Ninh's 96 communes, 1,000 branches, 1,000,000 activities, "
            "50,000 situations, 20,000 support cases over five years) or --scale nation "
            "(34 provinces, 3,321 communes, 10,000,000 activities). Refuses a database that "
            "already holds units or records unless --force.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", choices=["province", "nation", "tiny"],
                            default="province",
                            help="province or nation (tiny: a few thousand rows, for tests)")
        parser.add_argument("--seed", type=int, default=20261127,
                            help="the random seed: the same seed (and day) gives the same rows")
        parser.add_argument("--years", type=int, default=5, help="years of records (default 5)")
        parser.add_argument("--activities", type=int, default=None,
                            help="override the number of activities of the scale")
        parser.add_argument("--force", action="store_true",
                            help="add to a database that already holds units or records")

    def handle(self, *args: Any, **options: Any) -> None:
        # imported when the command runs: the command line's start-up stays light (decision 0068)
        from django.core.management import call_command
        from django.db import connection


        if options["years"] < 1 or (options["activities"] is not None
                                    and options["activities"] < 0):
            raise CommandError("--years must be at least 1 and --activities at least 0.")
        call_command("migrate", interactive=False, verbosity=0)
        if not is_empty() and not options["force"]:
            raise CommandError(
                "This database already holds units or records. ctip synth builds benchmark "
                "data and belongs in an empty database of its own (set DATABASE_URL or "
                "CTIP_DATA_DIR); add --force to add the synthetic rows anyway.")
        where = (connection.settings_dict["NAME"] if connection.vendor == "sqlite"
                 else f"PostgreSQL database {connection.settings_dict['NAME']}")
        self.stdout.write(f"Building synthetic data, scale {options['scale']}, seed "
                          f"{options['seed']}, into {where}")
        start = time.perf_counter()

        def say(line: str) -> None:
            self.stdout.write(line)
            self.stdout.flush()

        built = build(options["scale"], seed=options["seed"], years=options["years"],
                      activities=options["activities"], say=say)
        counts = ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in built.counts.items())
        self.stdout.write(f"Done in {time.perf_counter() - start:.1f}s: {counts}.")
