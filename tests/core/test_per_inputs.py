"""A part of a page rendered once per set of the values it names and kept
(``{% per_inputs %}``, decision 0081): it shows exactly what those values give, whoever asked
before; nothing else of the request reaches it; the CSRF token in it is the request's own."""

from __future__ import annotations

import datetime
import decimal
import re
from dataclasses import dataclass
from typing import Any

import pytest
from django.template import Context, Template, TemplateSyntaxError
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from ctip.api.tokens import create_token
from ctip.core.templatetags import shell
from tests.conftest import login_client


def kept_of(template: Template) -> shell.PerInputsNode:
    (node,) = template.nodelist.get_nodes_by_type(shell.PerInputsNode)
    return node


def test_each_set_of_values_renders_its_own_text() -> None:
    template = Template("{% load shell %}{% per_inputs name=name n=n %}{{ name }}:{{ n }}"
                        "{% endper_inputs %}")
    for name, n in [("An", 1), ("Bình", 1), ("An", 2), ("An", 1), ("Bình", 1)]:
        assert template.render(Context({"name": name, "n": n})) == f"{name}:{n}"
    assert len(kept_of(template).kept) == 3


def test_nothing_but_the_named_values_reaches_the_part(users: Any) -> None:
    template = Template("{% load shell %}[{% per_inputs a=a %}{{ a }}{{ user }}{{ secret }}"
                        "{% if user %}yes{% endif %}{% endper_inputs %}]")
    for who in ("viewer", "speaker"):
        context = Context({"a": 1, "user": users[who], "secret": who})
        assert template.render(context) == "[1]"


def test_the_csrf_token_is_the_requests_own() -> None:
    template = Template("{% load shell %}{% per_inputs a=a %}<form>{% csrf_token %}</form>"
                        "{% endper_inputs %}")
    first = template.render(Context({"a": 1, "csrf_token": "tokenOfTheFirstRequest"}))
    second = template.render(Context({"a": 1, "csrf_token": "tokenOfTheSecond"}))
    assert 'value="tokenOfTheFirstRequest"' in first
    assert 'value="tokenOfTheSecond"' in second and "First" not in second
    assert shell.CSRF_HOLE not in first + second
    assert shell.CSRF_HOLE not in template.render(Context({"a": 1}))  # none: no token


def test_escaped_and_safe_text_are_kept_apart() -> None:
    template = Template("{% load shell %}{% per_inputs html=html %}{{ html }}{% endper_inputs %}")
    assert template.render(Context({"html": "<b>x</b>"})) == "&lt;b&gt;x&lt;/b&gt;"
    assert template.render(Context({"html": mark_safe("<b>x</b>")})) == "<b>x</b>"
    assert template.render(Context({"html": "<b>x</b>"})) == "&lt;b&gt;x&lt;/b&gt;"


def test_lists_dictionaries_dataclasses_dates_and_translations() -> None:
    @dataclass
    class Row:
        name: str
        when: datetime.date
        tags: list[str]

    template = Template("{% load shell %}{% per_inputs rows=rows label=label %}{{ label }}:"
                        "{% for r in rows %}{{ r.name }} {{ r.when|date:'d/m/Y' }} "
                        "{{ r.tags|join:',' }};{% endfor %}{% endper_inputs %}")
    rows = [Row("a", datetime.date(2026, 1, 2), ["x", "y"])]
    with translation.override("vi"):
        assert template.render(Context({"rows": rows, "label": gettext_lazy("Sign out")})
                               ) == "Đăng xuất:a 02/01/2026 x,y;"
    with translation.override("en"):
        assert template.render(Context({"rows": rows, "label": gettext_lazy("Sign out")})
                               ) == "Sign out:a 02/01/2026 x,y;"
    rows[0].tags.append("z")  # a changed value inside a list is a new set of values
    with translation.override("en"):
        assert template.render(Context({"rows": rows, "label": "L"})) == "L:a 02/01/2026 x,y,z;"
        nested = Template("{% load shell %}{% per_inputs d=d %}{{ d.k.0 }}{% endper_inputs %}")
        assert nested.render(Context({"d": {"k": ["v"]}})) == "v"


