from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ctip.cases.rights import anonymise_after_years, anonymise_due


class Command(BaseCommand):
    help = "Persons in support cases: the rights jobs that run without a request."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        due = sub.add_parser(
            "anonymise-due",
            help="Anonymise every person whose cases all closed more than "
                 "CTIP_ANONYMISE_AFTER_YEARS years ago (default 10): identity and narratives "
                 "wiped, statistics kept. Each one is recorded in the audit trail.")
        due.add_argument("--dry-run", action="store_true",
                         help="Only list the codes of the persons who are due.")

    def handle(self, *args: Any, **options: Any) -> None:
        years = anonymise_after_years()
        codes = anonymise_due(years=years, dry_run=options["dry_run"])
        for code in codes:
            self.stdout.write(code)
        verb = "would be anonymised" if options["dry_run"] else "anonymised"
        self.stdout.write(self.style.SUCCESS(
            f"{len(codes)} person(s) {verb} (every case closed more than {years} years ago)."))
