from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ctip.cases import crypto
from ctip.cases.rotation import rotate_all
from ctip.core import keyfiles, sealing
from ctip.core.private import create_private
from ctip.ops.backup import target_problems
from ctip.ops.operations import BackupOptions, opener_for


class Command(BaseCommand):
    help = ("Keys: generate a field key, re-encrypt everything with the newest (rotate), "
            "export or import the installation's keys, make a key pair for sealed backups.")
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        sub.add_parser("generate", help="Print a new key to put first in CTIP_FIELD_KEYS.")
        rotate = sub.add_parser(
            "rotate", help="Re-encrypt every encrypted value and recompute every keyed hash "
                           "with the first key in CTIP_FIELD_KEYS (keep the old key listed "
                           "until done). Safe to interrupt and run again.")
        rotate.add_argument("--batch-size", type=int, default=500)
        export = sub.add_parser(
            "export", help="Write the field keys, the secret key and every other key file of "
                           "the data directory to a new private file (mode 600), to keep apart "
                           "from the backups.")
        export.add_argument("output", type=Path)
        export.add_argument("--public-key", default=None,
                            help="Seal the file for this public key.")
        export.add_argument("--passphrase-file", default=None,
                            help="Seal the file for the passphrase in this file (or set "
                                 "CTIP_BACKUP_PASSPHRASE).")
        export.add_argument("--passphrase", action="store_true",
                            help="Ask for a passphrase to seal the file with.")
        imp = sub.add_parser("import", help="Write the keys of an export into the data "
                                            "directory (mode 600); never replaces another key.")
        imp.add_argument("file", type=Path)
        imp.add_argument("--private-key", default=None)
        imp.add_argument("--passphrase-file", default=None)
        pair = sub.add_parser("backup-keypair",
                              help="Make a key pair for sealed backups: the server keeps the "
                                   "public key (CTIP_BACKUP_PUBLIC_KEY), the private key goes "
                                   "offline to whoever restores.")
        pair.add_argument("private", type=Path)
        pair.add_argument("public", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        command = options["subcommand"]
        if command == "generate":
            self.stdout.write(crypto.generate_key())
        elif command == "rotate":
            self._rotate(options["batch_size"])
        elif command == "export":
            self._export(options)
        elif command == "import":
            self._import(options)
        else:
            self._keypair(options["private"], options["public"])

    def _rotate(self, batch_size: int) -> None:
        try:
            counts = rotate_all(batch_size=batch_size)
        except crypto.KeyError_ as exc:
            raise CommandError(str(exc)) from exc
        for label, count in counts.items():
            self.stdout.write(f"{label}: {count} rows brought to the newest key")
        self.stdout.write(self.style.SUCCESS(
            "Every value and keyed hash now uses the newest key; the old key can be removed "
            "from CTIP_FIELD_KEYS (keep it with the backups made before the rotation)."))

    def _export(self, options: dict[str, Any]) -> None:
        public_key, passphrase = BackupOptions(
            directory=None, public_key_file=options["public_key"],
            passphrase_file=options["passphrase_file"], prompt=options["passphrase"]).sealing()
        document = keyfiles.export_document()
        output: Path = options["output"]
        try:
            with create_private(output) as handle:
                if passphrase or public_key is not None:
                    writer = sealing.SealedWriter(handle, passphrase=passphrase,
                                                  public_key=public_key)
                    writer.write(document)
                    writer.close()
                else:
                    handle.write(document)
        except FileExistsError as exc:
            raise CommandError(f"{output} exists; choose a new file name") from exc
        names = sorted(keyfiles.parse_document(document))
        self.stdout.write(f"{output}: {', '.join(names)}")
        self.stdout.write(self.style.SUCCESS(
            "Keys exported (mode 600). Keep this file apart from the backups: whoever holds "
            "both can read every identity."))

    def _import(self, options: dict[str, Any]) -> None:
        path: Path = options["file"]
        opener = opener_for(path, private_key_file=options["private_key"],
                            passphrase_file=options["passphrase_file"])
        with open(path, "rb") as handle:
            if sealing.is_sealed(path):
                try:
                    data = b"".join(sealing.unseal(handle, opener))
                except sealing.SealError as exc:
                    raise CommandError(str(exc)) from exc
            else:
                data = handle.read()
        keys = keyfiles.parse_document(data)
        try:
            empty = not any("database" in p for p in target_problems())
        except CommandError:
            empty = True
        written = keyfiles.import_keys(keys, database_empty=empty)
        self.stdout.write("written to the data directory: "
                          + (", ".join(written) if written else "nothing new"))
        self.stdout.write(self.style.SUCCESS("Keys imported."))

    def _keypair(self, private: Path, public: Path) -> None:
        private_text, public_text = sealing.generate_keypair()
        try:
            with create_private(private) as handle:
                handle.write(private_text.encode())
        except FileExistsError as exc:
            raise CommandError(f"{private} exists; choose a new file name") from exc
        try:
            with create_private(public) as handle:
                handle.write(public_text.encode())
        except FileExistsError as exc:
            private.unlink()
            raise CommandError(f"{public} exists; choose a new file name") from exc
        self.stdout.write(self.style.SUCCESS(
            f"Private key: {private} (keep it offline, with whoever restores). Public key: "
            f"{public} (set CTIP_BACKUP_PUBLIC_KEY to it on the server)."))