def test_values_equal_but_written_differently_are_kept_apart() -> None:
    template = Template("{% load shell %}{% per_inputs n=n %}{{ n }}{% endper_inputs %}")
    assert template.render(Context({"n": decimal.Decimal("1.0")})) == "1,0"  # Vietnamese
    assert template.render(Context({"n": decimal.Decimal("1.00")})) == "1,00"
    utc = datetime.datetime(2026, 12, 6, 7, 0, tzinfo=datetime.UTC)
    template = Template("{% load shell %}{% per_inputs t=t %}{{ t.tzinfo }}{% endper_inputs %}")
    assert template.render(Context({"t": utc})) == "UTC"
    hanoi = utc.astimezone(datetime.timezone(datetime.timedelta(hours=7)))
    assert template.render(Context({"t": hanoi})) == "UTC+07:00"


def test_a_value_holding_the_csrf_placeholder_is_refused() -> None:
    template = Template("{% load shell %}{% per_inputs a=a %}<a href='{{ a }}'>x</a>"
                        "{% endper_inputs %}")
    with pytest.raises(ValueError, match="placeholder"):
        template.render(Context({"a": f"/?x={shell.CSRF_HOLE}", "csrf_token": "secret"}))


def test_a_model_instance_is_refused(users: Any) -> None:
    # two instances of one user are equal whatever their fields: keyed by one, the part
    # would show the other's stale name
    template = Template("{% load shell %}{% per_inputs u=user %}{{ u }}{% endper_inputs %}")
    with pytest.raises(TypeError, match="not a plain value"):
        template.render(Context({"user": users["viewer"]}))


def test_wrong_use_is_a_syntax_error() -> None:
    for source in ("{% per_inputs %}{% endper_inputs %}",
                   "{% per_inputs a %}{% endper_inputs %}",
                   "{% per_inputs a=a %}{% block b %}{% endblock %}{% endper_inputs %}"):
        with pytest.raises(TemplateSyntaxError):
            Template("{% load shell %}" + source)


def test_what_is_kept_is_bounded_and_forgotten_when_a_setting_changes() -> None:
    template = Template("{% load shell %}{% per_inputs n=n %}{{ n }}{% endper_inputs %}")
    for n in range(shell.KEPT_PER_PART + 10):
        assert template.render(Context({"n": n})) == str(n)
    node = kept_of(template)
    assert len(node.kept) == shell.KEPT_PER_PART
    with override_settings(USE_THOUSAND_SEPARATOR=True):
        assert template.render(Context({"n": 1})) == "1"
        assert len(node.kept) == 1


def test_the_own_account_page_follows_every_change(users: Any) -> None:
    """The page's parts are kept: her name, her tokens and the CSRF token of her forms are
    still her own and current on every request, and never another person's."""
    viewer, speaker = users["viewer"], users["speaker"]
    page = reverse("accounts:profile")
    her = Client(enforce_csrf_checks=True)
    her.force_login(viewer)
    first = her.get(page).content.decode()
    assert viewer.username in first
    viewer.full_name = "Nguyễn Thị Đổi Tên"
    viewer.save(update_fields=["full_name"])
    changed = her.get(page).content.decode()
    assert "Nguyễn Thị Đổi Tên" in changed
    other = login_client(speaker).get(page).content.decode()
    assert "Nguyễn Thị Đổi Tên" not in other and speaker.username in other
    token = create_token(actor=None, user=viewer, name="Điện thoại của chị").token
    with_token = her.get(page).content.decode()
    assert "Điện thoại của chị" in with_token and "Thu hồi" in with_token
    assert "Điện thoại của chị" not in login_client(speaker).get(page).content.decode()
    # the revoke form's token is this request's: posting it with her cookie is accepted
    form = re.search(r'action="([^"]+/revoke/)"><input type="hidden" '
                     r'name="csrfmiddlewaretoken" value="(\w+)"', with_token)
    assert form is not None
    assert her.post(form.group(1), {"csrfmiddlewaretoken": form.group(2)}).status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    revoked = her.get(page).content.decode()
    assert "đã thu hồi" in revoked and "Thu hồi<" not in revoked
    for text in (first, changed, with_token, revoked, other):
        assert shell.CSRF_HOLE not in text
