"""The activity pages: quick entry with its defaults, refusals shown on the form, detail, edit,
delete, downloads, and the filtered list with its totals."""

from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from ctip.audit.models import AuditEvent
from ctip.catalogues.models import Topic
from ctip.outreach import actions
from ctip.outreach.models import Activity, Attachment, Campaign
from tests.conftest import log_activity

CREATE = "outreach:activity_create"
LIST = "outreach:activity_list"
ALL_TIME = {"start": ""}  # the filter form sent with an empty period


# --- Helpers ---------------------------------------------------------------------------------

class FormValues(HTMLParser):
    """What a browser would submit for the first ``<form method=post>`` of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, list[str]] = {}
        self.options: dict[str, list[str]] = {}
        self.order: list[str] = []
        self._in_form = self._done = False
        self._select: str | None = None
        self._textarea: str | None = None

    def _add(self, name: str, value: str) -> None:
        self.values.setdefault(name, []).append(value)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if (tag == "form" and not self._done and a.get("method") == "post"
                and "action" not in a):  # the page's own form, not sign-out or language
            self._in_form = True
        name = a.get("name")
        if not self._in_form or not name:
            return
        if name not in self.order:
            self.order.append(name)
        if tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind in {"checkbox", "radio"}:
                self.options.setdefault(name, []).append(a.get("value") or "on")
                if "checked" in a:
                    self._add(name, a.get("value") or "on")
            elif kind not in {"submit", "button", "file"}:
                self._add(name, a.get("value") or "")
        elif tag == "select":
            self._select = name
            self.values.setdefault(name, [])
        elif tag == "textarea":
            self._textarea = name
            self._add(name, "")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.values[self._textarea][-1] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form" and self._in_form:
            self._in_form, self._done = False, True

    def close(self) -> None:
        super().close()
        # a browser drops the newline that opens a textarea
        for name, values in self.values.items():
            self.values[name] = [v[1:] if v.startswith("\n") else v for v in values]


class _Options(HTMLParser):
    """Options of the selects, with their selected state (``option`` has no name)."""

    def __init__(self) -> None:
        super().__init__()
        self.select: str | None = None
        self.options: dict[str, list[tuple[str, bool]]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "select":
            self.select = a.get("name")
            self.options[self.select or ""] = []
        elif tag == "option" and self.select:
            self.options[self.select].append((a.get("value") or "", "selected" in a))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self.select = None


def read_form(response: Any) -> FormValues:
    body = response.content.decode()
    parser = FormValues()
    parser.feed(body)
    parser.close()
    options = _Options()
    options.feed(body[body.index("<main"):])
    for name, opts in options.options.items():
        parser.options[name] = [v for v, _selected in opts]
        parser.values[name] = [v for v, selected in opts if selected]
    return parser


def as_post(form: FormValues, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {k: v[0] if len(v) == 1 else v for k, v in form.values.items()}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def running_campaign(tree: Any) -> Campaign:
    today = timezone.localdate()
    return actions.create_campaign(actor=None, unit=tree.province, name="Tháng hành động",
                                   starts_on=today - dt.timedelta(days=30),
                                   ends_on=today + dt.timedelta(days=30))


def pdf(name: str = "bien-ban.pdf", size: int = 2000) -> SimpleUploadedFile:
    body = b"%PDF-1.7\n" + b"0" * (size - 9)
    return SimpleUploadedFile(name, body, content_type="application/pdf")


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200


def essentials(tree: Any, formats: Any, **changes: Any) -> dict[str, Any]:
    data = {"date": "2026-07-15", "unit": tree.branch_a1.pk, "format": formats["meeting"].pk,
            "title": "Sinh hoạt chi hội tháng 7", "participants_women": "20",
            "participants_men": "5", "participants_total": ""}
    data.update(changes)
    return data


# --- Quick entry -----------------------------------------------------------------------------

def test_quick_entry_by_a_branch_head_starts_from_her_defaults(
        tree: Any, users: Any, formats: Any, client_for: Any) -> None:
    campaign = running_campaign(tree)
    client = client_for(users["branch_head"])
    response = client.get(reverse(CREATE))
    assert response.status_code == 200
    form = read_form(response)
    today = timezone.localdate()
    assert form.values["date"] == [today.isoformat()]
    assert form.values["unit"] == [str(tree.branch_a1.pk)]
    assert form.values["campaign"] == [str(campaign.pk)]
    assert form.values["status"] == ["done"]
    # only her branch and the group below it can be chosen
    assert set(form.options["unit"]) - {""} == {str(tree.branch_a1.pk), str(tree.group_a1.pk)}
    # the essential fields come first, the rest is folded under "More details"
    body = response.content.decode()
    details = body.index("<details", body.index("<main"))  # not the header's menu
    for name in ("date", "unit", "format", "title", "participants_women", "participants_men",
                 "participants_total"):
        assert body.index(f'name="{name}"') < details, name
    for name in ("campaign", "audiences", "online_views", "notes", "attachments"):
        assert body.index(f'name="{name}"') > details, name
    assert 'type="date"' in body and 'inputmode="numeric"' in body
    assert 'name="attachments"' in body and "multiple" in body

    # She fills in the format, a title and the women and men, and sends the rest as it is.
    data = as_post(form, format=formats["meeting"].pk, title="Sinh hoạt chi hội tháng 11",
                   participants_women="18", participants_men="4")
    response = client.post(reverse(CREATE), data)
    activity = Activity.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("outreach:activity_detail", args=[activity.pk])
    assert activity.unit == tree.branch_a1 and activity.unit_path == tree.branch_a1.path
    assert activity.date == today and activity.status == "done"
    assert activity.campaign == campaign
    assert activity.participants_total == 22  # computed from women and men
    assert activity.created_by == users["branch_head"]
    assert AuditEvent.objects.filter(action="activity.created", target_id=str(activity.pk),
                                     actor=users["branch_head"]).exists()
    page = client.get(response["Location"]).content.decode()
    assert "Sinh hoạt chi hội tháng 11" in page


def test_the_campaign_follows_the_unit_and_date_chosen(tree: Any, users: Any,
                                                       client_for: Any) -> None:
    """Changing the unit or date asks (htmx) for the campaign field again."""
    campaign = running_campaign(tree)
    client = client_for(users["commune_officer"])
    old = timezone.localdate() - dt.timedelta(days=200)
    response = client.get(reverse(CREATE), {"unit": tree.branch_a2.pk, "date": old.isoformat()},
                          HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "<html" not in body and 'id="field-campaign"' in body
    assert read_form_select(body, "campaign") == ""
    response = client.get(reverse(CREATE), {"unit": tree.branch_a2.pk},
                          HTTP_HX_REQUEST="true")
    assert read_form_select(response.content.decode(), "campaign") == str(campaign.pk)


def read_form_select(body: str, name: str) -> str:
    options = _Options()
    options.feed(body)
    return next((v for v, selected in options.options[name] if selected), "")


def test_a_commune_officer_cannot_record_in_another_commune(
        tree: Any, users: Any, formats: Any, client_for: Any) -> None:
    client = client_for(users["commune_officer"])
    form = read_form(client.get(reverse(CREATE)))
    assert str(tree.commune_b.pk) not in form.options["unit"]
    assert form.values["unit"] == [str(tree.commune_a.pk)]  # her home unit
    response = client.post(reverse(CREATE), essentials(tree, formats, unit=tree.commune_b.pk))
    assert response.status_code == 200
    assert "unit" in response.context["form"].errors
    assert not Activity.objects.exists()
    # nor be offered its form
    assert client.get(reverse(CREATE), {"unit": tree.commune_b.pk}).status_code == 404


@pytest.mark.parametrize("role", ["viewer", "case_worker", "auditor"])
def test_roles_that_record_nothing_get_no_form(role: str, tree: Any, users: Any,
                                               client_for: Any) -> None:
    assert client_for(users[role]).get(reverse(CREATE)).status_code == 404


def test_a_speaker_records_only_talks_she_gave(tree: Any, users: Any, formats: Any,
                                              client_for: Any) -> None:
    speaker_user = users["speaker"]
    lan = actions.create_speaker(actor=users["commune_officer"], unit=tree.commune_a,
                                 full_name="Nguyễn Thị Lan", user=speaker_user)
    other = actions.create_speaker(actor=users["commune_officer"], unit=tree.commune_a,
                                   full_name="Trần Thị Hoa")
    client = client_for(speaker_user)
    form = read_form(client.get(reverse(CREATE)))
    assert form.values["speakers"] == [str(lan.pk)]  # herself, ticked for her
    assert set(form.options["speakers"]) == {str(lan.pk), str(other.pk)}

    talk = {"format": formats["speaker-talk"].pk, "title": "Nói chuyện tại trường THCS",
            "participants_women": "60", "participants_men": "55"}
    response = client.post(reverse(CREATE), as_post(form, speakers=[str(other.pk)], **talk))
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert not Activity.objects.exists()

    response = client.post(reverse(CREATE), as_post(form, **talk))
    activity = Activity.objects.get()
    assert response.status_code == 302
    assert list(activity.speakers.all()) == [lan]
    assert activity.unit == tree.commune_a


def test_a_future_date_for_a_done_activity_is_refused_and_the_input_kept(
        tree: Any, users: Any, formats: Any, client_for: Any) -> None:
    client = client_for(users["branch_head"])
    future = timezone.localdate() + dt.timedelta(days=3)
    data = essentials(tree, formats, date=future.isoformat(), status="done",
                      title="Sinh hoạt <b>chuyên đề</b>", notes="Mời công an xã")
    response = client.post(reverse(CREATE), data)
    assert response.status_code == 200
    errors = response.context["form"].errors["date"]
    assert future.strftime("%d/%m/%Y") in errors[0]
    assert future.strftime("%d/%m/%Y") in response.content.decode()
    kept = read_form(response)
    assert kept.values["date"] == [future.isoformat()]
    assert kept.values["title"] == ["Sinh hoạt <b>chuyên đề</b>"]
    assert kept.values["notes"] == ["Mời công an xã"]
    assert kept.values["participants_women"] == ["20"]
    assert not Activity.objects.exists()
    # marked as planned it is accepted
    response = client.post(reverse(CREATE), dict(data, status="planned"))
    assert response.status_code == 302
    assert Activity.objects.get().status == "planned"


def test_an_absurd_crowd_at_a_branch_meeting_is_refused(tree: Any, users: Any,
                                                        formats: Any, client_for: Any) -> None:
    client = client_for(users["branch_head"])
    response = client.post(reverse(CREATE), essentials(
        tree, formats, participants_women="", participants_men="",
        participants_total="100000"))
    assert response.status_code == 200
    message = response.context["form"].errors["participants_total"][0]
    assert "100000" in message and "1000" in message
    assert "100000" in response.content.decode()
    assert not Activity.objects.exists()


def test_women_and_men_must_add_up_to_the_total(tree: Any, users: Any, formats: Any,
                                                client_for: Any) -> None:
    client = client_for(users["branch_head"])
    response = client.post(reverse(CREATE), essentials(tree, formats,
                                                       participants_total="30"))
    message = response.context["form"].errors["participants_total"][0]
    assert "25" in message and "30" in message
    assert not Activity.objects.exists()


def test_negative_numbers_are_refused_on_the_field(tree: Any, users: Any, formats: Any,
                                                   client_for: Any) -> None:
    client = client_for(users["branch_head"])
    response = client.post(reverse(CREATE), essentials(tree, formats, participants_men="-3"))
    assert "participants_men" in response.context["form"].errors
    assert not Activity.objects.exists()


@pytest.mark.parametrize(("upload", "expected"), [
    (lambda: pdf("bao-cao.pdf", 21 * 1024 * 1024), "21.0"),
    (lambda: SimpleUploadedFile("tai-lieu.pdf", b"MZ\x90\x00\x03" + b"\x00" * 500,
                                content_type="application/pdf"), "tai-lieu.pdf"),
    (lambda: SimpleUploadedFile("setup.exe", b"MZ\x90\x00" + b"\x00" * 100), "setup.exe"),
], ids=["21MB", "exe-renamed-pdf", "exe"])
def test_bad_attachments_are_refused_and_nothing_is_saved(
        upload: Any, expected: str, tree: Any, users: Any, formats: Any, client_for: Any,
        settings: Any) -> None:
    client = client_for(users["branch_head"])
    data = essentials(tree, formats, attachments=[pdf("ok.pdf"), upload()])
    response = client.post(reverse(CREATE), data)
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors["attachments"])
    assert expected in errors
    assert expected in response.content.decode()
    assert not Activity.objects.exists() and not Attachment.objects.exists()
    media = settings.MEDIA_ROOT
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


def test_more_than_five_files_are_refused(tree: Any, users: Any, formats: Any,
                                          client_for: Any) -> None:
    client = client_for(users["branch_head"])
    files = [pdf(f"anh-{i}.pdf") for i in range(6)]
    response = client.post(reverse(CREATE), essentials(tree, formats, attachments=files))
    assert "attachments" in response.context["form"].errors
    assert not Activity.objects.exists()


def test_photos_and_documents_are_attached_and_downloaded_within_scope(
        tree: Any, users: Any, formats: Any, client_for: Any) -> None:
    client = client_for(users["branch_head"])
    photo = SimpleUploadedFile("anh-sinh-hoat.png", PNG, content_type="image/png")
    response = client.post(reverse(CREATE), essentials(
        tree, formats, attachments=[pdf("bien-ban.pdf"), photo]))
    assert response.status_code == 302
    activity = Activity.objects.get()
    attachments = list(activity.attachments.order_by("pk"))
    assert [a.kind for a in attachments] == ["document", "image"]
    assert AuditEvent.objects.filter(action="activity.attachment_added").count() == 2

    page = client.get(reverse("outreach:activity_detail", args=[activity.pk])).content.decode()
    url = reverse("outreach:attachment_download", args=[attachments[1].pk])
    assert url in page and "anh-sinh-hoat" in page
    assert "/media/" not in page
    download = client.get(url)
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert b"".join(download.streaming_content) == PNG
    # the commune officer above may download it; the other province may not
    assert client_for(users["commune_officer"]).get(url).status_code == 200
    assert client_for(users["other_officer"]).get(url).status_code == 404


# --- Detail, edit, delete --------------------------------------------------------------------

def test_detail_shows_the_activity_and_escapes_what_was_typed(
        tree: Any, users: Any, formats: Any, client_for: Any) -> None:
    activity = log_activity(tree.branch_a1, formats["meeting"],
                            title="<script>alert('x')</script> Sinh hoạt",
                            notes="<img src=x onerror=alert(1)>\nDòng hai",
                            coordinating_agencies="<b>Công an xã</b>")
    client = client_for(users["branch_head"])
    body = client.get(reverse("outreach:activity_detail", args=[activity.pk])).content.decode()
    assert "<script>alert" not in body and "&lt;script&gt;alert" in body
    assert "<img src=x" not in body and "&lt;img src=x onerror=alert(1)&gt;" in body
    assert "<b>Công an xã</b>" not in body
    assert "15/07/2026" in body and "Chi hội ấp Mỹ Lộc" in body
    listing = client.get(reverse(LIST), ALL_TIME).content.decode()
    assert "<script>alert" not in listing and "&lt;script&gt;alert" in listing


def test_detail_out_of_scope_answers_404(tree: Any, users: Any, formats: Any,
                                         client_for: Any) -> None:
    activity = log_activity(tree.branch_a2, formats["meeting"])
    url = reverse("outreach:activity_detail", args=[activity.pk])
    assert client_for(users["commune_officer"]).get(url).status_code == 200
    assert client_for(users["branch_head"]).get(url).status_code == 404  # the sibling branch
    assert client_for(users["other_officer"]).get(url).status_code == 404
    assert AuditEvent.objects.filter(action="access.refused", actor=users["branch_head"],
                                     target_label=url).exists()


def test_edit_through_the_form(tree: Any, users: Any, formats: Any, client_for: Any) -> None:
    topic = actions.create_topic(actor=None, name="Thủ đoạn lừa đảo việc nhẹ lương cao",
                                 kind=Topic.Kind.TRICK)
    activity = log_activity(tree.branch_a1, formats["meeting"], actor=users["branch_head"])
    client = client_for(users["commune_officer"])
    url = reverse("outreach:activity_edit", args=[activity.pk])
    form = read_form(client.get(url))
    assert form.values["title"] == [activity.title]
    assert "unit" not in form.values  # the unit of a recorded activity does not change
    response = client.post(url, as_post(form, title="Sinh hoạt chuyên đề (đã sửa)",
                                        participants_total="", participants_men="7",
                                        topics=[str(topic.pk)]))
    assert response.status_code == 302
    activity.refresh_from_db()
    assert activity.title == "Sinh hoạt chuyên đề (đã sửa)"
    assert activity.participants_total == 27
    assert list(activity.topics.all()) == [topic]
    event = AuditEvent.objects.get(action="activity.updated", target_id=str(activity.pk))
    assert event.actor == users["commune_officer"] and "title" in event.changes


def test_two_people_editing_one_activity_never_overwrite_each_other_unseen(
        tree: Any, users: Any, formats: Any, client_for: Any) -> None:
    """Both open the edit page; the first saves; the second's save, based on the version she
    read, is refused with a clear reason and her values kept in the form; saving again (she has
    now been told) replaces them."""
    activity = log_activity(tree.branch_a1, formats["meeting"], actor=users["branch_head"])
    url = reverse("outreach:activity_edit", args=[activity.pk])
    lan, mai = client_for(users["commune_officer"]), client_for(users["branch_head"])
    lan_form, mai_form = read_form(lan.get(url)), read_form(mai.get(url))
    assert lan_form.values["version"] == mai_form.values["version"]
    assert lan.post(url, as_post(lan_form, title="Sửa của Lan")).status_code == 302
    stale = mai.post(url, as_post(mai_form, title="Sửa của Mai"))
    assert stale.status_code == 200
    activity.refresh_from_db()
    assert activity.title == "Sửa của Lan"
    page = stale.content.decode()
    assert "Người khác đã thay đổi hoạt động này sau khi bạn mở nó" in page
    again = read_form(stale)
    assert again.values["title"] == ["Sửa của Mai"]  # nothing she typed is lost
    assert again.values["version"] != mai_form.values["version"]
    assert mai.post(url, as_post(again)).status_code == 302
    activity.refresh_from_db()
    assert activity.title == "Sửa của Mai"


def test_an_edit_sent_twice_is_saved_not_called_a_conflict(
        tree: Any, users: Any, formats: Any, client_for: Any) -> None:
    """Her save sent twice (a double press, the answer lost): the second finds the version
    changed by her own first save; what she sent is what is saved, so she is told it is saved,
    not that someone else changed it. Another person's change in between is still caught."""
    activity = log_activity(tree.branch_a1, formats["meeting"], actor=users["branch_head"])
    url = reverse("outreach:activity_edit", args=[activity.pk])
    lan = client_for(users["commune_officer"])
    # the total left blank (the women and the men are added up), as she usually leaves it
    sent = as_post(read_form(lan.get(url)), title="Sửa một lần", participants_total="")
    assert lan.post(url, sent).status_code == 302
    again = lan.post(url, sent, follow=True)
    page = again.content.decode()
    assert again.redirect_chain and "Người khác đã thay đổi" not in page
    assert "đã được lưu" in page
    assert AuditEvent.objects.filter(action="activity.updated",
                                     target_id=str(activity.pk)).count() == 1
    # someone else's change in between: the same form sent again is a conflict
    mai = client_for(users["branch_head"])
    assert mai.post(url, as_post(read_form(mai.get(url)), notes="Mai thêm")).status_code == 302
    stale = lan.post(url, sent)
    assert stale.status_code == 200
    assert "Người khác đã thay đổi hoạt động này" in stale.content.decode()


