from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ctip.ops.backup import forget_cached, restore_backup
from ctip.ops.operations import opener_for, record_restore


class Command(BaseCommand):
    help = ("Restore a backup made by `ctip backup` into an empty database and media "
            "directory, after checking its checksums and that the keys at hand decrypt its "
            "identities; then run `ctip check`.")
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("backup", type=Path)
        parser.add_argument("--private-key", default=None,
                            help="The private key file that opens a backup sealed for a "
                                 "public key.")
        parser.add_argument("--passphrase-file", default=None,
                            help="The file holding the passphrase of a sealed backup (or set "
                                 "CTIP_BACKUP_PASSPHRASE; otherwise it is asked for).")
        parser.add_argument("--skip-check", action="store_true",
                            help="Do not run `ctip check` afterwards.")

    def handle(self, *args: Any, **options: Any) -> None:
        opener = opener_for(options["backup"], private_key_file=options["private_key"],
                            passphrase_file=options["passphrase_file"])
        manifest = restore_backup(options["backup"], opener=opener, log=self.stdout.write)
        record_restore(options["backup"], manifest)
        self.stdout.write(self.style.SUCCESS("Restored."))
        # what the caches kept came from the database this one replaces (decision 0096)
        try:
            emptied = forget_cached()
        except Exception as exc:  # noqa: BLE001  (the restore stands; the operator must act)
            raise CommandError(
                f"The database is restored, but the caches could not be emptied ({exc}): "
                "they still hold sessions, roles and figures of the database it replaces. "
                "Do not start the services: make the cache reachable and run `ctip caches "
                "empty`, then `ctip check`.") from exc
        self.stdout.write("The caches emptied (" + "; ".join(emptied) + "): nothing kept from "
                          "another database is shown or trusted.")
        if not options["skip_check"]:
            call_command("ctip_check", stdout=self.stdout, stderr=self.stderr)
