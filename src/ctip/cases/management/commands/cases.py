from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ctip.cases.tasks import run_daily_digest, send_daily_digest


class Command(BaseCommand):
    help = "Situations and support cases: background jobs on demand."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        digest = sub.add_parser(
            "digest", help="Send the daily digest of overdue and due situations now (in-app "
                           "and by e-mail). The worker sends it every morning by itself.")
        digest.add_argument("--enqueue", action="store_true",
                            help="Put it on the task queue for `ctip worker` instead.")
        digest.add_argument("--force", action="store_true",
                            help="Send it again to people who already had today's digest.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["enqueue"]:
            result = send_daily_digest.enqueue()
            self.stdout.write(f"Enqueued the digest as task {result.id}.")
            return
        counts = run_daily_digest(force=options["force"])
        self.stdout.write(
            self.style.SUCCESS(
                f"Digest: {counts['recipients']} recipient(s), {counts['notifications']} "
                f"in-app notification(s), {counts['emails']} e-mail(s) queued"
                + (f", {counts['skipped']} already notified today" if counts["skipped"]
                   else "") + "."))