def test_an_old_activity_stays_editable_after_its_format_is_archived(
        tree: Any, users: Any, formats: Any, client_for: Any) -> None:
    activity = log_activity(tree.branch_a1, formats["law-day"])
    actions.set_archived(actor=None, obj=formats["law-day"])
    client = client_for(users["commune_officer"])
    url = reverse("outreach:activity_edit", args=[activity.pk])
    form = read_form(client.get(url))
    assert form.values["format"] == [str(formats["law-day"].pk)]
    response = client.post(url, as_post(form, notes="Bổ sung ghi chú"))
    assert response.status_code == 302
    activity.refresh_from_db()
    assert activity.notes == "Bổ sung ghi chú"
    # but a new activity cannot use the archived format
    response = client.post(reverse(CREATE), essentials(tree, formats,
                                                       format=formats["law-day"].pk))
    assert "format" in response.context["form"].errors


def test_who_may_edit(tree: Any, users: Any, formats: Any, client_for: Any) -> None:
    activity = log_activity(tree.branch_a1, formats["meeting"], actor=users["branch_head"])
    url = reverse("outreach:activity_edit", args=[activity.pk])
    detail = reverse("outreach:activity_detail", args=[activity.pk])
    assert client_for(users["branch_head"]).get(url).status_code == 200
    assert client_for(users["viewer"]).get(url).status_code == 404
    # the speaker sees the activity but did not record it
    speaker = client_for(users["speaker"])
    assert speaker.get(url).status_code == 404
    page = speaker.get(detail).content.decode()
    assert url not in page
    assert url in client_for(users["branch_head"]).get(detail).content.decode()


