"""A signed-in page kept whole per set of the values it shows (``accounts.kept``, decision
0089), as the own-account page is: what each person sees is hers and current on every
request, the forms post with the request's own CSRF token, a message waiting is shown once,
and nothing beyond the page's values reaches it."""

from __future__ import annotations

import copy
import html
import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse

from ctip.accounts import kept
from ctip.accounts.actions import grant_role
from ctip.accounts.capabilities import Role
from ctip.api.tokens import create_token
from ctip.core.templatetags.shell import CSRF_HOLE
from tests.conftest import login_client

PROFILE = reverse("accounts:profile")
HX_TOKEN = re.compile(r'hx-headers=\'\{"X-CSRFToken": "(\w+)"\}\'')
PROBE = ('{% extends "base.html" %}{% block title %}Probe{% endblock %}{% block content %}'
         '[{{ a }}|{{ user.email }}|{{ user.username }}|{{ request.META.REMOTE_ADDR }}|'
         '{{ secret }}|{{ CSP_NONCE }}|{{ perms }}]{% endblock %}')


@pytest.fixture
def probe(tmp_path: Path) -> Any:
    """A page of the frame whose content asks for more than it is given."""
    (tmp_path / "probe.html").write_text(PROBE, encoding="utf-8")
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["DIRS"] = [str(tmp_path)]
    with override_settings(TEMPLATES=templates):
        yield


def request_of(user: Any, path: str = "/probe/") -> Any:
    request = RequestFactory().get(path, REMOTE_ADDR="203.0.113.9")
    request.user = user
    request.session = {}
    return request


def test_each_answer_has_its_own_csrf_token_and_the_forms_post(users: Any) -> None:
    her = Client(enforce_csrf_checks=True)
    her.force_login(users["viewer"])
    token = create_token(actor=None, user=users["viewer"], name="Máy tính bảng").token
    pages = [her.get(PROFILE).content.decode() for _ in range(3)]
    tokens = [HX_TOKEN.search(page).group(1) for page in pages]  # type: ignore[union-attr]
    assert len(set(tokens)) == 3  # masked afresh on every answer, as Django does
    assert all(CSRF_HOLE not in page for page in pages)
    # the same page apart from the tokens: the second and third were not rendered again
    assert HX_TOKEN.sub("", pages[1]).count("Máy tính bảng") == 1
    revoke = reverse("api_tokens:revoke", args=[token.pk])
    assert her.post(revoke, {"csrfmiddlewaretoken": tokens[0]}).status_code == 302
    assert her.post(reverse("accounts:logout"), {"csrfmiddlewaretoken": "x" * 64}).status_code \
        == 403  # a made-up token is still refused


def test_a_message_waiting_is_shown_once_and_never_kept(users: Any) -> None:
    client = login_client(users["viewer"])
    token = create_token(actor=None, user=users["viewer"], name="Điện thoại cũ").token
    assert client.get(PROFILE).status_code == 200  # kept
    after = client.post(reverse("api_tokens:revoke", args=[token.pk]), follow=True)
    shown = after.content.decode()
    assert re.search(r'class="message success">[^<]*Điện thoại cũ', html.unescape(shown))
    again = client.get(PROFILE).content.decode()
    assert 'class="message' not in again and "Điện thoại cũ" in again  # revoked, listed


def test_a_new_role_her_name_and_the_language_show_at_once(users: Any, tree: Any) -> None:
    speaker = users["speaker"]
    client = login_client(speaker)
    before = client.get(PROFILE).content.decode()
    assert tree.commune_b.name not in before
    grant_role(actor=users["province_officer"], user=speaker, role=Role.SPEAKER,
               unit=tree.commune_b)
    assert tree.commune_b.name in client.get(PROFILE).content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get(PROFILE).content.decode()
    assert "Your account" in english and "Tài khoản của bạn" not in english
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "vi"
    with_query = client.get(PROFILE + "?tu=menu").content.decode()
    assert "Tài khoản của bạn" in with_query
    # the language switch returns to the address asked for (with a query string the page is
    # rendered as usual, not kept)
    assert 'name="next" type="hidden" value="/accounts/profile/?tu=menu"' in with_query
    assert 'value="/accounts/profile/"' in client.get(PROFILE).content.decode()


