"""Outgoing mail, never blocking the worker (issue 13).

``queue_mail`` puts each message on the task queue (``ctip.core.tasks.deliver_mail``), in the
caller's transaction; the worker sends it with the SMTP timeout ``EMAIL_TIMEOUT``. A message
the server refuses or does not answer is tried again later, after 1, 2, 4, 8… minutes (at most
``CTIP_MAIL_ATTEMPTS`` attempts, at most 6 hours apart), as a new task: the other jobs of the
queue run in between. A message given up is logged, with its recipients' count only.

Each message carries a key (``SentMail``, and its Message-ID): a delivery task run again after
its worker died (``core.leases``) does not send a message the server already accepted. The one
window left is a worker killed between the server's acceptance and the ``SentMail`` row (a few
milliseconds): that message may go twice, with the same Message-ID, which mail clients fold.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.utils import timezone

from ctip.core.faults import pause
from ctip.core.models import SentMail
from ctip.core.tasks import deliver_mail

logger = logging.getLogger("ctip.mail")
MAX_DELAY = dt.timedelta(hours=6)


def queue_mail(*, subject: str, body: str, to: list[str], html: str = "",
               from_email: str | None = None) -> None:
    message = {"subject": subject, "body": body, "to": list(to), "html": html,
               "from_email": from_email or settings.DEFAULT_FROM_EMAIL,
               "key": uuid.uuid4().hex}
    # with the database queue the task row is written in the caller's transaction: the mail
    # goes if and only if what it reports is committed
    deliver_mail.enqueue(message, 1)


def retry_delay(attempt: int) -> dt.timedelta:
    return min(dt.timedelta(minutes=2 ** (attempt - 1)), MAX_DELAY)


def deliver(message: dict[str, Any], attempt: int) -> str:
    key = str(message.get("key") or "")
    if key and SentMail.objects.filter(key=key).exists():
        return "already sent"  # a second run of the same delivery (core.leases)
    headers = {"Message-ID": f"<{key}@ctip>"} if key else {}
    email = EmailMultiAlternatives(subject=message["subject"], body=message["body"],
                                   from_email=message["from_email"], to=message["to"],
                                   headers=headers)
    if message.get("html"):
        email.attach_alternative(message["html"], "text/html")
    pause("mail.before_send")
    try:
        email.send()
    except Exception as exc:  # noqa: BLE001 - any failure of the mail server is retried
        attempts = int(getattr(settings, "CTIP_MAIL_ATTEMPTS", 6))
        if attempt >= attempts:
            logger.error("mail to %d recipient(s) given up after %d attempts: %s",
                         len(message["to"]), attempt, exc)
            return "failed"
        delay = retry_delay(attempt)
        logger.warning("mail to %d recipient(s) failed (attempt %d: %s); retrying in %s",
                       len(message["to"]), attempt, exc, delay)
        task = deliver_mail
        if task.get_backend().supports_defer:
            task = task.using(run_after=timezone.now() + delay)
        task.enqueue(message, attempt + 1)
        return f"retry {attempt + 1}"
    if key:
        try:
            with transaction.atomic():
                SentMail.objects.create(key=key, sent_at=timezone.now())
        except IntegrityError:  # a concurrent run of the same delivery recorded it first
            pass
    return "sent"
