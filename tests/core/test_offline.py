"""The installable app's pieces on the server side (decision record 0035): the service worker
from the site root, the manifest and its icons, the policy that lets the worker run, and the
staff pages that carry the count of unsent entries (the behaviour itself:
tests/e2e/test_offline.py)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse

from tests.conftest import login_client

pytestmark = pytest.mark.django_db


def test_the_worker_is_served_from_the_root_for_the_whole_site(client: Client) -> None:
    answer = client.get("/sw.js")
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("application/javascript")
    assert answer["Service-Worker-Allowed"] == "/"
    assert "no-cache" in answer["Cache-Control"]
    assert b"addEventListener('fetch'" in answer.content
    assert client.post("/sw.js").status_code == 405


def test_the_worker_keeps_an_allow_list_only(client: Client) -> None:
    """Never a case or a person: the worker keeps copies of the quick-entry page, static files
    and the catalogues and units, and never an answer marked no-store."""
    script = client.get("/sw.js").content.decode()
    assert "const PAGES = ['/outreach/activities/new/', '/cases/situations/new/'];" in script
    assert "const API = ['/api/v1/catalogues', '/api/v1/units'];" in script
    assert "no-store" in script
    # of the cases only the blank report form, never a case or a situation
    assert {m for m in re.findall(r"'(/cases/[^']*)'", script)} == {"/cases/situations/new/"}


def test_the_manifest_makes_the_site_installable(client: Client) -> None:
    answer = client.get(reverse("core:manifest"))
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("application/manifest+json")
    data = json.loads(answer.content)
    assert data["start_url"] == reverse("outreach:activity_create")
    assert data["display"] == "standalone" and data["scope"] == "/"
    assert data["name"] == "Phòng, chống mua bán người" and data["lang"] == "vi"
    sizes = {icon["sizes"] for icon in data["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in data["icons"]:
        path = icon["src"].removeprefix("/static/")
        assert finders.find(path), f"{icon['src']} is missing"


def test_the_policy_lets_the_own_worker_run_and_nothing_else(client: Client) -> None:
    policy = client.get(reverse("accounts:login"))["Content-Security-Policy"]
    assert "worker-src 'self'" in policy
    assert "manifest-src 'self'" in policy


def test_every_staff_page_carries_the_count_and_the_quick_entry_the_queue(
        users: dict[str, Any]) -> None:
    officer = login_client(users["commune_officer"])
    home = officer.get(reverse("core:home")).content.decode()
    assert 'id="offline-status"' in home and 'id="offline-count"' in home
    assert "ctip/js/offline.js" in home and 'rel="manifest"' in home
    assert 'data-signout' in home
    new = officer.get(reverse("outreach:activity_create")).content.decode()
    assert 'data-offline="activity"' in new and 'id="offline-queue"' in new
    # the strings the script shows are in Vietnamese
    assert "Chưa gửi: {n}" in new


def test_signed_out_pages_do_not_load_the_offline_script(client: Client) -> None:
    page = client.get(reverse("accounts:login")).content.decode()
    assert "offline.js" not in page and 'id="offline-status"' not in page


def test_the_edit_page_carries_the_version_its_changes_are_based_on(
        users: dict[str, Any], formats: dict[str, Any], tree: Any) -> None:
    """An edit made offline is sent with the version the officer had read (If-Match), so that a
    change saved meanwhile by someone else is shown to her, never overwritten."""
    from ctip.outreach.selectors import activity_version
    from tests.conftest import log_activity

    activity = log_activity(tree.commune_a, formats["meeting"], actor=users["commune_officer"])
    page = login_client(users["commune_officer"]).get(
        reverse("outreach:activity_edit", args=[activity.pk])).content.decode()
    version = activity_version(activity).replace('"', "&quot;")
    assert 'data-offline="activity-edit"' in page and f'data-id="{activity.pk}"' in page
    assert f'data-version="{version}"' in page and f'data-unit="{tree.commune_a.pk}"' in page
    assert f'name="version" value="{version}"' in page
    assert 'id="offline-queue"' in page


def test_the_situation_report_can_be_queued_and_the_home_page_shows_unsent_work(
        users: dict[str, Any]) -> None:
    head = login_client(users["branch_head"])
    form = head.get(reverse("cases:situation_create")).content.decode()
    assert 'data-offline="situation"' in form and 'id="offline-queue"' in form
    # the reporter's contact is never kept on the device: the officer is told so, in Vietnamese
    assert "không thể giữ thông tin liên lạc của người báo tin" in form
    home = head.get(reverse("core:home")).content.decode()
    assert 'id="offline-card"' in home and "data-offline-send" in home
    assert "{n} bản ghi chưa gửi" in home and "Gửi ngay" in home
    assert f'href="{reverse("core:home")}#offline-card"' in home