def test_delete_asks_first_then_deletes(tree: Any, users: Any, formats: Any,
                                        client_for: Any) -> None:
    activity = log_activity(tree.branch_a1, formats["meeting"])
    actions.add_attachment(actor=None, activity=activity, upload=pdf())
    url = reverse("outreach:activity_delete", args=[activity.pk])
    client = client_for(users["branch_head"])
    page = client.get(url)
    assert page.status_code == 200 and activity.title in page.content.decode()
    assert Activity.objects.filter(pk=activity.pk).exists()
    response = client.post(url)
    assert response.status_code == 302 and response["Location"] == reverse(LIST)
    assert not Activity.objects.filter(pk=activity.pk).exists()
    assert AuditEvent.objects.filter(action="activity.deleted",
                                     actor=users["branch_head"]).exists()


def test_a_deletion_rolled_back_keeps_the_attachments(
        tree: Any, users: Any, formats: Any, django_capture_on_commit_callbacks: Any) -> None:
    """The files go with a committed deletion only: a deletion undone keeps its files."""
    activity = log_activity(tree.branch_a1, formats["meeting"])
    attachment = actions.add_attachment(actor=None, activity=activity, upload=pdf())
    storage, name = attachment.file.storage, attachment.file.name
    with pytest.raises(RuntimeError), transaction.atomic():
        actions.delete_activity(actor=users["branch_head"], activity=activity)
        raise RuntimeError("a step after the deletion fails")
    assert Attachment.objects.filter(pk=attachment.pk).exists() and storage.exists(name)
    with django_capture_on_commit_callbacks(execute=True):
        actions.delete_activity(actor=users["branch_head"],
                                activity=Activity.objects.get(pk=attachment.activity_id))
    assert not Attachment.objects.filter(pk=attachment.pk).exists()
    assert not storage.exists(name)