def test_a_query_string_neither_fills_the_table_nor_receives_the_token(users: Any) -> None:
    client = login_client(users["viewer"])
    assert client.get(PROFILE).status_code == 200
    held = len(kept._pages["accounts/profile.html"])
    for n in range(20):
        assert client.get(f"{PROFILE}?n={n}").status_code == 200
    assert len(kept._pages["accounts/profile.html"]) == held
    # the placeholder in the address (were it ever known) gets no token put into it
    page = client.get(f"{PROFILE}?x={CSRF_HOLE}").content.decode()
    token = HX_TOKEN.search(page).group(1)  # type: ignore[union-attr]
    (address,) = re.findall(r'name="next" type="hidden" value="([^"]*)"', page)
    assert token not in address and len(kept._pages["accounts/profile.html"]) == held


def test_the_page_is_not_stored_by_the_browser(users: Any) -> None:
    client = login_client(users["viewer"])
    for _ in range(2):  # rendered, then kept
        assert client.get(PROFILE)["Cache-Control"] == "no-store"


def test_a_value_may_not_take_a_name_of_the_frame(users: Any, probe: None) -> None:
    from ctip.accounts.own_account import add_part

    for name in ("path", "user", "csrf_token", "nav_menu"):
        with pytest.raises(ValueError, match=name):
            kept.render_kept(request_of(users["viewer"]), "probe.html", {name: "x"})
    for name in ("username", "path", "messages"):
        with pytest.raises(ValueError):
            add_part(name, str)
    with pytest.raises(ValueError):  # the API's tokens are there already
        add_part("tokens", str)


def test_nothing_beyond_the_pages_values_reaches_it(users: Any, probe: None) -> None:
    for who in ("viewer", "speaker"):
        user = users[who]
        page = kept.render_kept(request_of(user), "probe.html", {"a": 7}).content.decode()
        assert "[7||||||]" in page  # no email, username, address, nonce nor permissions
        assert str(user) in page  # her name in the frame, which the key holds
        other = "speaker" if who == "viewer" else "viewer"
        assert str(users[other]) not in page


def test_a_model_instance_as_a_value_is_refused(users: Any, probe: None) -> None:
    with pytest.raises(TypeError, match="not a plain value"):
        kept.render_kept(request_of(users["viewer"]), "probe.html", {"a": users["speaker"]})


def test_what_is_kept_is_bounded_and_forgotten_when_a_setting_changes(
        users: Any, probe: None) -> None:
    viewer = users["viewer"]
    for n in range(kept.KEPT_PER_PAGE + 5):
        page = kept.render_kept(request_of(viewer), "probe.html", {"a": n})
        assert f"[{n}|" in page.content.decode()
    assert len(kept._pages["probe.html"]) == kept.KEPT_PER_PAGE
    with override_settings(USE_THOUSAND_SEPARATOR=True):
        kept.render_kept(request_of(viewer), "probe.html", {"a": 1})
        assert len(kept._pages["probe.html"]) == 1


def test_a_page_for_no_one_signed_in_is_rendered_as_usual_and_not_kept(probe: None) -> None:
    assert Client().get(PROFILE).status_code == 302  # to the sign-in page, nothing rendered
    before = dict(kept._pages.get("probe.html", {}))
    response = kept.render_kept(request_of(AnonymousUser()), "probe.html", {"a": 3})
    response.render()  # type: ignore[attr-defined]  # a TemplateResponse
    assert "[3|" in response.content.decode()
    assert kept._pages.get("probe.html", {}) == before


def test_a_value_frozen_when_made_renders_as_its_copy_and_keys_the_page_by_it(
        users: Any, probe: None) -> None:
    """A value taken apart once (``shell.freeze``, the staff home's cards kept in the cache):
    the page shows what it holds, two values alike share a page and two that differ do not,
    a page rendered as usual (a query string) shows it too, and what is refused is refused
    when it is made."""
    from ctip.core.templatetags.shell import freeze

    viewer = users["viewer"]
    one = kept.render_kept(request_of(viewer), "probe.html", {"a": freeze({"n": [1, 2]})})
    assert "[{&#x27;n&#x27;: [1, 2]}|" in one.content.decode()
    again = kept.render_kept(request_of(viewer), "probe.html", {"a": freeze({"n": [1, 2]})})
    assert again.content.decode().split("[")[1] == one.content.decode().split("[")[1]
    other = kept.render_kept(request_of(viewer), "probe.html", {"a": freeze({"n": [1, 3]})})
    assert "[{&#x27;n&#x27;: [1, 3]}|" in other.content.decode()
    usual = kept.render_kept(request_of(viewer, "/probe/?x=1"), "probe.html",
                             {"a": freeze({"n": [4]})})
    usual.render()  # type: ignore[attr-defined]  # a TemplateResponse
    assert "[{&#x27;n&#x27;: [4]}|" in usual.content.decode()
    with pytest.raises(TypeError, match="not a plain value"):
        freeze({"n": users["speaker"]})
