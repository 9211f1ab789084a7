"""Units, catalogues, campaigns, situations, indicators and reports through the API; the
schema and its documentation page."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.test import Client
from django.utils import timezone

from ctip.cases.models import Situation
from tests.conftest import loaded_from_elsewhere, log_activity


def test_units_are_the_callers_subtree(tree: Any, users: Any, api_for: Any) -> None:
    units = api_for(users["commune_officer"]).get("/api/v1/units").json()
    ids = {u["id"] for u in units}
    assert tree.commune_a.pk in ids and tree.group_a1.pk in ids
    assert tree.commune_b.pk not in ids and tree.province.pk not in ids
    below = api_for(users["province_officer"]).get(
        "/api/v1/units", {"under": tree.branch_a1.pk}).json()
    assert {u["id"] for u in below} == {tree.branch_a1.pk, tree.group_a1.pk}
    assert api_for(users["commune_officer"]).get(
        f"/api/v1/units/{tree.commune_b.pk}").status_code == 404


def test_catalogues_for_offline_forms(users: Any, formats: Any, api_for: Any) -> None:
    answer = api_for(users["branch_head"]).get("/api/v1/catalogues").json()
    assert {f["code"] for f in answer["formats"]} >= set(formats)
    assert answer["situation_categories"] and answer["urgencies"]


def test_a_situation_is_reported_once_and_read_without_identity(tree: Any, users: Any,
                                                                api_for: Any) -> None:
    api = api_for(users["branch_head"])
    body = {"uuid": str(uuid.uuid4()), "unit_id": tree.branch_a1.pk, "category": "recruitment",
            "description": "Người lạ hứa việc làm lương cao ở nước ngoài.",
            "reporter_contact": "0912 345 678"}
    first = api.post("/api/v1/situations", body)
    assert first.status_code == 201, first.content
    assert api.post("/api/v1/situations", body).status_code == 200
    assert Situation.objects.count() == 1
    read = api.get(f"/api/v1/situations/{first.json()['id']}").json()
    assert read["state"] and read["code"]
    assert "description" not in read and "0912" not in str(read)
    outside = api_for(users["other_officer"])
    assert outside.get(f"/api/v1/situations/{read['id']}").status_code == 404
    refused = api.post("/api/v1/situations", body | {"uuid": str(uuid.uuid4()),
                                                     "unit_id": tree.commune_b.pk})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "unit_id"


def test_a_situation_sent_from_the_device_keeps_who_reported_it_and_the_pages_reasons(
        tree: Any, users: Any, api_for: Any) -> None:
    """A report queued offline carries what the form had (the source too) and is refused for
    the same reasons, in the same words, as the page."""
    api = api_for(users["branch_head"])
    body = {"uuid": str(uuid.uuid4()), "unit_id": tree.branch_a1.pk, "category": "recruitment",
            "description": "Có người rủ đi làm ở nước ngoài.", "source": "officer"}
    assert api.post("/api/v1/situations", body).status_code == 201
    assert Situation.objects.get().source == "officer"
    future = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    refused = api.post("/api/v1/situations", body | {"uuid": str(uuid.uuid4()),
                                                     "occurred_on": future})
    assert refused.status_code == 422
    assert refused.json()["errors"] == [{"field": "occurred_on", "message": "Ngày này chưa đến."}]
    assert Situation.objects.count() == 1


def test_indicators_are_protected_and_reports_listed(tree: Any, users: Any, formats: Any,
                                                     api_for: Any) -> None:
    log_activity(tree.commune_a, formats["meeting"])
    api = api_for(users["province_officer"])
    table = api.get("/api/v1/indicators", {"unit": tree.province.pk, "period": "year",
                                           "year": 2026})
    assert table.status_code == 200, table.content
    data = table.json()
    assert data["protected"] is True
    assert [c["kind"] for c in data["columns"]][-1] == "total"
    assert data["rows"]
    bad = api.get("/api/v1/indicators", {"period": "fortnight"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "period"
    assert api.get("/api/v1/reports").status_code == 200
    assert api_for(users["other_officer"]).get(
        "/api/v1/indicators", {"unit": tree.province.pk}).status_code == 404


def test_campaign_progress(tree: Any, users: Any, formats: Any, api_for: Any) -> None:
    from ctip.outreach.actions import create_campaign

    campaign = create_campaign(actor=None, unit=tree.province, name="Tháng hành động",
                               starts_on=dt.date(2026, 7, 1), ends_on=dt.date(2026, 7, 31))
    log_activity(tree.commune_a, formats["meeting"], campaign=campaign)
    api = api_for(users["province_officer"])
    assert campaign.pk in {c["id"] for c in api.get("/api/v1/campaigns").json()}
    progress = api.get(f"/api/v1/campaigns/{campaign.pk}").json()
    assert progress["total"]["sessions"]["actual"] == 1


def test_the_schema_and_its_page_work_offline_under_the_csp(db: Any) -> None:
    schema = Client().get("/api/v1/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/v1/activities" in paths and "/api/v1/indicators" in paths
    page = Client().get("/api/v1/docs")
    assert page.status_code == 200
    body = page.content.decode()
    assert not loaded_from_elsewhere(body) and "https://" not in body
    assert "/static/ninja/swagger-ui-bundle.js" in body
    policy = page["Content-Security-Policy"]
    assert "unsafe-inline" not in policy.split("script-src", 1)[1].split(";", 1)[0]


def test_the_schema_lists_the_public_offer_check_at_its_own_address(db: Any) -> None:
    """Partners read one schema: the offer check (its own small API, unchanged at its address)
    is in it, with its body and its answers, and the address it names answers as described."""
    schema = Client().get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/public/offer-check"]["post"]
    assert set(operation["responses"]) == {"200", "400", "429"}
    body = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert body.rsplit("/", 1)[1] in schema["components"]["schemas"]
    answer = Client().post("/api/v1/public/offer-check", {"text": "Việc nhẹ lương cao ở nước "
                                                          "ngoài, bao ăn ở, không cần bằng cấp"},
                           content_type="application/json")
    assert answer.status_code == 200
    assert answer.json()["level"] in {"low", "medium", "high"}