def test_delete_out_of_reach_answers_404(tree: Any, users: Any, formats: Any,
                                         client_for: Any) -> None:
    activity = log_activity(tree.branch_a2, formats["meeting"])
    url = reverse("outreach:activity_delete", args=[activity.pk])
    assert client_for(users["branch_head"]).post(url).status_code == 404
    assert client_for(users["viewer"]).post(url).status_code == 404
    assert Activity.objects.filter(pk=activity.pk).exists()


# --- List ------------------------------------------------------------------------------------

@pytest.fixture
def spread(tree: Any, formats: Any, audiences: Any) -> dict[str, Any]:
    """Activities across the tree, with a campaign, topics and audiences to filter on."""
    campaign = actions.create_campaign(actor=None, unit=tree.province, name="Đợt cao điểm",
                                       starts_on=dt.date(2026, 6, 1),
                                       ends_on=dt.date(2026, 8, 31))
    law = actions.create_topic(actor=None, name="Luật Phòng, chống mua bán người",
                               kind=Topic.Kind.LAW)
    trick = actions.create_topic(actor=None, name="Thủ đoạn dụ dỗ", kind=Topic.Kind.TRICK)
    meeting, zalo = formats["meeting"], formats["zalo"]
    return {
        "campaign": campaign, "law": law, "trick": trick,
        "a1_july": log_activity(tree.branch_a1, meeting, title="A1 tháng 7",
                                date=dt.date(2026, 7, 10), campaign=campaign, topics=[law],
                                audiences=[audiences["members"]]),
        "a1_march": log_activity(tree.branch_a1, meeting, title="A1 tháng 3",
                                 date=dt.date(2026, 3, 5), women=30, men=0,
                                 topics=[trick]),
        "group": log_activity(tree.group_a1, meeting, title="Tổ 1 tháng 7",
                              date=dt.date(2026, 7, 20), women=8, men=2,
                              audiences=[audiences["youth"]], topics=[law, trick]),
        "a2_zalo": log_activity(tree.branch_a2, zalo, title="Zalo A2", women=None,
                                men=None, date=dt.date(2026, 7, 1), online_views=900,
                                online_shares=40, campaign=campaign),
        "commune_a": log_activity(tree.commune_a, formats["law-day"], title="Ngày pháp luật",
                                  date=dt.date(2025, 11, 9), women=100, men=50,
                                  status=Activity.Status.DONE),
        "commune_b": log_activity(tree.commune_b, meeting, title="Tân An tháng 7",
                                  date=dt.date(2026, 7, 12)),
        "other": log_activity(tree.other_commune, meeting, title="Cao Bằng tháng 7",
                              date=dt.date(2026, 7, 12)),
    }


