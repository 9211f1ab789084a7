"""The rules every activity obeys, whoever records it and however (form, import, API)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from ctip.accounts.policy import NotInScope
from ctip.audit.models import AuditEvent
from ctip.core.errors import ActionError
from ctip.org.models import Unit
from ctip.outreach import actions
from ctip.outreach.models import Activity
from tests.conftest import log_activity


def test_activity_goes_with_its_unit_and_keeps_who_recorded_it(tree: Any, users: Any,
                                                               formats: Any) -> None:
    from ctip.units.actions import move_subtree

    activity = log_activity(tree.branch_a1, formats["meeting"],
                            actor=users["commune_officer"])
    assert activity.unit_path == tree.branch_a1.path
    assert activity.participants_total == 25
    move_subtree(actor=users["province_officer"], unit=tree.branch_a1,
                 new_parent=tree.commune_b)
    activity.refresh_from_db()
    # its branch's officers reach it from the branch's path now (decision 0100)
    assert activity.unit_path == Unit.objects.get(pk=tree.branch_a1.pk).path
    assert activity.unit_path.startswith(tree.commune_b.path)
    event = AuditEvent.objects.get(action="activity.created", target_id=str(activity.pk))
    assert event.actor == users["commune_officer"]


def test_a_done_activity_cannot_be_in_the_future(tree: Any, formats: Any) -> None:
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    with pytest.raises(ActionError) as err:
        log_activity(tree.branch_a1, formats["meeting"], date=tomorrow)
    assert tomorrow.strftime("%d/%m/%Y") in err.value.message
    planned = log_activity(tree.branch_a1, formats["meeting"], date=tomorrow,
                           status=Activity.Status.PLANNED)
    assert planned.status == "planned"


@pytest.mark.parametrize(("women", "men", "total"), [(-1, 5, None), (3, -2, None),
                                                     (None, None, -10)])
def test_negative_numbers_are_refused(tree: Any, formats: Any, women: Any, men: Any,
                                      total: Any) -> None:
    with pytest.raises(ActionError):
        log_activity(tree.branch_a1, formats["meeting"], women=women, men=men,
                     participants_total=total)
    assert not Activity.objects.exists()


def test_an_absurd_crowd_at_a_branch_meeting_is_refused(tree: Any, formats: Any) -> None:
    with pytest.raises(ActionError) as err:
        log_activity(tree.branch_a1, formats["meeting"], women=None, men=None,
                     participants_total=100_000)
    assert "100000" in err.value.message.replace(".", "").replace(",", "")
    # a loudspeaker broadcast is not a gathering: no participant cap applies
    log_activity(tree.commune_a, formats["loudspeaker"], women=None, men=None,
                 participants_total=12_000)


def test_total_must_be_women_plus_men(tree: Any, formats: Any) -> None:
    with pytest.raises(ActionError) as err:
        log_activity(tree.branch_a1, formats["meeting"], women=20, men=5,
                     participants_total=30)
    assert "30" in err.value.message and "25" in err.value.message
    computed = log_activity(tree.branch_a1, formats["meeting"], women=20, men=5)
    assert computed.participants_total == 25


def test_the_same_activity_twice_is_refused(tree: Any, formats: Any) -> None:
    log_activity(tree.branch_a1, formats["meeting"], title="Sinh hoạt chi hội tháng 7")
    with pytest.raises(ActionError):
        log_activity(tree.branch_a1, formats["meeting"], title="sinh hoat chi hoi thang 7")
    assert Activity.objects.count() == 1


def test_branch_head_logs_only_for_her_branch(tree: Any, users: Any, formats: Any) -> None:
    log_activity(tree.group_a1, formats["meeting"], actor=users["branch_head"])
    with pytest.raises(NotInScope):
        log_activity(tree.branch_a2, formats["meeting"], actor=users["branch_head"])


def test_speaker_logs_only_her_own_talks(tree: Any, users: Any, formats: Any) -> None:
    speaker_user = users["speaker"]
    me = actions.create_speaker(actor=users["commune_officer"], unit=tree.commune_a,
                                full_name="Võ Thị Thu Hà", user=speaker_user)
    other = actions.create_speaker(actor=users["commune_officer"], unit=tree.commune_a,
                                   full_name="Người khác")
    talk = log_activity(tree.commune_a, formats["speaker-talk"], actor=speaker_user,
                        speakers=[me])
    with pytest.raises(ActionError):
        log_activity(tree.commune_a, formats["speaker-talk"], actor=speaker_user,
                     speakers=[other], title="Buổi nói chuyện khác")
    with pytest.raises(NotInScope):
        log_activity(tree.commune_b, formats["speaker-talk"], actor=speaker_user,
                     speakers=[me], title="Ở xã khác")
    officer_log = log_activity(tree.commune_a, formats["meeting"],
                               actor=users["commune_officer"], title="Của cán bộ xã")
    with pytest.raises(ActionError):
        actions.update_activity(actor=speaker_user, activity=officer_log, title="Sửa")
    actions.update_activity(actor=speaker_user, activity=talk, notes="Thêm ghi chú")


@pytest.mark.parametrize(("name", "content", "ok"), [
    ("bien-ban.pdf", b"%PDF-1.4 minimal", True),
    ("anh.jpg", b"\xff\xd8\xff\xe0" + b"0" * 20, True),
    ("loa.mp3", b"ID3" + b"0" * 20, True),
    ("virus.pdf", b"MZ\x90\x00 this is a program", False),
    ("script.html", b"<script>alert(1)</script>", False),
    ("trong.pdf", b"", False),
])
def test_attachments_are_checked_by_content(tree: Any, users: Any, formats: Any, name: str,
                                            content: bytes, ok: bool) -> None:
    activity = log_activity(tree.branch_a1, formats["meeting"])
    upload = SimpleUploadedFile(name, content)
    if ok:
        attachment = actions.add_attachment(actor=users["commune_officer"],
                                            activity=activity, upload=upload)
        assert attachment.size == len(content)
    else:
        with pytest.raises(ActionError):
            actions.add_attachment(actor=users["commune_officer"], activity=activity,
                                   upload=upload)
        assert not activity.attachments.exists()


def test_attachment_over_20_mb_is_refused(tree: Any, users: Any, formats: Any) -> None:
    activity = log_activity(tree.branch_a1, formats["meeting"])
    big = SimpleUploadedFile("anh.png", b"\x89PNG\r\n\x1a\n" + b"0" * (20 * 1024 * 1024))
    with pytest.raises(ActionError) as err:
        actions.add_attachment(actor=users["commune_officer"], activity=activity, upload=big)
    assert "20" in err.value.message


def test_in_use_catalogue_entries_are_archived_not_deleted(tree: Any, users: Any,
                                                           formats: Any) -> None:
    officer = users["province_officer"]
    topic = actions.create_topic(actor=officer, name="Việc nhẹ lương cao", kind="trick")
    campaign = actions.create_campaign(actor=officer, unit=tree.province,
                                       name="Tháng hành động 30/7", starts_on=dt.date(2026, 7, 1),
                                       ends_on=dt.date(2026, 7, 31))
    log_activity(tree.branch_a1, formats["meeting"], campaign=campaign, topics=[topic])
    for obj in (topic, campaign, formats["meeting"]):
        with pytest.raises(ActionError):
            actions.delete_or_refuse(actor=officer, obj=obj)
        actions.set_archived(actor=officer, obj=obj)
        obj.refresh_from_db()
        assert obj.archived
    with pytest.raises(ActionError):
        log_activity(tree.branch_a1, formats["meeting"], title="Sau khi lưu trữ")
    unused = actions.create_topic(actor=officer, name="Chủ đề chưa dùng")
    actions.delete_or_refuse(actor=officer, obj=unused)


def test_campaign_period_and_participation(tree: Any, users: Any, formats: Any) -> None:
    officer = users["province_officer"]
    with pytest.raises(ActionError):
        actions.create_campaign(actor=officer, unit=tree.province, name="Sai",
                                starts_on=dt.date(2026, 7, 31), ends_on=dt.date(2026, 7, 1))
    commune_plan = actions.create_campaign(actor=users["commune_officer"], unit=tree.commune_a,
                                           name="Kế hoạch xã", starts_on=dt.date(2026, 7, 1),
                                           ends_on=dt.date(2026, 7, 31))
    with pytest.raises(ActionError):
        log_activity(tree.branch_b1, formats["meeting"], campaign=commune_plan)
