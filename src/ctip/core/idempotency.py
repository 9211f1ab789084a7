"""Every submission exactly once: the forms' hidden key and the API's client UUIDs.

A create carries a key the client made (a UUID: the hidden ``idempotency_key`` field that
``IdempotentForm`` puts in every create form, the ``Idempotency-Key`` header or the ``id`` of an
API create). ``submit_once`` inserts a ``SubmissionKey`` row for it *before* creating, in the same
transaction, and the database's unique constraint decides who was first:

- the first request inserts the row, creates the record and binds it to the row; if creating
  fails, the transaction rolls back and the key is free again, so a corrected form can be sent;
- a repeated request (a double click, a resubmitted page, a client retrying after a lost
  answer) fails to insert, reads the row and answers with the first record;
- two simultaneous requests: on PostgreSQL the second insert waits on the unique index until the
  first transaction ends, then fails (or succeeds, if the first rolled back); on SQLite the
  writers are serialised by the immediate transactions. Never check-then-insert.

A key belongs to the user who first sent it: the same key from someone else is refused, so a
key seen in a shared page cannot reveal another person's record.

A key is kept with a digest of what was sent with it (``content_digest``). The same key with
other content is not the same submission sent again: it is a form page shown again from the
phone's cache or the browser's history, whose key was used for an earlier entry. Answering it
with the first record would drop her new entry without a word, so it is refused
(``KeyReused``): the form comes back with what she typed and a new key, and says that nothing
was saved yet.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django import forms
from django.apps import apps
from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, ImproperlyConfigured
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ctip.core.errors import ActionError
from ctip.core.models import SubmissionKey

FIELD = "idempotency_key"
T = TypeVar("T")


@dataclass(frozen=True)
class Submitted(Generic[T]):
    """What a submission created. ``replayed``: it had been sent before, and ``obj`` is the
    first submission's record (None if the write returned no record: a step such as a note,
    whose page shows the result anyway). A repeat whose record has since been deleted is an
    ``ActionError``."""

    obj: T
    replayed: bool


def _actor_id(actor: Any) -> int | None:
    return actor.pk if getattr(actor, "is_authenticated", False) else None


def _first(claim: SubmissionKey) -> Any:
    if not claim.target_type:
        return None
    model = apps.get_model(claim.target_type)
    found = model._default_manager.filter(pk=claim.target_id).first()
    if found is None:
        raise ActionError(_("This was already sent once, and what it created has since been "
                            "deleted. Reload the page to start again."), field=FIELD)
    return found


class KeyReused(ActionError):
    """The key came with other content than when it was first used: nothing was saved."""


def content_digest(content: Any) -> str:
    """The digest of what a submission sent (a form's fields, an API body), the same for
    the same values whatever their order."""
    text = json.dumps(content, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def submit_once(*, key: uuid.UUID | None, actor: Any, scope: str,
                create: Callable[[], T], content: Any = None) -> Submitted[T]:
    """Run ``create`` once for ``key`` in ``scope``; a repeat answers with the first record.
    ``content``: what was sent (``content_digest``); the key sent again with other content is
    refused (``KeyReused``) instead of answered with the first record.

    ``key=None`` (an old page, a client that sends none) creates without protection."""
    if key is None:
        return Submitted(create(), replayed=False)
    digest = content_digest(content) if content is not None else ""
    with transaction.atomic():
        try:
            with transaction.atomic():
                claim = SubmissionKey.objects.create(key=key, scope=scope, digest=digest,
                                                     actor_id=_actor_id(actor))
        except IntegrityError:
            claim = SubmissionKey.objects.get(key=key, scope=scope)
            if claim.actor_id != _actor_id(actor):
                raise ActionError(_("This submission key belongs to another request: reload "
                                    "the page and send again."), field=FIELD) from None
            if claim.digest and digest and claim.digest != digest:
                raise KeyReused(_("This page was already used to save another entry (it was "
                                  "shown again from memory). This entry has not been saved "
                                  "yet: check it and save it again.")) from None
            first: T = _first(claim)  # None when ``create`` returned no record
            return Submitted(first, replayed=True)
        obj = create()
        if isinstance(obj, models.Model):
            claim.target_type = obj._meta.label_lower
            claim.target_id = str(obj.pk)
            claim.save(update_fields=["target_type", "target_id"])
        return Submitted(obj, replayed=False)


def form_key(form: forms.BaseForm) -> uuid.UUID | None:
    """The key a create form carried. The form's class must be an ``IdempotentForm``."""
    if FIELD not in form.fields:
        raise ImproperlyConfigured(f"{type(form).__name__} creates records without "
                                   f"an {FIELD} field: make it an IdempotentForm")
    key: uuid.UUID | None = getattr(form, "submission_key", None)
    return key


def submit_form_once(form: forms.BaseForm, *, actor: Any, scope: str,
                     create: Callable[[], T]) -> Submitted[T]:
    """``submit_once`` with the key of a create form and what the form sent. A key already
    used for other content: the form, shown again with her values, carries a new key."""
    try:
        return submit_once(key=form_key(form), actor=actor, scope=scope, create=create,
                           content=sent_by(form))
    except KeyReused:
        sent: Any = form.data
        data = sent.copy()  # a QueryDict's copy can be changed
        data[FIELD] = str(uuid.uuid4())
        form.data = data
        raise


def sent_by(form: forms.BaseForm) -> dict[str, Any]:
    """What a bound form sent, without its key and the CSRF token: every value of each field,
    and each file's name and size."""
    return _sent(form.data, form.files)


def _sent(data: Any, files: Any) -> dict[str, Any]:
    values = {name: (data.getlist(name) if hasattr(data, "getlist") else data[name])
              for name in data if name not in {FIELD, "csrfmiddlewaretoken"}}
    for name in files:
        uploads = files.getlist(name) if hasattr(files, "getlist") else [files[name]]
        values[f"file:{name}"] = [(upload.name, upload.size) for upload in uploads]
    return values


def run_once(form: forms.BaseForm, *, actor: Any, scope: str | None,
             run: Callable[[], str]) -> str:
    """For the step pages (a note, a referral, a service on a case): run the step once for
    the form's key and return its message, or "already saved" for a repeat. ``scope=None``: a
    step that creates nothing (verify, close...), run as it is."""
    if scope is None:
        return run()
    done = submit_form_once(form, actor=actor, scope=scope, create=run)
    return already_saved() if done.replayed else str(done.obj)


def sent_before(request: Any, *, actor: Any, scope: str | None,
                prefix: str | None = None) -> bool:
    """Whether the form posted in ``request`` was already saved: its key used by ``actor`` in
    ``scope`` with the same content. The first press did the step, and the repeat is answered
    "already saved" before the checks of the state the step changed (an escalated situation
    is no longer hers to escalate, a closed case refuses every step), never as a refusal. The
    same key with other content (the page shown again from the browser's memory, another
    entry typed into it) is not a repeat: the step's own path refuses it (``KeyReused``)."""
    if scope is None or request.method != "POST":
        return False
    try:
        key = uuid.UUID(str(request.POST.get(f"{prefix}-{FIELD}" if prefix else FIELD,
                                             ""))[:64])
    except ValueError:
        return False
    claim = (SubmissionKey.objects.filter(key=key, scope=scope, actor_id=_actor_id(actor))
             .only("digest").first())
    if claim is None:
        return False
    return not claim.digest or claim.digest == content_digest(_sent(request.POST,
                                                                    request.FILES))


def announce(request: Any, done: Submitted[Any], message: str) -> None:
    """The success message of a create, or "already saved" for a repeat."""
    if done.replayed:
        messages.info(request, already_saved())
    else:
        messages.success(request, message)


def already_saved() -> str:
    return _("This had already been saved (the form was sent twice): nothing new was "
             "created. Here is what was saved.")


class IdempotencyKeyField(forms.UUIDField):
    """The hidden key: a fresh UUID each time the empty form is shown; a form sent back with
    errors keeps its key (nothing was created), a new form gets a new one."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("initial", uuid.uuid4)
        kwargs.setdefault("label", gettext_lazy("Submission key"))
        kwargs.setdefault("error_messages", {
            "invalid": gettext_lazy("The form's submission key is damaged: reload the page.")})
        super().__init__(**kwargs)


class IdempotentForm(forms.BaseForm):
    """Mixin for every form that creates a record: adds the hidden ``idempotency_key``.

    The key is taken out of ``cleaned_data`` into ``submission_key`` once the form is
    cleaned, so that views keep passing ``**form.cleaned_data`` to actions as they are."""

    submission_key: uuid.UUID | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields[FIELD] = IdempotencyKeyField()

    def full_clean(self) -> None:
        super().full_clean()
        cleaned = getattr(self, "cleaned_data", None)
        if cleaned is not None:
            self.submission_key = cleaned.pop(FIELD, None)
        errors: Any = getattr(self, "_errors", None)
        if errors and FIELD in errors:
            # a hidden field's error would be shown nowhere: it belongs to the whole form
            messages = errors.pop(FIELD)
            errors.setdefault(NON_FIELD_ERRORS,
                              self.error_class(error_class="nonfield")).extend(messages)