def titles(response: Any) -> set[str]:
    return {a.title for a in response.context["page"]}


def test_the_list_shows_what_is_in_scope_with_totals(spread: Any, users: Any,
                                                     client_for: Any) -> None:
    response = client_for(users["commune_officer"]).get(reverse(LIST), ALL_TIME)
    assert titles(response) == {"A1 tháng 7", "A1 tháng 3", "Tổ 1 tháng 7", "Zalo A2",
                                "Ngày pháp luật"}
    assert response.context["totals"] | {} == {
        "sessions": 5, "women": 20 + 30 + 8 + 100, "men": 5 + 0 + 2 + 50,
        "participants": 25 + 30 + 10 + 150, "views": 900, "shares": 40}
    body = response.content.decode()
    assert "Tân An tháng 7" not in body and "Cao Bằng" not in body
    assert 'id="activity-totals"' in body
    # newest first, each linking to its page
    newest = response.context["page"][0]
    assert newest.title == "Tổ 1 tháng 7"
    assert f'href="{reverse("outreach:activity_detail", args=[newest.pk])}"' in body

    branch = client_for(users["branch_head"]).get(reverse(LIST), ALL_TIME)
    assert titles(branch) == {"A1 tháng 7", "A1 tháng 3", "Tổ 1 tháng 7"}
    assert branch.context["totals"]["participants"] == 65
    province = client_for(users["province_officer"]).get(reverse(LIST), ALL_TIME)
    assert len(titles(province)) == 6


