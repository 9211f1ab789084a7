"""Club member lists imported through the pipeline's own page (``community.member_import``):
every row through ``add_member``, the same file twice adds nothing, nothing kept on an error."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from ctip.audit.models import AuditEvent
from ctip.community.models import ClubMember
from ctip.core.models import ImportJob
from tests.community.test_clubs import new_club
from tests.core.test_legacy_import import _xlsx

HEADER = ["Đơn vị", "Tên CLB", "Họ và tên", "Vai trò", "Ngày tham gia"]


def test_members_are_imported_once_through_the_page(tree: Any, users: Any,
                                                    client_for: Any) -> None:
    club = new_club(tree.branch_a1)
    client = client_for(users["commune_officer"])
    url = reverse("community:member_import")
    unit = f"{tree.commune_a.name} / {tree.branch_a1.name}"
    rows = [HEADER, [unit, "clb gia dinh hanh phuc", "Nguyễn Thị Lan", "Chủ nhiệm", "08/03/2024"],
            [unit, "CLB Gia đình hạnh phúc", "Trần Thị Mai", "", ""]]
    page = client.post(url, {"file": _xlsx(rows)})
    assert page.status_code == 200 and page.context["plan"].ok, page.context["plan"].errors
    assert not ClubMember.objects.exists()  # the preview keeps nothing
    done = client.post(url, {"token": page.context["token"], "apply": "1"})
    assert done.status_code == 302
    assert sorted(club.members.values_list("full_name", flat=True)) == [
        "Nguyễn Thị Lan", "Trần Thị Mai"]
    assert ImportJob.objects.get().status == ImportJob.Status.DONE
    [event] = AuditEvent.objects.filter(action="club.members_imported")
    assert event.changes["added"] == 2 and "Lan" not in str(event.changes)  # no names

    again = client.post(url, {"file": _xlsx(rows)})
    plan = again.context["plan"]
    assert plan.ok and (plan.to_import, plan.duplicates) == (0, 2)


def test_a_bad_row_keeps_the_whole_file_out(tree: Any, users: Any, client_for: Any) -> None:
    new_club(tree.branch_a1)
    client = client_for(users["commune_officer"])
    url = reverse("community:member_import")
    unit = tree.branch_a1.name
    rows = [HEADER, [unit, "CLB Gia đình hạnh phúc", "Nguyễn Thị Lan", "", ""],
            [unit, "CLB không có", "Trần Thị Mai", "", ""],
            [unit, "CLB Gia đình hạnh phúc", "Lê Thị Hoa", "", "31/02/2024"]]
    page = client.post(url, {"file": _xlsx(rows)})
    plan = page.context["plan"]
    assert plan.error_rows == [3, 4] and not page.context["token"]
    body = page.content.decode()
    assert "CLB không có" in body and "31/02/2024" in body
    assert not ClubMember.objects.exists()


def test_the_page_needs_the_capability(tree: Any, users: Any, client_for: Any) -> None:
    assert client_for(users["viewer"]).get(
        reverse("community:member_import")).status_code == 404
    response = client_for(users["commune_officer"]).get(
        reverse("community:member_import"))
    assert response.status_code == 200 and 'name="file"' in response.content.decode()
    clubs = client_for(users["commune_officer"]).get(reverse("community:club_list"))
    assert reverse("community:member_import") in clubs.content.decode()
