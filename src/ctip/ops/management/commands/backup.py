from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ctip.ops.backup import create_backup, prune
from ctip.ops.operations import backup_options, record_backup


class Command(BaseCommand):
    help = ("Write a consistent backup of the database and the uploaded files, with a manifest, "
            "as a private file (mode 600), optionally sealed for a passphrase or a public key. "
            "The keys are not in it: export them apart with `ctip keys export`.")
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output-dir", type=Path, default=None,
                            help="Where to write it (default CTIP_BACKUP_DIR, else "
                                 "<data dir>/backups); created mode 700.")
        parser.add_argument("--public-key", default=None,
                            help="Seal it for this public key (file made by `ctip keys "
                                 "backup-keypair`; default CTIP_BACKUP_PUBLIC_KEY).")
        parser.add_argument("--passphrase-file", default=None,
                            help="Seal it for the passphrase in this file (or set "
                                 "CTIP_BACKUP_PASSPHRASE, or use --passphrase).")
        parser.add_argument("--passphrase", action="store_true",
                            help="Ask for a passphrase to seal it with (typed twice).")
        parser.add_argument("--no-media", action="store_true",
                            help="Leave out the uploaded files.")
        parser.add_argument("--keep", type=int, default=None,
                            help="Afterwards delete all but the newest KEEP backups of the "
                                 "directory.")

    def handle(self, *args: Any, **options: Any) -> None:
        directory = options["output_dir"] or backup_options().directory
        public_key, passphrase = backup_options(
            public_key_file=options["public_key"], passphrase_file=options["passphrase_file"],
            prompt=options["passphrase"]).sealing()
        if directory is None:
            directory = Path(settings.DATA_DIR) / "backups"
        try:
            backup = create_backup(output_dir=directory.resolve(), passphrase=passphrase,
                                   public_key=public_key, include_media=not options["no_media"])
        except OSError as exc:
            raise CommandError(f"the backup could not be written: {exc}") from exc
        removed = prune(backup.path.parent, options["keep"]) if options["keep"] else []
        record_backup(backup, removed)
        manifest = backup.manifest
        self.stdout.write(f"{backup.path}")
        self.stdout.write(
            f"{sum(manifest['tables'].values())} rows in {len(manifest['tables'])} tables, "
            f"{len(manifest['files'])} files; "
            + ("sealed." if backup.path.name.endswith(".sealed") else
               "NOT sealed: keep it encrypted and private."))
        for path in removed:
            self.stdout.write(f"removed {path.name} (older than the newest {options['keep']})")
        self.stdout.write(self.style.SUCCESS(
            "Backup written. The field keys are not in it: keep `ctip keys export` apart."))
