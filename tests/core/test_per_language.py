"""The parts of the staff pages' frame that are the same for everyone who reads a language
are rendered once per language and process (``{% per_language %}``, decision 0066): they
follow the language and the address prefix, and no request's data can reach them."""

from __future__ import annotations

from typing import Any

import pytest
from django.template import Context, Template, TemplateSyntaxError
from django.test import Client
from django.urls import reverse, set_script_prefix
from django.utils import translation

from ctip.accounts.policy import navigation_for
from tests.conftest import login_client

SAMPLE = ("{% load i18n shell %}{% per_language %}{% translate 'Sign out' %} "
          "{% url 'core:home' %}{% endper_language %}")


def test_a_part_follows_the_language_and_the_address_prefix() -> None:
    template = Template(SAMPLE)
    with translation.override("vi"):
        assert template.render(Context()) == "Đăng xuất /app/"
    with translation.override("en"):
        assert template.render(Context()) == "Sign out /app/"
    try:
        set_script_prefix("/ctip/")
        with translation.override("vi"):
            assert template.render(Context()) == "Đăng xuất /ctip/app/"
    finally:
        set_script_prefix("/")
    with translation.override("vi"):
        assert template.render(Context()) == "Đăng xuất /app/"


def test_no_request_data_reaches_a_part(users: Any) -> None:
    template = Template("{% load shell %}[{% per_language %}{{ user }}{% if user %}yes"
                        "{% endif %}{% csrf_token %}{% endper_language %}]")
    for who in ("viewer", "speaker"):
        assert template.render(Context({"user": users[who], "csrf_token": "x"})) == "[]"


def test_a_block_cannot_be_kept_in_a_part() -> None:
    with pytest.raises(TemplateSyntaxError):
        Template("{% load shell %}{% per_language %}{% block a %}{% endblock %}"
                 "{% endper_language %}")


def test_each_person_sees_her_own_frame_in_her_language(users: Any) -> None:
    home = reverse("core:home")
    viewer, speaker = login_client(users["viewer"]), Client()
    speaker.force_login(users["speaker"])
    assert speaker.post(reverse("set_language"), {"language": "en", "next": home}
                        ).status_code == 302
    for _ in range(2):  # the second time from what the first kept
        mine = viewer.get(home).content.decode()
        theirs = speaker.get(home).content.decode()
        assert "Đăng xuất" in mine and "Sign out" not in mine
        assert "Sign out" in theirs and "Đăng xuất" not in theirs
        assert f'data-user="{users["viewer"].pk}"' in mine
        assert f'data-user="{users["speaker"].pk}"' in theirs
        assert str(users["viewer"]) in mine and str(users["speaker"]) not in mine
        assert "Phòng, chống mua bán người" in mine


def test_the_menu_follows_the_address_prefix(users: Any) -> None:
    assert {item.url for item in navigation_for(users["viewer"])} >= {"/app/"}
    try:
        set_script_prefix("/ctip/")
        assert {item.url for item in navigation_for(users["viewer"])} >= {"/ctip/app/"}
    finally:
        set_script_prefix("/")
