"""Small model mixins shared by the domain apps."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CatalogueEntry(models.Model):
    """An entry of a configurable list (formats, audiences, club types...): archived, never
    deleted while in use."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=150)
    order = models.PositiveSmallIntegerField(_("order"), default=100)
    archived = models.BooleanField(_("archived"), default=False)

    class Meta:
        abstract = True
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class ScheduledRun(models.Model):
    """When a periodic job last ran, so a restarted worker neither skips nor repeats it."""

    name = models.CharField(max_length=100, unique=True)
    last_run_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} @ {self.last_run_at:%Y-%m-%d %H:%M}"


class SubmissionKey(models.Model):
    """One create request, named by the client's UUID (a hidden field of every create form, the
    ``Idempotency-Key`` of the API). The unique constraint, not a check before inserting, makes
    a repeated or simultaneous submission find the first one's record instead of creating a
    second (``core.idempotency.submit_once``)."""

    key = models.UUIDField()
    scope = models.CharField(max_length=60)  # what the key creates: "outreach.activity"...
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.CASCADE, related_name="+")
    target_type = models.CharField(max_length=100, blank=True)  # the record's model label
    target_id = models.CharField(max_length=40, blank=True)
    # what was sent with the key (``idempotency.content_digest``): the same key with other
    # content is a page shown again from the phone's cache, not the same submission
    digest = models.CharField(max_length=64, blank=True, default="", db_default="")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="core_submission_key_once"),
        ]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key}"


class TaskLease(models.Model):
    """The lease of a queued task while a worker runs it (``ctip.core.leases``): the worker
    renews ``heartbeat_at`` every few seconds; a task whose lease has expired had its worker
    die under it, and is queued again or, after ``CTIP_TASK_ATTEMPTS`` runs, marked failed."""

    task_id = models.UUIDField(primary_key=True)  # django_tasks_db.DBTaskResult.id
    worker_id = models.CharField(max_length=64)
    attempt = models.PositiveSmallIntegerField(default=1)
    heartbeat_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"lease {self.task_id} #{self.attempt} by {self.worker_id}"


class SentMail(models.Model):
    """A queued message the mail server accepted (``ctip.core.mail``): a delivery task run
    twice sends it once."""

    key = models.CharField(max_length=64, unique=True)
    sent_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"mail {self.key}"


class ImportJob(models.Model):
    """An import run in the background (``ctip.imports.pipeline``): its file waits under
    ``stash_key`` while the worker checks it (``previewing``, then ``previewed``: the check
    is kept beside the file) and until the worker imports it; ``progress`` and ``status`` are
    what the page shows, ``message`` the reason of a failure, ``result`` the counts of a
    finished import. One job a checked file (``stash_key`` is unique): a double click imports
    once."""

    class Status(models.TextChoices):
        PREVIEWING = "previewing", _("being checked")
        PREVIEWED = "previewed", _("checked")
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    kind = models.CharField(max_length=30)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                              related_name="+")
    file_name = models.CharField(max_length=200)
    digest = models.CharField(max_length=64)
    stash_key = models.CharField(max_length=32, unique=True)
    choices = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    # the file checked again with other choices starts a new round: a run of an earlier one
    # changes nothing of it (``core.jobstate``)
    round = models.PositiveIntegerField(default=1, db_default=1)
    progress = models.PositiveSmallIntegerField(default=0)
    message = models.TextField(blank=True)
    result = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"import {self.pk} {self.kind} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in {self.Status.DONE, self.Status.FAILED}
