from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ctip.audit.actions import record
from ctip.audit.checkpoints import announce, write_checkpoint
from ctip.audit.keys import load_keys, rotate
from ctip.audit.verify import verify_chain


class Command(BaseCommand):
    help = "Audit trail tools: verify the chain, write a checkpoint, rotate the key."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        verify = sub.add_parser(
            "verify", help="Check the keyed chain and the signed checkpoints: detects edited, "
            "inserted or deleted events, a rewound head, a missing or rolled-back checkpoint "
            "file. Writes a new checkpoint when everything is intact.")
        verify.add_argument(
            "--checkpoint", action="append", default=[], metavar="LINE_OR_FILE",
            help="a checkpoint line kept elsewhere (e.g. from the auditors' e-mail), or a file "
                 "of such lines; may be repeated")
        verify.add_argument("--no-checkpoint", action="store_true",
                            help="check only; do not write a new checkpoint")
        sub.add_parser("checkpoint", help="Write a signed checkpoint now (file, trail, e-mail).")
        sub.add_parser("rotate-key", help="Add a new audit key; new events use it, the old "
                                          "keys stay for verification.")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, "_" + options["subcommand"].replace("-", "_"))(**options)

    def _verify(self, **options: Any) -> None:
        external: list[str] = []
        for given in options["checkpoint"]:
            candidate = Path(given)
            if not given.lstrip().startswith("{") and candidate.is_file():
                external += [line for line in candidate.read_text().splitlines() if line.strip()]
            else:
                external.append(given)
        result = verify_chain(external=external)
        for problem in result.problems:
            self.stdout.write(problem)
        if not result.ok:
            announce(None, result.problems)
            raise CommandError(f"The audit trail has been tampered with: "
                               f"{len(result.problems)} problem(s) in {result.checked} events.")
        self.stdout.write(self.style.SUCCESS(
            f"The audit trail is intact ({result.checked} events, "
            f"{result.checkpoints_checked} checkpoints)."))
        if not options["no_checkpoint"]:
            checkpoint = write_checkpoint("verify")
            announce(checkpoint)
            self.stdout.write(f"Checkpoint {checkpoint.seq}: {checkpoint.line()}")

    def _checkpoint(self, **options: Any) -> None:
        checkpoint = write_checkpoint("manual")
        announce(checkpoint)
        self.stdout.write(f"Checkpoint {checkpoint.seq}: {checkpoint.line()}")

    def _rotate_key(self, **options: Any) -> None:
        before = load_keys()
        key_id, where = rotate()
        if before.source == "environment":
            self.stdout.write(
                f"The audit keys come from CTIP_AUDIT_KEYS: put this entry first in it, keep "
                f"the others, and restart ctip:\n{where}")
            return
        record(actor=None, action="audit.key_rotated", target_label=key_id,
               changes={"previous": before.current, "key_id": key_id})
        self.stdout.write(self.style.SUCCESS(
            f"New audit key {key_id} written to {where}; new events use it. Keep the file's "
            "older keys: they verify the events signed before."))
