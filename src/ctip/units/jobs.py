"""A move, merger or split run in the background when it takes many records along
(decision 0103).

The pages of a restructuring (``units.views``) run it in the request when what goes with the
unit is small, as a commune's move is (well under a second). A province's, which carries its
million activities, its situations and its cases, takes longer than a web worker is given
(gunicorn stops it at 30 s and the transaction is rolled back whole): its confirmation queues a
``Restructuring`` with what she chose, and ``ctip worker`` runs the same action
(``units.actions``) as her, with her roles as they are then, in one transaction with the job's
"done". A run killed half-way left nothing and is run again (decision 0028); a finished job is
left alone; one restructuring of a unit waits or runs at a time.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ctip.core import jobstate
from ctip.core.errors import ActionError, NotInScope
from ctip.core.leases import on_given_up
from ctip.org.models import Unit
from ctip.units import actions, tasks
from ctip.units.models import Restructuring

logger = logging.getLogger("ctip.units")

# what a restructuring takes along (units below it and what happened there, counted by
# ``selectors.restructuring_size``) above which it runs in the background
IN_REQUEST_DEFAULT = 50_000


def in_request_limit() -> int:
    return int(getattr(settings, "CTIP_RESTRUCTURING_IN_REQUEST", IN_REQUEST_DEFAULT))


def params_of_move(new_parent: Unit) -> dict[str, Any]:
    return {"new_parent": new_parent.pk}


def params_of_merge(into: Unit, effective_on: dt.date | None, reason: str) -> dict[str, Any]:
    return {"into": into.pk, "effective_on": effective_on.isoformat() if effective_on else None,
            "reason": reason}


def params_of_split(parts: list[actions.SplitPart], effective_on: dt.date | None,
                    reason: str, records_to: int) -> dict[str, Any]:
    return {"parts": [{"name": p.name, "children": sorted(c.pk for c in p.children)}
                      for p in parts],
            "effective_on": effective_on.isoformat() if effective_on else None,
            "reason": reason, "records_to": records_to}


def pending_for(unit: Unit) -> Restructuring | None:
    return (Restructuring.objects.filter(unit=unit, status__in=Restructuring.PENDING)
            .first())


def shown_at(unit: Unit, viewer: Any) -> list[Restructuring]:
    """The restructurings of ``unit`` its page names to an officer who manages it: the one
    waiting or running (whoever asked for it: another one waits until it has finished), and
    her own of the last week, with the way to their pages."""
    since = timezone.now() - dt.timedelta(days=7)
    return list(Restructuring.objects.filter(unit=unit).filter(
        Q(status__in=Restructuring.PENDING) | Q(owner=viewer, created_at__gte=since))
        .select_related("owner").order_by("-created_at")[:5])


def start(kind: str, actor: Any, unit: Unit, params: dict[str, Any], *,
          again: bool = True) -> Restructuring:
    """Queue a restructuring of ``unit`` for ``actor``. The same one confirmed again while it
    waits or runs (a double press, the page sent twice) finds the first; another one of the
    same unit is refused until the first has finished."""
    try:
        with transaction.atomic():
            job = Restructuring.objects.create(kind=kind, owner=actor, unit=unit,
                                               unit_name=unit.name[:200], params=params)
            # queued in the job's transaction: the worker sees both, or neither
            tasks.run_restructuring.enqueue(job.pk)
    except IntegrityError:  # one is already waiting or running (the partial unique index)
        job = pending_for(unit)  # type: ignore[assignment]
        if job is None:
            if again:  # it finished in between: once more
                return start(kind, actor, unit, params, again=False)
            raise
        if job.owner_id != actor.pk or job.kind != kind or job.params != params:
            raise ActionError(_("Another restructuring of this unit is waiting or under way. "
                                "Nothing was changed: open the unit again once it has "
                                "finished.")) from None
        return job
    job.refresh_from_db()  # an immediate backend (the tests') has already run it
    return job


def _perform(job: Restructuring) -> Unit:
    """The action she confirmed, as her: her roles are checked again now (``require``)."""
    params, actor = job.params, job.owner
    unit = Unit.objects.get(pk=job.unit_id)
    effective_on = (dt.date.fromisoformat(params["effective_on"])
                    if params.get("effective_on") else None)
    if job.kind == Restructuring.Kind.MOVE:
        return actions.move_subtree(actor=actor, unit=unit,
                                    new_parent=Unit.objects.get(pk=params["new_parent"]))
    if job.kind == Restructuring.Kind.MERGE:
        return actions.merge_units(actor=actor, sources=[unit],
                                   into=Unit.objects.get(pk=params["into"]),
                                   effective_on=effective_on, reason=params.get("reason", ""))
    parts = [actions.SplitPart(name=part["name"], children=list(
                 Unit.objects.filter(pk__in=part["children"]).order_by("pk")))
             for part in params["parts"]]
    return actions.split_unit(actor=actor, unit=unit, parts=parts, effective_on=effective_on,
                              reason=params.get("reason", ""),
                              records_to=params.get("records_to", 0))[0]


def _update(job: Restructuring, **values: Any) -> bool:
    """Change a job still waiting or running; ``False`` if another run has finished it."""
    return jobstate.advance(job, Restructuring.PENDING, **values)


def _fail(job: Restructuring, message: str) -> None:
    _update(job, status=Restructuring.Status.FAILED, message=message,
            finished_at=timezone.now())


def run(job_id: int) -> str:
    """Run a queued restructuring. Safe to run twice, and two runs at once (a worker thought
    dead whose task was given to another) do it once: the action and the job's "done" are one
    transaction that first locks the job and reads it again, so a killed run left nothing and
    a finished job is left alone. However it ends, the job ends finished: a job left waiting
    would keep every other restructuring of its unit out."""
    job = Restructuring.objects.select_related("owner").get(pk=job_id)
    if job.status not in Restructuring.PENDING:
        return str(job.status)
    with translation.override(settings.LANGUAGE_CODE):
        try:
            _run(job)
        except BaseException:  # the worker stopped under it (SIGTERM twice, exit): nothing
            _stopped(job)
            raise
    return str(job.status)


def _run(job: Restructuring) -> None:
    try:
        _update(job, status=Restructuring.Status.RUNNING)
        with transaction.atomic():
            if not jobstate.still(job, Restructuring.PENDING):  # another run finished it
                return
            result = _perform(job)
            _update(job, status=Restructuring.Status.DONE, result_unit=result,
                    finished_at=timezone.now())
    except ActionError as exc:  # refused now: a rule, her roles, the tree as it is now
        _fail(job, " ".join(exc.messages))
    except NotInScope:  # her roles changed since she confirmed it
        _fail(job, _("You no longer hold a role that may restructure these units. "
                     "Nothing was changed."))
    except Unit.DoesNotExist:
        _fail(job, _("A unit it names is no longer there. Nothing was changed."))
    except Exception:  # the database's own words stay in the log, not on her page
        logger.exception("restructuring %s failed", job.pk)
        _fail(job, _("The restructuring stopped because of an error. Nothing was changed; "
                     "confirm it again, and tell the administrator if it fails again."))


def _stopped(job: Restructuring) -> None:
    """Say on its page that the worker stopped under it; the stop itself goes on whatever
    happens here (the database may be what stopped)."""
    try:
        _fail(job, _("The background worker stopped while restructuring. Nothing was "
                     "changed; confirm it again."))
    except Exception:
        logger.exception("restructuring %s: its stop could not be recorded", job.pk)


TASK_PATH = "ctip.units.tasks.run_restructuring"


@on_given_up(TASK_PATH)
def _given_up(args: list[Any], kwargs: dict[str, Any]) -> None:
    """The worker died under every attempt: say so on the job's page."""
    job = jobstate.queued_for(Restructuring, args, kwargs, "job_id")
    if job is None or job.status not in Restructuring.PENDING:
        return
    with translation.override(settings.LANGUAGE_CODE):
        _fail(job, _("The background worker stopped while restructuring. Nothing was "
                     "changed; confirm it again."))
