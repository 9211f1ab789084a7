"""Content-Security-Policy and Permissions-Policy on every kind of page (decision record 0024):
the public bulletin, the staff pages, the sign-in page, the Wagtail admin, 404 and 500; the CMS
relaxations only under /cms/; a nonce in the header exactly when the page uses it; and no
template that the policy would break (inline script, handler attribute, style attribute,
<style> without the nonce)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from ctip.core.csp import PERMISSIONS_POLICY
from tests.portal.conftest import add_article, add_section, bulletin_home

SRC = Path(__file__).resolve().parents[2] / "src" / "ctip"
# Sent by e-mail, never served to a browser: e-mail clients need inline styles.
NOT_SERVED = {"cases/templates/cases/digest_email.html"}


def policy(response: Any) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def assert_strict(response: Any) -> dict[str, list[str]]:
    found = policy(response)
    for directive in ("script-src", "style-src"):
        sources = found[directive]
        assert sources[0] == "'self'", found
        assert all(s == "'self'" or s.startswith("'nonce-") for s in sources), found
    assert found["default-src"] == ["'self'"]
    assert found["object-src"] == ["'none'"] and found["base-uri"] == ["'none'"]
    assert found["frame-ancestors"] == ["'none'"] and found["frame-src"] == ["'none'"]
    assert found["form-action"] == ["'self'"] and found["img-src"] == ["'self'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]
    assert_permissions(response)
    return found


def assert_permissions(response: Any) -> None:
    header = response["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment", "usb", "serial",
                    "display-capture"):
        assert f"{feature}=()" in header, header
    assert set(PERMISSIONS_POLICY) <= {item.split("=")[0] for item in header.split(", ")}


@pytest.fixture
def article(db: Any) -> Any:
    home = bulletin_home()
    section = add_section(home, "Tuyên truyền")
    return add_article(section, "Cảnh giác lời mời việc làm")


def test_public_pages_have_the_strict_policy(client: Client, article: Any) -> None:
    for url in ("/", article.url, reverse("portal:search") + "?q=viec", reverse("portal:report"),
                reverse("accounts:login")):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_strict(response)
    # a page served from the bulletin's cache gets the policy too
    cached = client.get(article.url)
    assert cached.status_code == 200
    assert_strict(cached)


def test_staff_pages_and_htmx_partials_have_the_strict_policy(tree: Any, users: Any,
                                                              client_for: Any) -> None:
    client = client_for(users["province_officer"])
    for url in (reverse("core:home"), reverse("org:tree"),
                reverse("org:children", args=[tree.province.pk])):
        response = client.get(url, headers={"HX-Request": "true"}
                              if "children" in url else {})
        assert response.status_code == 200, url
        assert_strict(response)


def test_a_nonce_is_in_the_header_exactly_when_the_page_uses_it(tree: Any, users: Any,
                                                                client_for: Any) -> None:
    client = client_for(users["province_officer"])
    dashboard = client.get(f"{reverse('reports:dashboard')}?unit={tree.province.pk}"
                           "&period=year&year=2026")
    assert dashboard.status_code == 200
    nonces = re.findall(r'<style nonce="([^"]+)">', dashboard.content.decode())
    assert nonces and len(set(nonces)) == 1
    assert f"'nonce-{nonces[0]}'" in assert_strict(dashboard)["style-src"]
    again = client.get(f"{reverse('reports:dashboard')}?unit={tree.province.pk}"
                       "&period=year&year=2026")
    assert re.findall(r'<style nonce="([^"]+)">', again.content.decode()) != nonces  # fresh
    home = client.get(reverse("core:home"))
    assert "nonce-" not in home["Content-Security-Policy"]


def test_the_cms_gets_only_its_documented_relaxations(users: Any, client_for: Any,
                                                      article: Any) -> None:
    client = client_for(users["editor"])
    for url in ("/cms/", reverse("wagtailadmin_pages:edit", args=[article.pk])):
        response = client.get(url)
        assert response.status_code == 200, url
        found = policy(response)
        # scripts and styles as strict as everywhere: 'self' and the request's nonce
        for directive in ("script-src", "style-src"):
            assert found[directive][0] == "'self'" and len(found[directive]) == 2, found
            assert found[directive][1].startswith("'nonce-"), found
        assert found["img-src"] == ["'self'", "data:", "blob:"]
        assert found["frame-ancestors"] == ["'self'"]
        assert found["object-src"] == ["'none'"] and found["base-uri"] == ["'none'"]
        assert found["default-src"] == ["'self'"] and found["connect-src"] == ["'self'"]
        assert "'unsafe-eval'" not in response["Content-Security-Policy"]
        assert_permissions(response)
    # our own sign-in redirect under /cms/ is not Wagtail's: strict
    assert_strict(Client().get(reverse("cms_login")))


def test_404_has_the_strict_policy(client: Client, article: Any) -> None:
    for url in ("/khong-co-trang-nay/", "/cms-not/"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert_strict(response)


def test_500_has_the_strict_policy(db: Any, monkeypatch: Any) -> None:
    """ctip's own error page (decision 0105), under the same policy as every page."""
    from ctip.core import views

    def fails() -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(views, "health", fails)  # what /healthz calls
    response = Client(raise_request_exception=False).get("/healthz")
    assert response.status_code == 500 and "Đã có lỗi xảy ra" in response.content.decode()
    assert_strict(response)


def _served_templates() -> list[Path]:
    return sorted(p for p in SRC.rglob("templates/**/*.html")
                  if str(p.relative_to(SRC)) not in NOT_SERVED)


# An inline script: a <script> without src, except a JSON data block (type="application/json",
# as Django's json_script writes), which the browser never runs and CSP does not govern.
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*\btype=\"application/json\")[^>]*>",
                           re.IGNORECASE)
HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTR = re.compile(r"\sstyle\s*=", re.IGNORECASE)
STYLE_ELEMENT = re.compile(r"<style(?P<attrs>[^>]*)>", re.IGNORECASE)


@pytest.mark.parametrize("template", _served_templates(),
                         ids=lambda p: str(p.relative_to(SRC)))
def test_no_template_needs_unsafe_inline(template: Path) -> None:
    """A served template has no inline script, no on...= handler, no style attribute, no
    javascript: link, and gives every <style> the request's nonce."""
    text = template.read_text(encoding="utf-8")
    assert not INLINE_SCRIPT.search(text), "inline <script>: move it to a static file"
    assert not HANDLER.search(text), "event handler attribute: bind it from a static script"
    assert not STYLE_ATTR.search(text), "style attribute: use a class (see 0024)"
    assert "javascript:" not in text.lower()
    for match in STYLE_ELEMENT.finditer(text):
        assert "CSP_NONCE" in match.group("attrs"), "<style> without nonce=\"{{ CSP_NONCE }}\""
