"""Outgoing mail has a timeout and is retried with growing delays, as separate tasks."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.core.mail import get_connection
from django.utils import timezone

from ctip.core import mail as core_mail


def test_the_smtp_connection_has_a_timeout(settings: Any) -> None:
    settings.EMAIL_TIMEOUT = 7
    connection = get_connection("django.core.mail.backends.smtp.EmailBackend")
    assert connection.timeout == 7


def test_delays_grow_and_are_bounded() -> None:
    delays = [core_mail.retry_delay(a) for a in range(1, 12)]
    assert delays[:4] == [dt.timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert max(delays) == core_mail.MAX_DELAY


@pytest.mark.django_db
def test_a_failure_is_queued_again_for_later(settings: Any, monkeypatch: Any) -> None:
    """With the database queue, the retry is a new task that runs after its delay: the worker
    is free for other tasks in between."""
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

    def broken(self: Any, fail_silently: bool = False) -> int:
        raise TimeoutError("timed out")

    monkeypatch.setattr(mail.EmailMultiAlternatives, "send", broken)
    message = {"subject": "s", "body": "b", "to": ["a@example.org"], "html": "",
               "from_email": "ctip@localhost"}
    before = timezone.now()
    assert core_mail.deliver(message, 1) == "retry 2"
    queued = DBTaskResult.objects.get()
    assert queued.task_path == "ctip.core.tasks.deliver_mail"
    assert queued.args_kwargs["args"] == [message, 2]
    assert queued.run_after >= before + dt.timedelta(minutes=1)
    settings.CTIP_MAIL_ATTEMPTS = 2
    assert core_mail.deliver(message, 2) == "failed"
    assert DBTaskResult.objects.count() == 1
