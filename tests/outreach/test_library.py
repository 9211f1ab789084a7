"""The topic and material library, its downloads, the coverage table, and the movements
catalogue."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ctip.audit.models import AuditEvent
from ctip.catalogues.models import Movement, Topic
from ctip.outreach import actions
from ctip.outreach.models import Activity, Material
from ctip.units.actions import create_unit
from tests.conftest import log_activity, unit_type

PDF = b"%PDF-1.4 " + b"x" * 3000
MP3 = b"ID3" + b"\x00" * 2045


@pytest.fixture
def topics(users: Any) -> dict[str, Topic]:
    officer = users["province_officer"]
    return {
        "law": actions.create_topic(actor=officer, kind=Topic.Kind.LAW,
                                    name="Luật Phòng, chống mua bán người 53/2024/QH15"),
        "trick": actions.create_topic(actor=officer, kind=Topic.Kind.TRICK,
                                      name="Việc nhẹ lương cao",
                                      description="Lời mời làm việc trên mạng xã hội."),
        "hotline": actions.create_topic(actor=officer, kind=Topic.Kind.HOTLINE,
                                        name="Tổng đài 111"),
    }


# --- Topics --------------------------------------------------------------------------------------

def test_search_finds_topics_without_accents(tree: Any, users: Any, client_for: Any,
                                             topics: Any) -> None:
    client = client_for(users["speaker"])
    url = reverse("outreach:topic_list")
    for query in ("viec nhe luong cao", "VIỆC NHẸ", "luong cao"):
        response = client.get(url, {"q": query})
        assert [t.name for t in response.context["page"]] == ["Việc nhẹ lương cao"], query
    body = client.get(url, {"q": "viec nhe luong cao"}).content.decode()
    assert "Việc nhẹ lương cao" in body and "Tổng đài 111" not in body
    assert reverse("outreach:topic_detail", args=[topics["trick"].pk]) in body
    by_kind = client.get(url, {"kind": Topic.Kind.LAW}).context["page"]
    assert [t.name for t in by_kind] == ["Luật Phòng, chống mua bán người 53/2024/QH15"]
    everything = client.get(url).content.decode()
    assert all(t.name in everything for t in topics.values())
    # htmx search answers with the results only
    partial = client.get(url, {"q": "111"}, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and "Tổng đài 111" in partial


def test_topics_are_added_by_those_who_keep_the_library(tree: Any, users: Any,
                                                        client_for: Any) -> None:
    client = client_for(users["province_officer"])
    response = client.post(reverse("outreach:topic_create"), {
        "name": "Di cư an toàn", "kind": Topic.Kind.MIGRATION, "description": ""})
    topic = Topic.objects.get(name="Di cư an toàn")
    assert response["Location"] == reverse("outreach:topic_detail", args=[topic.pk])
    assert topic.name_folded == "di cu an toan"
    again = client.post(reverse("outreach:topic_create"), {
        "name": "di cu an toan", "kind": Topic.Kind.MIGRATION})
    assert again.status_code == 200 and Topic.objects.count() == 1
    assert "di cu an toan" in again.content.decode()
    # a commune officer uses the library but does not keep it
    commune = client_for(users["commune_officer"])
    assert commune.get(reverse("outreach:topic_create")).status_code == 404
    assert commune.get(reverse("outreach:topic_list")).status_code == 200
    detail = commune.get(reverse("outreach:topic_detail", args=[topic.pk])).content.decode()
    assert reverse("outreach:material_create", args=[topic.pk]) not in detail


# --- Materials -----------------------------------------------------------------------------------

def test_upload_materials_and_download_them(tree: Any, users: Any, client_for: Any,
                                            topics: Any) -> None:
    topic = topics["trick"]
    client = client_for(users["province_officer"])
    url = reverse("outreach:material_create", args=[topic.pk])
    for title, name, content in [("Tờ gấp cảnh giác việc nhẹ lương cao", "to-gap.pdf", PDF),
                                 ("Bài phát thanh trên loa", "loa.mp3", MP3)]:
        response = client.post(url, {"title": title,
                                     "file": SimpleUploadedFile(name, content)})
        assert response.status_code == 302, response.content.decode()[:2000]
    leaflet = Material.objects.get(kind="document")
    audio = Material.objects.get(kind="audio")
    assert leaflet.size == len(PDF) and audio.size == len(MP3)
    assert AuditEvent.objects.filter(action="material.added").count() == 2

    speaker = client_for(users["speaker"])
    page = speaker.get(reverse("outreach:topic_detail", args=[topic.pk])).content.decode()
    assert "Tờ gấp cảnh giác việc nhẹ lương cao" in page
    assert "2,9 KB" in page or "2.9 KB" in page or "2,9\xa0KB" in page or "2.9\xa0KB" in page
    audio_url = reverse("outreach:material_download", args=[audio.pk])
    assert f'<audio controls preload="none" src="{audio_url}"' in page
    assert page.count("<audio") == 1  # only the recording gets a player

    download = speaker.get(reverse("outreach:material_download", args=[leaflet.pk]))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content) == PDF


def test_download_is_refused_to_those_who_cannot_see_the_library(
        tree: Any, users: Any, client_for: Any, topics: Any) -> None:
    material = actions.add_material(actor=users["province_officer"], topic=topics["law"],
                                    title="Toàn văn Luật",
                                    upload=SimpleUploadedFile("luat.pdf", PDF))
    url = reverse("outreach:material_download", args=[material.pk])
    for role in ("editor", "case_worker", "auditor"):
        assert client_for(users[role]).get(url).status_code == 404, role
    assert client_for(users["branch_head"]).get(url).status_code == 200
    assert client_for(users["other_officer"]).get(url).status_code == 200  # shared library
    assert client_for(users["editor"]).get(
        reverse("outreach:topic_detail", args=[topics["law"].pk])).status_code == 404


@pytest.mark.parametrize(("name", "content", "reason"), [
    ("to-gap.pdf", b"MZ\x90\x00 this is a program", "mismatch"),
    ("trang.html", b"<script>alert(1)</script>", "type"),
    ("anh.png", b"\x89PNG\r\n\x1a\n" + b"0" * (20 * 1024 * 1024), "size"),
])
def test_bad_material_uploads_are_refused(tree: Any, users: Any, client_for: Any,
                                          topics: Any, name: str, content: bytes,
                                          reason: str) -> None:
    client = client_for(users["province_officer"])
    response = client.post(reverse("outreach:material_create", args=[topics["trick"].pk]),
                           {"title": "Tài liệu", "file": SimpleUploadedFile(name, content)})
    assert response.status_code == 200
    errors = response.context["form"].errors["file"]
    assert name in errors[0]
    if reason == "size":
        assert "20" in errors[0]
    assert 'id="id_file_error"' in response.content.decode()
    assert not Material.objects.exists()


def test_archived_materials_are_kept_from_speakers(tree: Any, users: Any, client_for: Any,
                                                   topics: Any) -> None:
    officer = users["province_officer"]
    material = actions.add_material(actor=officer, topic=topics["hotline"],
                                    title="Áp phích 1800 1567 (cũ)",
                                    upload=SimpleUploadedFile("cu.pdf", PDF))
    client = client_for(officer)
    client.post(reverse("outreach:material_archive", args=[material.pk]), {"archived": "1"})
    material.refresh_from_db()
    assert material.archived
    speaker = client_for(users["speaker"])
    page = speaker.get(reverse("outreach:topic_detail", args=[topics["hotline"].pk]))
    assert "Áp phích 1800 1567" not in page.content.decode()
    url = reverse("outreach:material_download", args=[material.pk])
    assert speaker.get(url).status_code == 404
    assert client.get(url).status_code == 200


def test_deleting_a_topic_in_use_is_refused_and_it_can_be_archived(
        tree: Any, users: Any, client_for: Any, formats: Any, topics: Any) -> None:
    log_activity(tree.branch_a1, formats["meeting"], topics=[topics["trick"]])
    client = client_for(users["province_officer"])
    url = reverse("outreach:topic_delete", args=[topics["trick"].pk])
    response = client.post(url)
    body = response.content.decode()
    assert response.status_code == 200 and 'role="alert"' in body
    assert "Việc nhẹ lương cao" in body
    archive_url = reverse("outreach:topic_archive", args=[topics["trick"].pk])
    assert f'action="{archive_url}"' in body
    assert Topic.objects.filter(pk=topics["trick"].pk).exists()
    client.post(archive_url, {"archived": "1"})
    topics["trick"].refresh_from_db()
    assert topics["trick"].archived
    listing = client.get(reverse("outreach:topic_list"))
    assert "Việc nhẹ lương cao" not in [t.name for t in listing.context["page"]]
    archived = client.get(reverse("outreach:topic_list"), {"archived": "1"})
    assert [t.name for t in archived.context["page"]] == ["Việc nhẹ lương cao"]
    # an unused topic goes
    response = client.post(reverse("outreach:topic_delete", args=[topics["hotline"].pk]))
    assert response["Location"] == reverse("outreach:topic_list")
    assert not Topic.objects.filter(name="Tổng đài 111").exists()


# --- Coverage ------------------------------------------------------------------------------------

@pytest.fixture
def covered(tree: Any, formats: Any, topics: Any) -> None:
    """July 2026: the trick reached Đức Hòa three times (twice at Mỹ Lộc, once at the commune
    itself, with the law) and Tân An once; the hotline nowhere."""
    meeting, talk = formats["meeting"], formats["thematic-talk"]
    law, trick = topics["law"], topics["trick"]
    log_activity(tree.branch_a1, meeting, title="Sinh hoạt 1", topics=[trick])
    log_activity(tree.group_a1, meeting, title="Sinh hoạt tổ", topics=[trick],
                 date=dt.date(2026, 7, 20))
    log_activity(tree.commune_a, talk, title="Nói chuyện", topics=[trick, law])
    log_activity(tree.branch_b1, meeting, title="Sinh hoạt khu phố", topics=[trick])
    # outside the period, planned, or in another province: not counted
    log_activity(tree.branch_b1, meeting, title="Tháng 8", topics=[law],
                 date=dt.date(2026, 8, 2))
    log_activity(tree.branch_b1, meeting, title="Dự kiến", topics=[law],
                 status=Activity.Status.PLANNED)
    log_activity(tree.other_commune, meeting, title="Cao Bằng", topics=[law])


JULY = {"start": "01/07/2026", "end": "31/07/2026"}


def test_coverage_counts_topics_per_commune(tree: Any, users: Any, client_for: Any,
                                            topics: Any, covered: None) -> None:
    client = client_for(users["province_officer"])
    response = client.get(reverse("outreach:coverage"), {**JULY, "unit": tree.province.pk})
    table = response.context["table"]
    assert not table["transposed"]
    assert [u["name"] for u in table["units"]] == ["Phường Tân An", "Xã Đức Hòa"]
    rows = {r["topic"].name: (r["cells"], r["total"]) for r in table["rows"]}
    assert rows["Việc nhẹ lương cao"] == ([1, 3], 4)
    assert rows["Luật Phòng, chống mua bán người 53/2024/QH15"] == ([0, 1], 1)
    assert rows["Tổng đài 111"] == ([0, 0], 0)
    body = response.content.decode()
    assert '<div class="table-scroll"' in body and "<caption" in body
    assert '<th scope="col"' in body and '<th scope="row">' in body
    assert "01/07/2026" in body
    drill = client.get(reverse("outreach:coverage"), {**JULY, "unit": tree.commune_a.pk})
    table = drill.context["table"]
    assert [u["name"] for u in table["units"]][:2] == ["Chi hội ấp Mỹ Lộc", "Chi hội ấp Rạch Sen"]
    assert table["units"][2]["unit"] is None  # the commune's own work
    rows = {r["topic"].name: r["cells"] for r in table["rows"]}
    assert rows["Việc nhẹ lương cao"] == [2, 0, 1]
    # each commune heading links one level down, with the same period
    assert f"unit={tree.commune_a.pk}" in body


def test_coverage_stays_in_scope(tree: Any, users: Any, client_for: Any, topics: Any,
                                 covered: None) -> None:
    client = client_for(users["commune_officer"])
    default = client.get(reverse("outreach:coverage"), JULY)
    assert default.context["table"]["coverage"].unit == tree.commune_a
    assert client.get(reverse("outreach:coverage"),
                      {**JULY, "unit": tree.province.pk}).status_code == 404
    assert client.get(reverse("outreach:coverage"),
                      {**JULY, "unit": tree.other_province.pk}).status_code == 404
    other = client_for(users["other_officer"]).get(reverse("outreach:coverage"), JULY)
    rows = {r["topic"].name: r["total"] for r in other.context["table"]["rows"]}
    assert rows["Luật Phòng, chống mua bán người 53/2024/QH15"] == 1
    assert rows["Việc nhẹ lương cao"] == 0


def test_coverage_turns_when_there_are_many_communes(tree: Any, users: Any, client_for: Any,
                                                     formats: Any, topics: Any,
                                                     django_assert_max_num_queries: Any) -> None:
    client = client_for(users["province_officer"])
    url = reverse("outreach:coverage")
    params = {**JULY, "unit": tree.province.pk}
    client.get(url, params)
    with django_assert_max_num_queries(20) as captured:
        client.get(url, params)
    baseline = len(captured)
    for i in range(12):
        commune = create_unit(actor=None, parent=tree.province, name=f"Xã mới {i:02d}",
                              unit_type=unit_type("commune"))
        log_activity(commune, formats["meeting"], topics=[topics["hotline"]])
    # new units change the tree's version: the next request reads the officer's grants
    # afresh once (decision 0060); the page's own queries are what must not grow
    client.get(url, params)
    with django_assert_max_num_queries(baseline):
        response = client.get(url, params)
    table = response.context["table"]
    assert table["transposed"]
    assert len(table["rows"]) == 14 and len(table["topics"]) == 3
    hotline = [t.name for t in table["topics"]].index("Tổng đài 111")
    new_rows = [r for r in table["rows"] if r["unit"]["name"].startswith("Xã mới")]
    assert all(r["cells"][hotline] == 1 for r in new_rows)
    assert table["totals"][hotline] == 12


def test_period_end_before_start_is_refused(tree: Any, users: Any, client_for: Any) -> None:
    response = client_for(users["province_officer"]).get(
        reverse("outreach:coverage"), {"start": "31/07/2026", "end": "01/07/2026"})
    assert response.status_code == 200
    assert response.context["table"] is None
    assert response.context["form"].errors["end"]


# --- Movements -----------------------------------------------------------------------------------

def test_movements_catalogue(tree: Any, users: Any, client_for: Any, formats: Any) -> None:
    client = client_for(users["province_officer"])
    response = client.post(reverse("outreach:movement_create"), {
        "name": "Xây dựng gia đình 5 không, 3 sạch", "kind": Movement.Kind.CAMPAIGN,
        "description": ""})
    assert response["Location"] == reverse("outreach:movement_list")
    movement = Movement.objects.get()
    log_activity(tree.branch_a1, formats["meeting"], movement=movement)
    log_activity(tree.other_commune, formats["meeting"], movement=movement)
    listing = client_for(users["commune_officer"]).get(reverse("outreach:movement_list"))
    body = listing.content.decode()
    assert "Xây dựng gia đình 5 không, 3 sạch" in body
    assert listing.context["movements"][0].activity_count == 1  # only her commune's
    assert reverse("outreach:movement_create") not in body
    assert client_for(users["commune_officer"]).get(
        reverse("outreach:movement_create")).status_code == 404

    refused = client.post(reverse("outreach:movement_delete", args=[movement.pk]))
    assert refused.status_code == 200 and 'role="alert"' in refused.content.decode()
    client.post(reverse("outreach:movement_archive", args=[movement.pk]), {"archived": "1"})
    movement.refresh_from_db()
    assert movement.archived
    assert client.get(reverse("outreach:movement_list")).context["movements"] == []
    archived = client.get(reverse("outreach:movement_list"), {"archived": "1"})
    assert [m.name for m in archived.context["movements"]] == [movement.name]
    unused = actions.create_movement(actor=users["province_officer"], name="Phong trào thử")
    client.post(reverse("outreach:movement_delete", args=[unused.pk]))
    assert not Movement.objects.filter(pk=unused.pk).exists()
