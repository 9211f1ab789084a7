"""Importing activities from a file: upload and check, then import; and the template.

Between the check and the import the file waits on the server, not in the browser or the
session: the check stores the bytes under a random name in ``MEDIA_ROOT/imports/`` (mode 0600)
and the page carries a signed token naming that file, the person it belongs to and the digest
of its bytes. "Import" sends the token back. So:

- the person does not choose the file a second time (choosing the wrong file, or one edited
  since the check, is the usual failure of re-uploading), and exactly the bytes that were
  checked are imported: the digest is verified again;
- no session state: several imports can be checked in several tabs, and a token is useless to
  anyone else (signed with the secret key and a salt of its own, bound to the user, valid for
  ``TOKEN_MAX_AGE``);
- the file is deleted after the import, and files older than the token's life are swept away
  whenever a new check stores one. The random name is never shown and never served.

The import checks every row again in its own transaction (what is already recorded may have
changed since the check), so the token carries no result, only the file.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from ctip.accounts.access import requires
from ctip.accounts.policy import NotInScope
from ctip.audit.models import AuditEvent
from ctip.core.errors import ActionError
from ctip.core.spreadsheets import FileError, read_upload
from ctip.core.typing import AuthedRequest
from ctip.outreach import activity_import as importer
from ctip.outreach.actions import undo_activity_import
from ctip.outreach.activity_import import ImportFailed, ImportPlan

TEMPLATE_NAME = "mau-nhap-hoat-dong"
TOKEN_SALT = "ctip.outreach.activity_import"  # noqa: S105  (a salt, not a secret)
TOKEN_MAX_AGE = 60 * 60  # seconds between the check and the import
PENDING_DIR = "imports"
RECENT_IMPORTS = 5  # the person's own imports offered for undoing
PREVIEW_OK_ROWS = 200  # rows without remarks shown on the check page; every problem is shown


# --- The file waiting between the check and the import --------------------------------------


def _pending_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / PENDING_DIR


def _sweep(directory: Path) -> None:
    limit = time.time() - TOKEN_MAX_AGE - 300
    for path in directory.glob("*.upload"):
        with contextlib.suppress(OSError):
            if path.stat().st_mtime < limit:
                path.unlink()


def stash(user: Any, name: str, data: bytes) -> str:
    """Keep the checked file; return the token that names it."""
    directory = _pending_dir()
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    _sweep(directory)
    key = secrets.token_hex(16)
    fd = os.open(directory / f"{key}.upload", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    return signing.dumps({"key": key, "user": user.pk, "name": name,
                          "digest": hashlib.sha256(data).hexdigest()}, salt=TOKEN_SALT)


def unstash(user: Any, token: str) -> tuple[Path, SimpleUploadedFile] | None:
    """The file a token names, if the token is valid, recent and the user's own."""
    try:
        data = signing.loads(token, salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
    except signing.BadSignature:  # also SignatureExpired
        return None
    key = str(data.get("key", ""))
    if data.get("user") != user.pk or len(key) != 32 or not key.isalnum():
        return None
    path = _pending_dir() / f"{key}.upload"
    try:
        content = path.read_bytes()
    except OSError:
        return None
    if hashlib.sha256(content).hexdigest() != data.get("digest"):
        return None
    return path, SimpleUploadedFile(str(data.get("name") or "import.xlsx"), content)


# --- Pages ----------------------------------------------------------------------------------


def _shown_rows(plan: ImportPlan) -> tuple[list[Any], int]:
    """Every row with an error, a duplicate or a remark, and the first plain rows."""
    shown, hidden, plain = [], 0, 0
    for row in plan.rows:
        if row.status != importer.OK or row.remarks:
            shown.append(row)
        elif plain < PREVIEW_OK_ROWS:
            shown.append(row)
            plain += 1
        else:
            hidden += 1
    return shown, hidden


def _page(request: HttpRequest, **context: Any) -> TemplateResponse:
    context.setdefault("plan", None)
    context.setdefault("token", "")
    context.setdefault("file_error", "")
    context.setdefault("notice", "")
    plan = context["plan"]
    context["rows"], context["hidden_rows"] = _shown_rows(plan) if plan else ([], 0)
    recent = list(AuditEvent.objects.filter(action="activity.imported", actor_id=request.user.pk)
                  .order_by("-occurred_at", "-pk")[:RECENT_IMPORTS])
    undone = set(AuditEvent.objects.filter(
        action="activity.import_undone", changes__event__in=[e.pk for e in recent])
        .values_list("changes__event", flat=True)) if recent else set()
    context.update({
        "recent_imports": recent,
        "undone": undone,
        "headers": importer.TEMPLATE_HEADERS,
        "max_mb": importer.MAX_FILE_BYTES // (1024 * 1024),
        "max_rows": importer.MAX_ROWS,
    })
    return TemplateResponse(request, "outreach/activity_import.html", context)


def _check(request: HttpRequest) -> HttpResponse:
    upload = request.FILES.get("file")
    if upload is None:
        return _page(request, file_error=_("Choose a file to import."))
    try:
        name, data = read_upload(upload, importer.MAX_FILE_BYTES)
    except FileError as exc:
        return _page(request, file_error=exc.message)
    plan = importer.plan_import(request.user, SimpleUploadedFile(name, data))
    token = stash(request.user, name, data) if plan.ok and plan.to_import else ""
    return _page(request, plan=plan, token=token)


def _apply(request: HttpRequest) -> HttpResponse:
    pending = unstash(request.user, request.POST.get("token", ""))
    if pending is None:
        return _page(request, file_error=_(
            "This check has expired or the file is no longer there. Choose the file and check "
            "it again."))
    path, upload = pending
    try:
        result = importer.apply_import(request.user, upload)
    except ImportFailed as exc:
        # Something changed since the check (a unit closed, a format archived...).
        return _page(request, plan=exc.plan, notice=_(
            "The file was checked again before importing and now has errors."))
    with contextlib.suppress(OSError):
        path.unlink()
    if result.imported:
        messages.success(request, ngettext(
            "%(n)d activity imported from “%(file)s”.",
            "%(n)d activities imported from “%(file)s”.", result.imported)
            % {"n": result.imported, "file": result.file_name})
    else:
        messages.info(request, _("Nothing was imported: every row of “%(file)s” is already "
                                 "recorded.") % {"file": result.file_name})
    if result.duplicates:
        messages.info(request, ngettext(
            "%(n)d duplicate row skipped.", "%(n)d duplicate rows skipped.", result.duplicates)
            % {"n": result.duplicates})
    return redirect("outreach:activity_list")


def _undo(request: HttpRequest) -> HttpResponse:
    try:
        event_id = int(request.POST.get("event", ""))
    except ValueError:
        raise Http404 from None
    try:
        deleted = undo_activity_import(actor=request.user, event_id=event_id)
    except NotInScope:
        raise Http404 from None
    except ActionError as exc:
        return _page(request, file_error=exc.message)
    messages.success(request, ngettext(
        "Import undone: %(n)d activity deleted.", "Import undone: %(n)d activities deleted.",
        deleted) % {"n": deleted})
    return redirect("outreach:activity_import")


@require_http_methods(["GET", "POST"])
@requires("activity.manage")
def activity_import(request: AuthedRequest) -> HttpResponse:
    if request.method == "GET":
        return _page(request)
    if "apply" in request.POST:
        return _apply(request)
    if "undo" in request.POST:
        return _undo(request)
    return _check(request)


@require_http_methods(["GET"])
@requires("activity.manage")
def activity_import_template(request: AuthedRequest) -> HttpResponse:
    response = HttpResponse(importer.template_xlsx(request.user),
                            content_type=importer.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{TEMPLATE_NAME}.xlsx"'
    return response