def _summed_from_records(unit_path: str, **filters: Any) -> dict[str, int]:
    from django.db.models import Count, Sum

    raw = Activity.objects.filter(unit_path__startswith=unit_path, **filters).aggregate(
        sessions=Count("pk"), women=Sum("participants_women"), men=Sum("participants_men"),
        participants=Sum("participants_total"), views=Sum("online_views"),
        shares=Sum("online_shares"))
    return {k: v or 0 for k, v in raw.items()}


@pytest.mark.parametrize(("params", "filters"), [
    (ALL_TIME, {}),
    ({"start": "01/01/2026", "end": "31/07/2026"},
     {"date__gte": dt.date(2026, 1, 1), "date__lte": dt.date(2026, 7, 31)}),
    ({"start": "01/07/2026", "format": "zalo"},
     {"date__gte": dt.date(2026, 7, 1), "format__code": "zalo"}),
    ({"start": "01/01/2026", "status": "done"},
     {"date__gte": dt.date(2026, 1, 1), "status": "done"}),
    ({"start": "01/01/2026", "status": "planned"},
     {"date__gte": dt.date(2026, 1, 1), "status": "planned"}),
    ({"start": "05/03/2026", "end": "12/07/2026"},     # not whole months: from the records
     {"date__gte": dt.date(2026, 3, 5), "date__lte": dt.date(2026, 7, 12)}),
])
def test_the_list_totals_are_the_sum_of_the_records_read_from_the_roll_ups(
        spread: Any, tree: Any, users: Any, formats: Any, client_for: Any, params: Any,
        filters: Any) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    log_activity(tree.branch_a2, formats["meeting"], title="Sắp tới", date=dt.date(2026, 7, 30),
                 women=7, men=3, status=Activity.Status.PLANNED)
    actions.delete_activity(actor=None, activity=spread["a1_march"])   # a delta taking away
    client = client_for(users["commune_officer"])
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse(LIST), params)
    assert response.status_code == 200
    expected = _summed_from_records(tree.commune_a.path, **filters)
    assert response.context["totals"] == expected
    assert response.context["page"].paginator.count == expected["sessions"]
    summing_records = [q["sql"] for q in queries.captured_queries
                       if "SUM(" in q["sql"].upper() and '"outreach_activity"' in q["sql"]
                       and "'planned'" not in q["sql"]]
    # The done activities are summed from the records only when the period cuts a month.
    assert bool(summing_records) == ("05/03/2026" in params.values()), summing_records


def test_the_menu_link_opens_this_year(tree: Any, users: Any, formats: Any,
                                       client_for: Any) -> None:
    today = timezone.localdate()
    log_activity(tree.branch_a1, formats["meeting"], title="Năm nay", date=today)
    log_activity(tree.branch_a1, formats["meeting"], title="Năm trước",
                 date=today.replace(year=today.year - 1, day=1))
    client = client_for(users["commune_officer"])
    response = client.get(reverse(LIST))
    assert titles(response) == {"Năm nay"}
    start = f"01/01/{today.year}"
    assert response.context["form"]["start"].value() == start
    assert f'value="{start}"' in response.content.decode()
    assert "start=01%2F01%2F" in response.context["export_url"]
    assert titles(client.get(reverse(LIST), ALL_TIME)) == {"Năm nay", "Năm trước"}


