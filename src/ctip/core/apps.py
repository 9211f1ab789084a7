from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "ctip.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from ctip.core import (
            checks,  # noqa: F401  (registers the debug/test mode check)
            dbsettings,  # noqa: F401  (registers the SQLite WAL/busy timeout check)
            leftovers,
            lookups,
        )

        lookups.register()
        leftovers.register()
        from django.db.backends.signals import connection_created

        from ctip.core.collation import register_sqlite

        connection_created.connect(register_sqlite, dispatch_uid="ctip-vi-collation")
        from django.core.signals import request_finished

        from ctip.core.scheduler import after_request

        request_finished.connect(after_request, dispatch_uid="ctip-web-jobs")
