"""A restructuring of the tree run by ``ctip worker`` (decision 0103).

A move, merger or split that takes many records along (a province's million activities in a
merger of provinces) takes longer than a web request may: the officer's confirmation queues it
as a ``Restructuring``, the worker runs it (``units.jobs``) in one transaction with its
"done", and its page says how it went."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Restructuring(models.Model):
    class Kind(models.TextChoices):
        MOVE = "move", _("move")
        MERGE = "merge", _("merger")
        SPLIT = "split", _("split")

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", pgettext_lazy("background job", "running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    PENDING = (Status.QUEUED, Status.RUNNING)

    kind = models.CharField(max_length=10, choices=Kind.choices)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                              related_name="+")
    # the unit moved, merged or split; its name as she confirmed it, for the page
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+")
    unit_name = models.CharField(max_length=200)
    # what she confirmed: the new parent, the unit merged into, the parts (``units.jobs``)
    params = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    # the reason it failed, in her words; nothing was changed
    message = models.TextField(blank=True)
    # where the result is: the unit to open once done
    result_unit = models.ForeignKey("org.Unit", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # one restructuring of a unit waits or runs at a time: a second confirmation (a
            # double press, another tab) finds the first
            models.UniqueConstraint(fields=["unit"], condition=models.Q(status__in=["queued",
                                                                                     "running"]),
                                    name="units_one_pending_restructuring"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} of {self.unit_name} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in {self.Status.DONE, self.Status.FAILED}
