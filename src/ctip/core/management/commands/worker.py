from __future__ import annotations

import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.crypto import get_random_string

from ctip.core.health import start_heartbeat
from ctip.core.leases import LeasedWorker, start_reaper
from ctip.core.scheduler import start_in_background


class Command(BaseCommand):
    help = ("Run the background worker: tasks from the database queue, each under a renewed "
            "lease (a task whose worker died is run again or marked failed), plus periodic jobs.")
    # ctip's own start checks (a field key configured, ...), not Django's whole suite: that
    # loads every page (the URL configuration) and the migration autodetector, most of a
    # second of processor at each start, for what a worker never serves; ``ctip check`` and
    # ``ctip serve`` run them all (decision 0072).
    requires_system_checks = ["ctip"]

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-scheduler", action="store_true",
                            help="Only run queued tasks; another worker runs the periodic jobs.")
        parser.add_argument("--interval", type=float, default=1.0,
                            help="Seconds between looks at an empty queue (default 1).")

    def handle(self, *args: Any, **options: Any) -> None:
        # imported when the command runs: the command line's start-up stays light (decision 0068)
        from django_tasks import DEFAULT_TASK_BACKEND_ALIAS
        from django_tasks_db.management.commands.db_worker import Command as DbWorker

        DbWorker().configure_logging(
            options.get("verbosity", 1))
        worker = LeasedWorker(queue_names=["*"], interval=options["interval"], batch=False,
                              backend_name=DEFAULT_TASK_BACKEND_ALIAS, startup_delay=True,
                              max_tasks=None, worker_id=get_random_string(32),
                              excluded_queue_names=[])
        stop = threading.Event()
        start_heartbeat(stop)
        start_reaper(stop)
        if not options["no_scheduler"]:
            start_in_background(stop)
        try:
            worker.configure_signals()
            worker.run()
        finally:
            stop.set()
