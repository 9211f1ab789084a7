"""Background work of the bulletin (django-tasks), run by ``ctip worker``.

``publish_scheduled`` runs every minute from the worker's scheduler (``core.scheduler.JOBS``):
it publishes the pages whose go-live time has come and unpublishes those whose expiry has
passed (Wagtail's ``publish_scheduled`` command). Publishing sends Wagtail's signals, which
make the cached pages stale (``ctip.portal.caching``).
"""

from __future__ import annotations

import io

from django.core.management import call_command
from django_tasks import task


@task()
def publish_scheduled() -> str:
    out = io.StringIO()
    call_command("publish_scheduled", stdout=out)
    return out.getvalue()[-2000:]
