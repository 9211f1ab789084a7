from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ctip.core.errors import ActionError


class Command(BaseCommand):
    help = "Manage the organisation tree: import a province, check consistency."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        imp = sub.add_parser("import", help="Load a province and its communes and wards from "
                                            "the official list (vietnam-provinces).")
        imp.add_argument("--province", required=True, help="GSO province code, e.g. 80")
        sub.add_parser("check", help="Report inconsistent paths, depths and closed units.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "import":
            from ctip.org.provinces import import_province

            try:
                result = import_province(actor=None, code=options["province"])
            except ActionError as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(
                f"{result.province.name}: {len(result.created)} created, "
                f"{len(result.renamed)} renamed, {result.unchanged} unchanged"
            )
            for old, new in result.renamed:
                self.stdout.write(f"  renamed: {old} → {new}")
        else:
            from ctip.org.integrity import check_tree

            problems = check_tree()
            for problem in problems:
                self.stdout.write(problem)
            if problems:
                raise CommandError(f"{len(problems)} problem(s) in the unit tree")
            self.stdout.write(self.style.SUCCESS("The unit tree is consistent."))