@pytest.mark.parametrize(("params", "expected"), [
    ({"start": "01/07/2026", "end": "31/07/2026"},
     {"A1 tháng 7", "Tổ 1 tháng 7", "Zalo A2"}),
    ({"start": "2026-01-01"}, {"A1 tháng 7", "A1 tháng 3", "Tổ 1 tháng 7", "Zalo A2"}),
    ({"end": "31/12/2025"}, {"Ngày pháp luật"}),
    ({"format": ["zalo", "law-day"]}, {"Zalo A2", "Ngày pháp luật"}),
    ({"format": "meeting"}, {"A1 tháng 7", "A1 tháng 3", "Tổ 1 tháng 7"}),
    ({"audience": "youth"}, {"Tổ 1 tháng 7"}),
    ({"status": "planned"}, set()),
], ids=["july", "since-2026", "until-2025", "two-formats", "meetings", "audience", "planned"])
def test_filters(params: dict[str, Any], expected: set[str], spread: Any, users: Any,
                 client_for: Any) -> None:
    response = client_for(users["commune_officer"]).get(reverse(LIST), params)
    assert not response.context["form"].errors
    assert titles(response) == expected
    assert response.context["totals"]["sessions"] == len(expected)


def test_filters_by_topic_campaign_and_unit(spread: Any, tree: Any, users: Any,
                                            client_for: Any) -> None:
    client = client_for(users["commune_officer"])
    by_topic = client.get(reverse(LIST), {"topic": spread["law"].pk})
    assert titles(by_topic) == {"A1 tháng 7", "Tổ 1 tháng 7"}
    by_campaign = client.get(reverse(LIST), {"campaign": spread["campaign"].pk})
    assert titles(by_campaign) == {"A1 tháng 7", "Zalo A2"}
    assert by_campaign.context["totals"]["views"] == 900
    by_unit = client.get(reverse(LIST), {"unit": tree.branch_a1.pk})
    assert titles(by_unit) == {"A1 tháng 7", "A1 tháng 3", "Tổ 1 tháng 7"}
    # a unit below commune level is accepted by id, though not offered in the select
    by_group = client.get(reverse(LIST), {"unit": tree.group_a1.pk})
    assert titles(by_group) == {"Tổ 1 tháng 7"}
    combined = client.get(reverse(LIST), {"unit": tree.branch_a1.pk, "topic": spread["trick"].pk,
                                          "start": "01/07/2026"})
    assert titles(combined) == {"Tổ 1 tháng 7"}


def test_the_unit_select_stops_at_communes_and_stays_in_scope(
        spread: Any, tree: Any, users: Any, client_for: Any) -> None:
    form = client_for(users["province_officer"]).get(reverse(LIST)).context["form"]
    offered = {u.pk for u in form.fields["unit"].queryset}
    assert {tree.province.pk, tree.commune_a.pk, tree.commune_b.pk} <= offered
    assert tree.branch_a1.pk not in offered and tree.other_commune.pk not in offered
    # a branch head is offered her own branch
    form = client_for(users["branch_head"]).get(reverse(LIST)).context["form"]
    assert {u.pk for u in form.fields["unit"].queryset} == {tree.branch_a1.pk}


@pytest.mark.parametrize("value", ["other", "b", "nonsense"])
def test_a_unit_out_of_scope_answers_404(value: str, spread: Any, tree: Any, users: Any,
                                         client_for: Any) -> None:
    unit = {"other": tree.other_commune.pk, "b": tree.commune_b.pk, "nonsense": "x1"}[value]
    response = client_for(users["commune_officer"]).get(reverse(LIST), {"unit": unit})
    assert response.status_code == 404


def test_a_bad_date_is_reported_and_the_other_filters_still_apply(
        spread: Any, users: Any, client_for: Any) -> None:
    response = client_for(users["commune_officer"]).get(
        reverse(LIST), {"start": "31/02/2026", "format": "zalo"})
    assert "start" in response.context["form"].errors
    assert titles(response) == {"Zalo A2"}
    partial = client_for(users["commune_officer"]).get(
        reverse(LIST), {"start": "31/02/2026", "format": "zalo"}, HTTP_HX_REQUEST="true")
    assert 'role="alert"' in partial.content.decode()  # said in the part htmx swaps in


