from django.apps import AppConfig
from django.core.signals import request_finished
from django.db.backends.signals import connection_created


class CoreConfig(AppConfig):
    name = "ctip.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        # ready(): apps.py is imported before any model exists, and these modules import
        # models (the scheduler, the leftovers) or register checks for the loaded apps
        from ctip.core import (
            checks,  # noqa: F401  (registers the debug/test mode check)
            dbsettings,  # noqa: F401  (registers the SQLite WAL/busy timeout check)
            files,
            leftovers,
            lookups,
        )
        from ctip.core.collation import register_sqlite
        from ctip.core.scheduler import after_request

        lookups.register()
        leftovers.register()
        connection_created.connect(register_sqlite, dispatch_uid="ctip-vi-collation")
        request_finished.connect(after_request, dispatch_uid="ctip-web-jobs")
        # the files of rows that were not saved (decision 0110); a task's: ``core.leases``
        request_finished.connect(files.settle, dispatch_uid="ctip-files-settle")
