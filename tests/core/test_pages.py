from typing import Any

import pytest
from django.test import Client
from django.urls import reverse


@pytest.mark.django_db
def test_home_redirects_anonymous_to_login() -> None:
    response = Client().get(reverse("core:home"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_home_lists_the_users_units_and_capabilities(users: Any, client_for: Any) -> None:
    response = client_for(users["commune_officer"]).get(reverse("core:home"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Xã Đức Hòa" in body
    assert 'lang="vi"' in body
    assert 'href="#main"' in body  # skip link
    assert "htmx.min.js" in body and "cdn" not in body.lower()


@pytest.mark.django_db
def test_healthz_is_public() -> None:
    response = Client().get(reverse("core:healthz"))
    assert response.json()["status"] == "ok"


def test_forwarded_address_is_believed_only_from_a_trusted_proxy(tree: Any, users: Any,
                                                                 client_for: Any,
                                                                 settings: Any) -> None:
    from ctip.audit.models import AuditEvent

    client = client_for(users["commune_officer"])
    url = reverse("org:unit_detail", args=[tree.other_commune.pk])
    client.get(url, REMOTE_ADDR="198.51.100.9", HTTP_X_FORWARDED_FOR="10.9.9.9")
    assert AuditEvent.objects.latest("id").ip_address == "198.51.100.9"
    settings.CTIP_TRUSTED_PROXIES = frozenset({"127.0.0.1"})
    client.get(url, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="10.9.9.9, 203.0.113.5")
    assert AuditEvent.objects.latest("id").ip_address == "203.0.113.5"


def test_the_menu_offers_only_what_the_role_can_open(users: Any, client_for: Any) -> None:
    from ctip.accounts.policy import NAVIGATION

    def menu(role: str) -> str:
        body = client_for(users[role]).get(reverse("core:home")).content.decode()
        return body[body.index("<nav"):body.index("</nav>")]

    speaker, editor, auditor = menu("speaker"), menu("editor"), menu("auditor")
    assert reverse("outreach:activity_list") in speaker
    assert reverse("accounts:user_list") not in speaker
    assert reverse("audit:event_list") in auditor
    assert reverse("outreach:activity_list") not in editor
    # every entry the menu may show opens for the people it is shown to
    admin = client_for(users["system_admin"])
    for _label, name, _caps in NAVIGATION:
        assert admin.get(reverse(name)).status_code == 200, name


@pytest.mark.django_db
def test_vietnamese_is_the_default_whatever_the_browser_says() -> None:
    client = Client()
    page = client.get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert 'lang="vi"' in page.content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE="vi")
    assert 'lang="en"' in page.content.decode()
