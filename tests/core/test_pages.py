import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import loaded_from_elsewhere, without_random_tokens


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
    assert "htmx.min.js" in body and not loaded_from_elsewhere(body)


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


def test_what_the_pages_are_searched_for_is_another_host_not_three_letters() -> None:
    """The check above finds a page loading from another host however it is named, and not
    the letters "cdn" inside a random CSRF token (a run once failed on one)."""
    page = ('<body hx-headers=\'{"X-CSRFToken": "9toaq8qv2vcdnbo0clplhdeaskx"}\'>'
            '<script src="/static/ctip/vendor/htmx.min.js"></script>'
            '<a href="tel:111">111</a><a href="mailto:hoi@example.vn">thư</a></body>')
    assert loaded_from_elsewhere(page) == []
    for outside in ('<script src="https://unpkg.com/htmx.org"></script>',
                    "<link rel=stylesheet href='//fonts.googleapis.com/css'>",
                    '<style nonce="x">body { background: url(https://img.example/a.png) }</style>',
                    '<img srcset="/static/a.png 1x, http://static.example/a.png 2x">',
                    '<button formaction="https://forms.example/send">Gửi</button>',
                    '<style nonce="x">@import "https://fonts.example/a.css";</style>',
                    '<div style="background: url(&quot;//img.example/a.png&quot;)"></div>'):
        assert loaded_from_elsewhere(page + outside), outside


def test_a_page_without_its_random_tokens_keeps_everything_else(users: Any,
                                                                 client_for: Any) -> None:
    """``without_random_tokens`` takes out the CSRF token and the nonce, and nothing a person
    reads."""
    body = client_for(users["commune_officer"]).get(reverse("core:home")).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    assert token and len(token.group(1)) >= 32
    bare = without_random_tokens(body)
    assert token.group(1) not in bare and '"X-CSRFToken": ""' in bare
    assert "Xã Đức Hòa" in bare and bare.count("<") == body.count("<")
