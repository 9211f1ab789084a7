from __future__ import annotations

import threading
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Run the background worker: tasks from the database queue, plus periodic jobs."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-scheduler", action="store_true",
                            help="Only run queued tasks; another worker runs the periodic jobs.")

    def handle(self, *args: Any, **options: Any) -> None:
        from ctip.core.health import start_heartbeat
        from ctip.core.scheduler import start_in_background

        stop = threading.Event()
        start_heartbeat(stop)
        if not options["no_scheduler"]:
            start_in_background(stop)
        try:
            call_command("db_worker", queue_name="*", reload=False)
        finally:
            stop.set()
