from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from ctip.audit.actions import record
from ctip.core.errors import ActionError
from ctip.org.integrity import check_tree, repair_stale_records
from ctip.org.legacy_addresses import UNKNOWN, resolve_address
from ctip.units.provinces import import_province


class Command(BaseCommand):
    help = "Manage the organisation tree: import a province, check consistency."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        imp = sub.add_parser("import", help="Load a province and its communes and wards from "
                                            "the official list (vietnam-provinces).")
        imp.add_argument("--province", required=True, help="GSO province code, e.g. 80")
        check = sub.add_parser("check", help="Report inconsistent paths, depths and closed "
                               "units, and records handled at a unit whose path is not "
                               "their unit's.")
        check.add_argument("--repair", action="store_true",
                           help="First give those records their unit's path (audited).")
        res = sub.add_parser("resolve", help="Say which current commune or ward an address "
                                             "(pre-2025 or current form) or a code means.")
        res.add_argument("address", help='e.g. "Xã Mỹ Lộc, Huyện Cần Giuộc, Tỉnh Long An"')
        res.add_argument("--json", action="store_true", help="Print the answer as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "resolve":
            self._resolve(options["address"], as_json=options["json"])
            return
        if options["subcommand"] == "import":
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
            if options.get("repair"):
                self._repair()
            problems = check_tree()
            for problem in problems:
                self.stdout.write(problem)
            if problems:
                raise CommandError(f"{len(problems)} problem(s) in the unit tree")
            self.stdout.write(self.style.SUCCESS("The unit tree is consistent."))

    def _repair(self) -> None:
        with transaction.atomic():
            repaired = repair_stale_records()
            if repaired:
                record(actor=None, action="unit.paths_repaired", changes=repaired)
        for table, count in repaired.items():
            self.stdout.write(f"repaired: {table}: {count}")

    def _resolve(self, address: str, *, as_json: bool) -> None:
        # imported when the command runs: the command line's start-up stays light (decision 0068)
        import json


        answer = resolve_address(address)
        if as_json:
            self.stdout.write(json.dumps(answer.as_dict(), ensure_ascii=False, indent=2))
        else:
            self.stdout.write(answer.status)
            for old in answer.old:
                self.stdout.write(f"  before 2025: {old.code} {old.name}, {old.district}, "
                                  f"{old.province}")
            for candidate in answer.candidates:
                installed = "" if candidate.unit_id else "  (not in the installed tree)"
                self.stdout.write(f"  {candidate.code} {candidate.name}, {candidate.province}"
                                  f"{installed}")
            if answer.message:
                self.stdout.write(answer.message)
        if answer.status == UNKNOWN:
            raise SystemExit(1)  # the answer is printed; the exit status says "not found"
