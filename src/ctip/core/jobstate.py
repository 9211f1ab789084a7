"""The state of a background job (an import, a report's PDF, a restructuring), written so that
two runs of its task at once cannot undo each other.

A worker thought dead has its task given to another (``core.leases``) while the first may still
be running it, and a task can be queued twice (a page sent twice). Each run reads the job, works,
then writes what it found: written plainly, the run that ends last wins, so a run that fails
after the other finished turns a finished import into "failed" (and removes its file), and a
check that ends after the import was confirmed sets it back to "checked". So every write of a
job's state says from which states it may be made (``advance``), and the run that writes
records does so in a transaction that first locks the job's row and reads it again
(``still``): the second of two runs waits for the first, finds its job finished and writes
nothing.

A job that is started again on the same row (a file checked again with other choices, an export
queued again after it failed or stalled) begins a new ``round``: a run reads the round with the
job and its writes hold only while the round is still the one it read, so a run of an earlier
round, which may find the job in the very state it expects ("being checked" again), changes
nothing of the new one. Its task carries the round too, so that a task given up long after
(``on_given_up``) fails only its own round.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any


def advance(job: Any, states: Collection[str], **values: Any) -> bool:
    """Write ``values`` to ``job``'s row only while its status is one of ``states``, in one
    conditional UPDATE; ``False`` (and ``job`` unchanged) if another run has moved it on."""
    changed = type(job).objects.filter(pk=job.pk, status__in=list(states),
                                       **_same_round(job)).update(**values)
    if changed:
        for key, value in values.items():
            setattr(job, key, value)
    return bool(changed)


def still(job: Any, states: Collection[str]) -> bool:
    """In a transaction: lock ``job``'s row and read its status again; ``False`` (with
    ``job.status`` as it is now) if another run has moved it out of ``states``. The lock is
    held to the end of the transaction, so a second run waits here for the first."""
    kept = _same_round(job)
    row = type(job).objects.select_for_update().values_list("status", *kept).get(pk=job.pk)
    if row[0] not in states or row[1:] != tuple(kept.values()):
        job.status = row[0]
        return False
    return True


def queued_for(model: Any, args: list[Any], kwargs: dict[str, Any], id_name: str) -> Any:
    """The job a task given up was queued for (its id, then its round if it carries one, as
    the task's arguments or by name), if it is still in that round; ``None`` otherwise."""
    job_id = (list(args) or [kwargs.get(id_name)])[0]
    job_round = args[1] if len(args) > 1 else kwargs.get("job_round")
    job = model._default_manager.filter(pk=job_id).first()
    return job if job is not None and of_round(job, job_round) else None


def of_round(job: Any, round_: int | None) -> bool:
    """``job`` is still in the round a task was queued for (a task queued before rounds were
    kept carries none: it is taken to be the job's own)."""
    return round_ is None or not _has_round(job) or job.round == round_


def _has_round(job: Any) -> bool:
    return any(f.name == "round" for f in type(job)._meta.concrete_fields)


def _same_round(job: Any) -> dict[str, int]:
    return {"round": job.round} if _has_round(job) else {}