def test_htmx_gets_only_the_results(spread: Any, users: Any, client_for: Any) -> None:
    response = client_for(users["commune_officer"]).get(
        reverse(LIST), {"format": "zalo"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "<html" not in body and "<form" not in body
    assert "Zalo A2" in body and "A1 tháng 3" not in body
    assert 'id="activity-totals"' in body
    assert f'{reverse("outreach:activity_export")}?format=zalo' in body


def test_pagination_keeps_every_filter(tree: Any, users: Any, formats: Any,
                                       client_for: Any) -> None:
    for i in range(53):
        log_activity(tree.branch_a1, formats["meeting"] if i % 2 else formats["law-day"],
                     title=f"Buổi {i:02d}", date=dt.date(2026, 1, 1) + dt.timedelta(days=i))
    log_activity(tree.branch_a1, formats["zalo"], title="Không tính", women=None, men=None)
    client = client_for(users["commune_officer"])
    params = {"format": ["meeting", "law-day"]}
    first = client.get(reverse(LIST), params)
    assert len(first.context["page"].object_list) == 50
    assert first.context["page"].paginator.num_pages == 2
    body = first.content.decode()
    assert "format=meeting&amp;format=law-day&amp;page=2" in body
    second = client.get(reverse(LIST), {**params, "page": 2})
    assert len(second.context["page"].object_list) == 3
    assert "Không tính" not in second.content.decode()
    assert titles(second) == {"Buổi 00", "Buổi 01", "Buổi 02"}  # the oldest come last


def test_list_queries_do_not_grow_with_the_rows(tree: Any, users: Any, formats: Any,
                                                client_for: Any,
                                                django_assert_max_num_queries: Any) -> None:
    def log(n: int, start: int) -> None:
        for i in range(start, start + n):
            log_activity(tree.branch_a1 if i % 2 else tree.group_a1, formats["meeting"],
                         title=f"Buổi {i}", date=dt.date(2026, 1, 1) + dt.timedelta(days=i))

    client = client_for(users["commune_officer"])
    params = {"unit": tree.commune_a.pk, "start": "01/01/2026", "end": "31/12/2026"}
    log(3, 0)
    client.get(reverse(LIST), params)  # warm up the session

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(reverse(LIST), params)
    log(60, 3)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse(LIST), params)
    assert len(response.context["page"].object_list) == 50
    assert response.context["totals"]["sessions"] == 63
    activity_queries = [q["sql"] for q in few.captured_queries
                        if 'FROM "outreach_activity"' in q["sql"]]
    assert len(activity_queries) == 2  # the totals (which also count) and the page rows


def test_a_commune_and_a_year_do_not_walk_the_date_index(tree: Any, users: Any, formats: Any,
                                                         client_for: Any) -> None:
    """SQLite, without histograms, would read every activity of the year through the date
    index; the selector keeps it on the unit-path index (PostgreSQL plans by statistics)."""
    from django.db import connection

    from ctip.outreach.selectors import ActivityFilter, activities_visible_to, filter_activities

    if connection.vendor != "sqlite":
        pytest.skip("a SQLite query-plan check")
    log_activity(tree.branch_a1, formats["meeting"])
    activities = filter_activities(
        activities_visible_to(users["province_officer"]),
        ActivityFilter(start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31),
                       unit=tree.commune_a))
    sql, params = activities.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = " ".join(str(row[-1]) for row in cursor.fetchall())
    assert "unit_path>?" in plan and "date>?" not in plan, plan
    assert activities.count() == 1


def test_the_planned_activities_are_summed_from_their_index_alone(
        tree: Any, users: Any, formats: Any, client_for: Any) -> None:
    """The list's totals read the planned activities from their partial index without
    touching a record, on both databases (on PostgreSQL the count read each record's key: a
    province's 7,400 planned activities cost 7,600 pages; decision 0065). The plan is asked as
    for a large table: PostgreSQL with sequential scans, bitmap scans and sorts priced out."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    for i in range(3):
        log_activity(tree.branch_a1, formats["meeting"], title=f"Sắp tới {i}",
                     date=dt.date(2026, 7, 20 + i), women=7, men=3,
                     status=Activity.Status.PLANNED)
    log_activity(tree.branch_a2, formats["meeting"], date=dt.date(2026, 7, 1))
    client = client_for(users["province_officer"])
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse(LIST), {"unit": tree.province.pk, "start": "01/01/2026",
                                              "end": "31/12/2026"})
    assert response.context["totals"]["sessions"] == 4
    assert response.context["totals"]["women"] == 41
    planned = [q["sql"] for q in queries.captured_queries if "'planned'" in q["sql"]]
    assert len(planned) == 1, planned
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for kind in ("seqscan", "bitmapscan", "sort"):
                cursor.execute(f"SET LOCAL enable_{kind} = off")
            cursor.execute(f"EXPLAIN {planned[0]}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert "Index Only Scan using outreach_act_planned_sums" in plan, plan
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {planned[0]}")
            plan = "\n".join(str(row[-1]) for row in cursor.fetchall())
            assert "COVERING INDEX outreach_act_planned_sums" in plan, plan


def test_an_edit_after_the_commune_moved_keeps_the_old_provinces_campaign(
        tree: Any, users: Any, formats: Any, client_for: Any) -> None:
    """The commune officer no longer sees the campaign of the province her commune left, but
    the edit page still offers it as the activity's own, and saving the page keeps it."""
    from ctip.units.actions import move_subtree

    campaign = actions.create_campaign(actor=None, unit=tree.province, name="Tháng hành động",
                                       starts_on=dt.date(2026, 7, 1),
                                       ends_on=dt.date(2026, 7, 31))
    activity = log_activity(tree.branch_a1, formats["meeting"], date=dt.date(2026, 7, 10),
                            campaign=campaign)
    move_subtree(actor=None, unit=tree.commune_a, new_parent=tree.other_province)
    client = client_for(users["commune_officer"])
    url = reverse("outreach:activity_edit", args=[activity.pk])
    form = read_form(client.get(url))
    assert form.values["campaign"] == [str(campaign.pk)]
    assert client.post(url, as_post(form, notes="bổ sung sau khi chuyển")).status_code == 302
    activity.refresh_from_db()
    assert (activity.campaign_id, activity.notes) == (campaign.pk, "bổ sung sau khi chuyển")
