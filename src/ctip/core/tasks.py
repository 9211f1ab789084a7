"""Background work of the core app (django-tasks), run by ``ctip worker``.

- ``deliver_mail``: one e-mail, tried again with growing delays when the server fails
  (``ctip.core.mail``).
"""

from __future__ import annotations

from typing import Any

from django_tasks import task


@task()
def deliver_mail(message: dict[str, Any], attempt: int = 1) -> str:
    # ctip.core.mail queues this task: a cycle
    from ctip.core.mail import deliver

    return deliver(message, attempt)
