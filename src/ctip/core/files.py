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
  (``task_finished``): each noted file of ctip's folders that no row of its file field names
  is deleted (the CMS's images and documents are Wagtail's to keep).
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
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction

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


def _folders() -> dict[str, list[tuple[type[models.Model], str]]]:
    """ctip's own file fields by the folder their files go to (``upload_to`` up to its first
    ``/``: ``consents``, ``activities``, ``exports``...). The CMS's files (images, their
    renditions, documents) are Wagtail's to keep: a rendition written by two requests at once
    is saved by one of them, and its file serves both."""
    folders: dict[str, list[tuple[type[models.Model], str]]] = {}
    for model in apps.get_models():
        if not model.__module__.startswith("ctip."):
            continue
        for field in model._meta.get_fields():
            if isinstance(field, models.FileField) and isinstance(field.upload_to, str):
                folder = field.upload_to.split("/", 1)[0]
                folders.setdefault(folder, []).append((model, field.name))
    return folders


def _named(name: str, fields: list[tuple[type[models.Model], str]]) -> bool:
    return any(model._default_manager.using(DEFAULT_DB_ALIAS).filter(**{field: name}).exists()
               for model, field in fields)


def settle(**_kwargs: Any) -> list[str]:
    """Delete the files of ctip's folders this thread wrote inside a transaction that no row
    names (its transaction rolled back); return their names. Never raises: it runs after the
    answer. A connection it had to open (the request's was closed before) is closed again."""
    names: list[str] = getattr(_noted, "names", None) or []
    _noted.names = []
    if not names:
        return []
    folders = _folders()
    connection = connections[DEFAULT_DB_ALIAS]
    opened = connection.connection is None
    removed = []
    try:
        for name in dict.fromkeys(names):
            fields = folders.get(name.split("/", 1)[0])
            try:
                if fields and not _named(name, fields):
                    default_storage.delete(name)
                    removed.append(name)
            except Exception:  # noqa: BLE001  (a file left is logged, never an error page)
                logger.exception("a stored file named by no row could not be removed: %s",
                                 name)
    finally:
        if opened:
            connection.close()
    if removed:
        logger.info("removed %d stored file(s) whose rows were not saved", len(removed))
    return removed


def delete_on_commit(files: list[Any]) -> None:
    """Remove the stored files once the change that dropped or cleared their rows is
    committed: one rolled back (a failed audit record, a refused step after it) keeps them."""
    for file in files:
        if file and file.name:
            # robust: a file that cannot be removed is logged after the commit, never an error
            # for a change that was saved (nor the end of a loop of anonymisations)
            transaction.on_commit(partial(file.storage.delete, file.name), robust=True)
