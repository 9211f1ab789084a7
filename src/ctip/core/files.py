"""A stored file lives exactly as long as the row that names it (decision record 0110).

An upload is written to storage before the transaction that saves its row commits. When that
transaction rolls back (a second file refused after the first was stored, an audit write that
failed, a deadlock, the database busy), the row is gone and the file stayed, named by nothing:
a signed consent of a victim that her anonymisation never reaches, a photo no page shows. The
other way round, a row's file deleted inside a transaction that then rolled back left the row
naming a file that is gone.

- ``Storage`` (the default storage) notes, for the thread, each file it writes inside a
  transaction.
- ``settle`` runs when the request ends (``request_finished``) and when a task ends
  (``task_finished``): each noted file that no row of any model's file field names is deleted.
  It asks the database, not the transaction's outcome, so a file whose row is saved (committed,
  or in a test's transaction that never commits) is kept, whatever happened around it.
- ``delete_on_commit``: a file whose row is deleted or cleared is removed once that is
  committed; a rollback keeps both.
"""

from __future__ import annotations

import logging
import threading
from functools import partial
from typing import Any

from django.apps import apps
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import models, transaction

logger = logging.getLogger("ctip.files")
_noted = threading.local()


class Storage(FileSystemStorage):
    """The file system storage, noting the files written inside a transaction."""

    def _save(self, name: str, content: Any) -> str:
        name = super()._save(name, content)  # type: ignore[misc]
        if transaction.get_connection().in_atomic_block:
            names: list[str] | None = getattr(_noted, "names", None)
            if names is None:
                names = _noted.names = []
            names.append(name)
        return name


def _file_fields() -> list[tuple[type[models.Model], str]]:
    return [(model, field.name) for model in apps.get_models()
            for field in model._meta.get_fields()
            if isinstance(field, models.FileField) and isinstance(field.storage, Storage)]


def _named(name: str) -> bool:
    return any(model._default_manager.filter(**{field: name}).exists()
               for model, field in _file_fields())


def settle(**_kwargs: Any) -> list[str]:
    """Delete the files this thread wrote inside a transaction that no row names (its
    transaction rolled back); return their names. Never raises: it runs after the answer."""
    names: list[str] = getattr(_noted, "names", None) or []
    _noted.names = []
    removed = []
    for name in dict.fromkeys(names):
        try:
            if not _named(name):
                default_storage.delete(name)
                removed.append(name)
        except Exception:  # noqa: BLE001  (a file left is logged, never an error page)
            logger.exception("a stored file named by no row could not be removed: %s", name)
    if removed:
        logger.info("removed %d stored file(s) whose rows were not saved", len(removed))
    return removed


def delete_on_commit(files: list[Any]) -> None:
    """Remove the stored files once the change that dropped or cleared their rows is
    committed: one rolled back (a failed audit record, a refused step after it) keeps them."""
    for file in files:
        if file and file.name:
            transaction.on_commit(partial(file.storage.delete, file.name))
