"""A stored file lives exactly as long as the row that names it (decision record 0110): an
upload whose row was not saved (its transaction rolled back after the file was written) is
removed when the request or the task ends; a row's file deleted in a transaction that rolls
back is kept with its row."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError, transaction
from django.urls import reverse

from ctip.cases import actions as case_actions
from ctip.cases.models import Consent
from ctip.core import files
from tests.cases.case_helpers import register

pytestmark = pytest.mark.django_db

CONSENT = {"purpose": "support", "given_on": "2026-01-20", "given_by": "person"}


def stored(settings: Any, folder: str) -> list[str]:
    root = Path(settings.MEDIA_ROOT) / folder
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def evidence() -> SimpleUploadedFile:
    return SimpleUploadedFile("don-dong-y.pdf", b"%PDF-1.4 signed", content_type="application/pdf")


def test_a_consent_whose_saving_failed_leaves_no_signed_document(
        tree: Any, users: Any, client_for: Any, monkeypatch: pytest.MonkeyPatch,
        settings: Any) -> None:
    """Her signed consent is written to storage before the consent's row; the database then
    refuses the audit record (busy): the row is rolled back, and the document, which no row
    names and her anonymisation would never reach, is removed too."""
    person = register(tree.commune_a, full_name="Lò Thị Xuân")
    worker = client_for(users["case_worker"])
    worker.raise_request_exception = False
    real = case_actions.record

    def busy(**kwargs: Any) -> Any:
        if kwargs.get("action") == "consent.recorded":
            raise OperationalError("database is locked")
        return real(**kwargs)

    monkeypatch.setattr(case_actions, "record", busy)
    url = reverse("cases:consent_add", args=[person.pk])
    failed = worker.post(url, CONSENT | {"evidence": evidence()})
    assert failed.status_code == 503
    assert not Consent.objects.exists()
    assert stored(settings, "consents") == []

    monkeypatch.setattr(case_actions, "record", real)  # saved: the document stays
    assert worker.post(url, CONSENT | {"evidence": evidence()}).status_code == 302
    consent = Consent.objects.get()
    assert stored(settings, "consents") == [consent.evidence.name.removeprefix("consents/")]


def test_a_wipe_rolled_back_keeps_the_documents_and_a_committed_one_removes_them(
        tree: Any, settings: Any, django_capture_on_commit_callbacks: Any) -> None:
    person = register(tree.commune_a, full_name="Lò Thị Xuân")
    consent = case_actions.record_consent(actor=None, person=person, purpose="support",
                                          given_on=dt.date(2026, 1, 20),
                                          given_by="person", evidence=evidence())
    name = consent.evidence.name
    with pytest.raises(RuntimeError), transaction.atomic():
        case_actions.anonymise_person(actor=None, person=person, reason="hết hạn lưu trữ")
        raise RuntimeError("the anonymisation's transaction fails after the wipe")
    assert Consent.objects.get().evidence.name == name and default_storage.exists(name)

    person.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        case_actions.anonymise_person(actor=None, person=person, reason="hết hạn lưu trữ")
    assert Consent.objects.get().evidence.name == "" and not default_storage.exists(name)


def test_settling_removes_only_files_no_row_names(tree: Any, settings: Any) -> None:
    """What a request's or a task's end runs: a file of ctip's written in a transaction that
    rolled back goes; one whose row is saved stays, and so does the CMS's."""
    person = register(tree.commune_a, full_name="Lò Thị Xuân")
    files._noted.names = []  # what earlier tests of this thread wrote without a request
    with pytest.raises(RuntimeError), transaction.atomic():
        lost = default_storage.save("consents/lost.pdf", ContentFile(b"%PDF-1.4"))
        # the CMS's files are Wagtail's to keep (a rendition two requests wrote at once is
        # saved by one of them and serves both)
        cms = default_storage.save("images/anh.png", ContentFile(b"\x89PNG"))
        raise RuntimeError("rolled back")
    kept = case_actions.record_consent(
        actor=None, person=person, purpose="support", given_by="person",
        given_on=dt.date(2026, 1, 20), evidence=evidence()).evidence.name
    assert files.settle() == [lost]
    assert not default_storage.exists(lost)
    assert default_storage.exists(kept) and default_storage.exists(cms)
    assert files.settle() == []  # each file is settled once
