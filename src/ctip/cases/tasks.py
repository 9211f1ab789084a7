"""Background work of the cases app (django-tasks).

``send_daily_digest`` runs every morning from ``ctip worker`` (see ``core.scheduler``) and on
demand with ``ctip cases digest``.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django_tasks import task

from ctip.audit.actions import record
from ctip.cases.digest import Digest, build_digests, digest_title
from ctip.cases.models import Notification
from ctip.cases.rights import anonymise_after_years
from ctip.cases.rights import anonymise_due as run
from ctip.core.faults import pause
from ctip.core.mail import queue_mail

logger = logging.getLogger("ctip.cases.digest")


def _start_of_local_day(now: dt.datetime) -> dt.datetime:
    return timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)


def _render(digest: Digest, inbox_url: str) -> dict[str, str]:
    title = digest_title(digest)
    context = {"digest": digest, "title": title, "inbox_url": inbox_url,
               "LANGUAGE_CODE": translation.get_language()}
    return {
        "title": title,
        "body": render_to_string("cases/digest_body.txt", context).strip(),
        "text": render_to_string("cases/digest_email.txt", context),
        "html": render_to_string("cases/digest_email.html", context),
    }


def run_daily_digest(now: dt.datetime | None = None, *, force: bool = False) -> dict[str, int]:
    """Send each person handling situations one digest of what is overdue or due within 24
    hours in her units: an in-app notification always, an e-mail when she has an address.
    Run twice in a day, it does not repeat itself for those already notified that day, unless
    ``force`` is given."""
    now = now or timezone.now()
    since = _start_of_local_day(now)
    counts = {"recipients": 0, "notifications": 0, "emails": 0, "skipped": 0}
    with translation.override(settings.LANGUAGE_CODE):
        path = reverse("cases:inbox")
        base = getattr(settings, "CTIP_BASE_URL", "").rstrip("/")
        inbox_url = f"{base}{path}" if base else ""
        for digest in build_digests(now):
            counts["recipients"] += 1
            user = digest.user
            rendered = _render(digest, inbox_url)
            # the check, the notification and its mail in one transaction, under a lock on the
            # person's row: a run killed half-way and run again (core.leases), or two runs at
            # once, neither repeat nor lose a digest
            with transaction.atomic():
                type(user).objects.select_for_update().filter(pk=user.pk).first()
                if not force and Notification.objects.filter(
                        user=user, kind=Notification.Kind.DIGEST, created_at__gte=since).exists():
                    counts["skipped"] += 1
                    continue
                Notification.objects.create(
                    user=user, kind=Notification.Kind.DIGEST, title=rendered["title"][:200],
                    body=rendered["body"],
                    url=path if digest.sections else reverse("cases:breakglass_list"))
                counts["notifications"] += 1
                if user.email:
                    # queued: sent by the worker with a timeout, retried on failure (core.mail)
                    queue_mail(subject=f"[ctip] {rendered['title']}", body=rendered["text"],
                               html=rendered["html"], to=[user.email])
                    counts["emails"] += 1
            pause("digest.after_first")
    record(actor=None, action="situation.digest_sent", target_label="daily digest",
           changes=counts)
    return counts


@task()
def send_daily_digest() -> dict[str, Any]:
    return run_daily_digest()


@task()
def anonymise_due() -> dict[str, Any]:
    """The daily retention job: wipe the identity of every person whose cases all closed more
    than ``CTIP_ANONYMISE_AFTER_YEARS`` years ago (``ctip persons anonymise-due``)."""
    years = anonymise_after_years()
    return {"years": years, "anonymised": len(run(years=years, dry_run=False))}
