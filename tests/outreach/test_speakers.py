"""The speakers roster: per unit, with training, active status and the talks each has given."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from ctip.audit.models import AuditEvent
from ctip.outreach import actions
from ctip.outreach.models import Activity, Speaker
from tests.conftest import log_activity


@pytest.fixture
def roster(tree: Any, users: Any) -> dict[str, Speaker]:
    officer = users["province_officer"]
    return {
        "ha": actions.create_speaker(actor=officer, unit=tree.commune_a,
                                     full_name="Võ Thị Thu Hà", kind=Speaker.Kind.REPORTER,
                                     training="Tập huấn báo cáo viên của Hội tỉnh, 2025",
                                     trained_on=dt.date(2025, 5, 12), user=users["speaker"]),
        "lan": actions.create_speaker(actor=officer, unit=tree.branch_a1,
                                      full_name="Nguyễn Thị Lan"),
        "mai": actions.create_speaker(actor=officer, unit=tree.commune_b,
                                      full_name="Trần Thị Mai"),
        "cao": actions.create_speaker(actor=None, unit=tree.other_commune,
                                      full_name="Hoàng Thị Cao"),
    }


def test_roster_lists_speakers_per_unit_with_their_talks(tree: Any, users: Any,
                                                         client_for: Any, formats: Any,
                                                         roster: Any) -> None:
    talk = formats["speaker-talk"]
    log_activity(tree.commune_a, talk, title="Nói chuyện ở trường", speakers=[roster["ha"]])
    log_activity(tree.branch_a1, talk, title="Nói chuyện ở ấp", speakers=[roster["ha"],
                                                                          roster["lan"]])
    log_activity(tree.branch_a1, talk, title="Sắp tới", speakers=[roster["ha"]],
                 status=Activity.Status.PLANNED, date=dt.date(2026, 12, 20))
    client = client_for(users["province_officer"])
    response = client.get(reverse("outreach:speaker_list"))
    counts = {s.full_name: s.talk_count for s in response.context["page"]}
    assert counts == {"Võ Thị Thu Hà": 2, "Nguyễn Thị Lan": 1, "Trần Thị Mai": 0}
    body = response.content.decode()
    assert reverse("outreach:speaker_detail", args=[roster["ha"].pk]) in body
    assert "Hoàng Thị Cao" not in body  # another province

    in_commune = client.get(reverse("outreach:speaker_list"), {"unit": tree.commune_a.pk})
    assert {s.full_name for s in in_commune.context["page"]} == {"Võ Thị Thu Hà",
                                                                 "Nguyễn Thị Lan"}
    actions.update_speaker(actor=users["province_officer"], speaker=roster["lan"], active=False)
    active = client.get(reverse("outreach:speaker_list"), {"active": "1"})
    assert {s.full_name for s in active.context["page"]} == {"Võ Thị Thu Hà", "Trần Thị Mai"}
    inactive = client.get(reverse("outreach:speaker_list"), {"active": "0"})
    assert [s.full_name for s in inactive.context["page"]] == ["Nguyễn Thị Lan"]
    found = client.get(reverse("outreach:speaker_list"), {"q": "thu ha"})
    assert [s.full_name for s in found.context["page"]] == ["Võ Thị Thu Hà"]


def test_speaker_page_shows_training_and_the_talks_given(tree: Any, users: Any,
                                                         client_for: Any, formats: Any,
                                                         roster: Any) -> None:
    talk = formats["speaker-talk"]
    for day in range(1, 24):
        log_activity(tree.commune_a, talk, title=f"Buổi nói chuyện số {day:02d}",
                     date=dt.date(2026, 7, day), speakers=[roster["ha"]])
    log_activity(tree.commune_a, talk, title="Buổi của người khác", speakers=[roster["lan"]])
    client = client_for(users["commune_officer"])
    url = reverse("outreach:speaker_detail", args=[roster["ha"].pk])
    response = client.get(url)
    body = response.content.decode()
    assert "Võ Thị Thu Hà" in body and "Tập huấn báo cáo viên của Hội tỉnh, 2025" in body
    assert "12/05/2025" in body
    assert response.context["page"].paginator.count == 23
    assert "Buổi nói chuyện số 23" in body and "Buổi nói chuyện số 03" not in body
    assert "Buổi của người khác" not in body
    newest = Activity.objects.get(title="Buổi nói chuyện số 23")
    assert reverse("outreach:activity_detail", args=[newest.pk]) in body
    assert reverse("outreach:speaker_edit", args=[roster["ha"].pk]) in body
    second = client.get(url, {"page": 2}).content.decode()
    assert "Buổi nói chuyện số 03" in second and "Buổi nói chuyện số 23" not in second


def test_speaker_of_another_commune_is_not_found(tree: Any, users: Any, client_for: Any,
                                                 roster: Any) -> None:
    client = client_for(users["commune_officer"])
    assert client.get(reverse("outreach:speaker_detail",
                              args=[roster["mai"].pk])).status_code == 404
    assert client.get(reverse("outreach:speaker_edit",
                              args=[roster["mai"].pk])).status_code == 404
    assert client.get(reverse("outreach:speaker_detail",
                              args=[roster["cao"].pk])).status_code == 404
    # the branch head sees her branch's speaker, not the commune's
    branch = client_for(users["branch_head"])
    assert branch.get(reverse("outreach:speaker_detail",
                              args=[roster["lan"].pk])).status_code == 200
    assert branch.get(reverse("outreach:speaker_detail",
                              args=[roster["ha"].pk])).status_code == 404
    # a speaker reads the roster but cannot edit it
    speaker = client_for(users["speaker"])
    page = speaker.get(reverse("outreach:speaker_detail", args=[roster["ha"].pk]))
    assert page.status_code == 200
    assert reverse("outreach:speaker_edit", args=[roster["ha"].pk]) not in \
        page.content.decode()
    assert speaker.get(reverse("outreach:speaker_edit",
                               args=[roster["ha"].pk])).status_code == 404


def test_create_and_edit_a_speaker(tree: Any, users: Any, client_for: Any) -> None:
    client = client_for(users["commune_officer"])
    form = client.get(reverse("outreach:speaker_create")).content.decode()
    assert "Chi hội ấp Mỹ Lộc" in form and "Phường Tân An" not in form
    response = client.post(reverse("outreach:speaker_create"), {
        "unit": tree.branch_a2.pk, "full_name": "  Lê   Thị Hồng ",
        "kind": Speaker.Kind.COMMUNICATOR, "phone": "0912 345 678",
        "training": "Lớp tuyên truyền viên 2026", "trained_on": "03/03/2026"})
    speaker = Speaker.objects.get()
    assert response["Location"] == reverse("outreach:speaker_detail", args=[speaker.pk])
    assert speaker.full_name == "Lê Thị Hồng" and speaker.unit == tree.branch_a2
    assert speaker.name_folded == "le thi hong" and speaker.active
    assert AuditEvent.objects.filter(action="speaker.created").exists()

    url = reverse("outreach:speaker_edit", args=[speaker.pk])
    assert "Lớp tuyên truyền viên 2026" in client.get(url).content.decode()
    client.post(url, {"full_name": "Lê Thị Hồng", "kind": Speaker.Kind.REPORTER,
                      "phone": "", "training": "Lớp báo cáo viên 2026",
                      "trained_on": "10/10/2026"})  # "active" unticked
    speaker.refresh_from_db()
    assert speaker.kind == Speaker.Kind.REPORTER and not speaker.active
    assert speaker.trained_on == dt.date(2026, 10, 10)
    assert AuditEvent.objects.filter(action="speaker.updated",
                                     target_id=str(speaker.pk)).exists()
    # a speaker in another commune cannot be created from here
    refused = client.post(reverse("outreach:speaker_create"), {
        "unit": tree.commune_b.pk, "full_name": "Người ngoài",
        "kind": Speaker.Kind.COMMUNICATOR})
    assert refused.status_code == 200 and refused.context["form"].errors["unit"]
    assert Speaker.objects.count() == 1


def test_a_speaker_moves_to_another_unit_of_the_editor_s(tree: Any, users: Any,
                                                          client_for: Any, roster: Any) -> None:
    """Decision 0069: the edit form moves a speaker to another unit the editor manages; a
    unit outside her scope is refused (not found, nothing changed), in the action too."""
    from ctip.accounts.policy import NotInScope

    client = client_for(users["commune_officer"])
    lan = roster["lan"]
    edit = reverse("outreach:speaker_edit", args=[lan.pk])
    form = {"unit": tree.commune_a.pk, "full_name": lan.full_name, "kind": lan.kind,
            "active": "on"}
    assert client.post(edit, form).status_code == 302
    lan.refresh_from_db()
    assert (lan.unit, lan.unit_path) == (tree.commune_a, tree.commune_a.path)
    moved = AuditEvent.objects.get(action="speaker.moved")
    assert moved.unit_path == tree.branch_a1.path
    # the branch head no longer sees her; the commune's list does, at the commune
    assert client_for(users["branch_head"]).get(
        reverse("outreach:speaker_detail", args=[lan.pk])).status_code == 404
    # a unit the editor does not manage is not among the choices, nor taken by the action
    page = client.post(edit, form | {"unit": tree.commune_b.pk})
    assert page.status_code == 200 and page.context["form"].errors["unit"]
    with pytest.raises(NotInScope):
        actions.update_speaker(actor=users["commune_officer"], speaker=lan,
                               unit=tree.other_commune)
    lan.refresh_from_db()
    assert lan.unit == tree.commune_a


def test_a_speaker_s_move_keeps_locked_counts(tree: Any, users: Any, formats: Any,
                                              roster: Any) -> None:
    """Her talks are counted at her unit: a move that would change an approved period's
    count of active speakers is refused."""
    from ctip.core.errors import ActionError
    from ctip.reports import actions as reports
    from ctip.reports.models import ReportType

    log_activity(tree.branch_a1, formats["speaker-talk"], speakers=[roster["lan"]],
                 date=dt.date(2026, 3, 10))
    report = reports.create_or_get_draft(
        actor=users["commune_officer"], unit=tree.commune_a,
        report_type=ReportType.objects.get(code="monthly"), start=dt.date(2026, 3, 1),
        end=dt.date(2026, 3, 31))
    reports.approve(actor=users["province_officer"],
                    report=reports.submit(actor=users["commune_officer"], report=report))
    with pytest.raises(ActionError) as refused:
        actions.update_speaker(actor=users["province_officer"], speaker=roster["lan"],
                               unit=tree.commune_b)
    assert refused.value.field == "unit"
    assert Speaker.objects.get(pk=roster["lan"].pk).unit == tree.branch_a1
