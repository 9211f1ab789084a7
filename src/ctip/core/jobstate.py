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
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any


def advance(job: Any, states: Collection[str], **values: Any) -> bool:
    """Write ``values`` to ``job``'s row only while its status is one of ``states``, in one
    conditional UPDATE; ``False`` (and ``job`` unchanged) if another run has moved it on."""
    changed = type(job).objects.filter(pk=job.pk, status__in=list(states)).update(**values)
    if changed:
        for key, value in values.items():
            setattr(job, key, value)
    return bool(changed)


def still(job: Any, states: Collection[str]) -> bool:
    """In a transaction: lock ``job``'s row and read its status again; ``False`` (with
    ``job.status`` as it is now) if another run has moved it out of ``states``. The lock is
    held to the end of the transaction, so a second run waits here for the first."""
    status = type(job).objects.select_for_update().values_list("status", flat=True).get(
        pk=job.pk)
    if status not in states:
        job.status = status
        return False
    return True
