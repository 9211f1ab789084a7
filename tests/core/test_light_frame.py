"""What a signed-in page keeps between requests to be light (decision 0071): addresses
without arguments reversed once per process, the menu built once per set of entries and
language, a page's fixed queries compiled once. Nothing kept may carry one person's data,
menu or language to another."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db.models.functions import Length
from django.template import Context, Template
from django.test import Client
from django.urls import NoReverseMatch, reverse, set_script_prefix
from django.utils import timezone, translation

from ctip.accounts.policy import navigation_for
from ctip.api.models import AccessToken
from ctip.api.tokens import create_token
from ctip.cases.models import Notification
from ctip.core.prepared import PreparedQuery
from ctip.core.templatetags.fixed_urls import FixedURLNode
from tests.conftest import login_client

HOME, PROFILE = reverse("core:home"), reverse("accounts:profile")


def _menu(page: str) -> list[str]:
    nav = page.split('class="main-nav"', 1)[1].split("</nav>", 1)[0]
    return re.findall(r'<a href="([^"]+)"', nav)


def test_every_template_reverses_an_address_without_arguments_once() -> None:
    template = Template("{% url 'core:home' %}|{% url 'core:home' as home %}{{ home }}")
    assert isinstance(template.nodelist[0], FixedURLNode)  # Django's tag replaced everywhere
    with_argument = Template("{% url 'cases:situation_detail' 7 %}")
    assert not isinstance(with_argument.nodelist[0], FixedURLNode)
    for _ in range(2):  # the second time from what the first kept
        assert template.render(Context()) == "/app/|/app/"
        assert with_argument.render(Context()) == reverse("cases:situation_detail", args=[7])
    try:
        set_script_prefix("/ctip/")
        assert template.render(Context()) == "/ctip/app/|/ctip/app/"
    finally:
        set_script_prefix("/")
    assert template.render(Context()) == "/app/|/app/"


def test_an_unknown_name_still_fails_or_gives_nothing_as_django_does() -> None:
    for _ in range(2):
        with pytest.raises(NoReverseMatch):
            Template("{% url 'core:no-such-page' %}").render(Context())
        assert Template("{% url 'core:no-such-page' as x %}[{{ x }}]").render(Context()) == "[]"


def test_each_role_sees_her_own_menu_and_the_page_she_is_on(users: Any) -> None:
    officer, speaker = login_client(users["province_officer"]), Client()
    speaker.force_login(users["speaker"])
    expected = {who: [item.url for item in navigation_for(users[who])]
                for who in ("province_officer", "speaker")}
    assert reverse("accounts:user_list") in expected["province_officer"]
    assert reverse("accounts:user_list") not in expected["speaker"]
    for _ in range(2):  # alternately, the second time from what the first kept
        mine, theirs = officer.get(HOME).content.decode(), speaker.get(HOME).content.decode()
        assert _menu(mine) == expected["province_officer"]
        assert _menu(theirs) == expected["speaker"]
        assert f'<a href="{HOME}" aria-current="page">' in mine
        profile = officer.get(PROFILE).content.decode()
        assert _menu(profile) == expected["province_officer"]
        assert 'aria-current="page"' not in profile.split("</nav>", 1)[0]
    assert speaker.post(reverse("set_language"), {"language": "en", "next": HOME}
                        ).status_code == 302
    english, vietnamese = speaker.get(HOME).content.decode(), officer.get(HOME).content.decode()
    assert ">Home</a>" in english and ">Trang chủ</a>" not in english
    assert ">Trang chủ</a>" in vietnamese and ">Home</a>" not in vietnamese


def test_each_person_sees_only_her_own_access_tokens(users: Any) -> None:
    mine = create_token(actor=None, user=users["province_officer"], name="Máy của chị Hoa")
    theirs = create_token(actor=None, user=users["speaker"], name="Máy của anh Nam")
    officer, speaker = login_client(users["province_officer"]), Client()
    speaker.force_login(users["speaker"])
    for _ in range(2):
        page, other = officer.get(PROFILE).content.decode(), speaker.get(PROFILE).content.decode()
        assert mine.token.prefix in page and "Máy của chị Hoa" in page
        assert theirs.token.prefix not in page and "Máy của anh Nam" not in page
        assert theirs.token.prefix in other and mine.token.prefix not in other
    AccessToken.objects.filter(pk=theirs.token.pk).update(revoked_at=timezone.now())
    assert "đã thu hồi" in speaker.get(PROFILE).content.decode()


def test_each_person_sees_only_her_own_notifications(users: Any) -> None:
    for n in range(7):
        Notification.objects.create(user=users["province_officer"], title=f"Việc của Hoa {n}")
    Notification.objects.create(user=users["speaker"], title="Việc của Nam")
    officer, speaker = login_client(users["province_officer"]), Client()
    speaker.force_login(users["speaker"])
    for _ in range(2):
        page, other = officer.get(HOME).content.decode(), speaker.get(HOME).content.decode()
        assert [f"Việc của Hoa {n}" in page for n in range(7)] == [False] * 2 + [True] * 5
        assert "Việc của Nam" not in page
        assert "Việc của Nam" in other and "Việc của Hoa" not in other


def test_a_prepared_query_answers_as_the_orm_does(users: Any) -> None:
    for who in ("province_officer", "speaker", "province_officer"):
        create_token(actor=None, user=users[who], name=f"máy {who}")
    tokens_of = PreparedQuery(lambda user_id, name: AccessToken.objects.filter(
        user_id=user_id).exclude(name=name).order_by("-created_at", "-pk"))
    for who in ("province_officer", "speaker"):
        user = users[who]
        expected = list(AccessToken.objects.filter(user_id=user.pk).exclude(name="x")
                        .order_by("-created_at", "-pk"))
        got = tokens_of(user.pk, "x")
        assert got == expected and len(got) == (2 if who == "province_officer" else 1)
        assert [(t.name, t.expires_at) for t in got] == [(t.name, t.expires_at)
                                                          for t in expected]
    assert tokens_of(users["speaker"].pk, "máy speaker") == []


def test_a_prepared_querys_rows_are_the_orms_values(users: Any) -> None:
    """``rows()``: the selected fields by attribute name, converted as the ORM converts them
    (aware datetimes on SQLite too, NULL as None), in the query's order, hers alone."""
    first = create_token(actor=None, user=users["speaker"], name="máy một").token
    create_token(actor=None, user=users["speaker"], name="máy hai")
    create_token(actor=None, user=users["viewer"], name="máy của người khác")
    first.last_used_at = timezone.now()
    first.save(update_fields=["last_used_at"])
    tokens_of = PreparedQuery(lambda user_id: AccessToken.objects.filter(user_id=user_id).only(
        "pk", "name", "expires_at", "last_used_at").order_by("-created_at", "-pk"))
    expected = list(AccessToken.objects.filter(user_id=users["speaker"].pk)
                    .order_by("-created_at", "-pk")
                    .values("id", "name", "expires_at", "last_used_at"))
    rows = tokens_of.rows(users["speaker"].pk)
    assert rows == expected and [r["name"] for r in rows] == ["máy hai", "máy một"]
    assert rows[0]["last_used_at"] is None and timezone.is_aware(rows[1]["last_used_at"])
    assert tokens_of.rows(-1) == []
    annotated = PreparedQuery(lambda user_id: AccessToken.objects.filter(user_id=user_id)
                              .only("pk").annotate(size=Length("name")))
    assert [t.size for t in annotated(users["speaker"].pk)] == [7, 7]
    with pytest.raises(ValueError, match="own fields"):
        annotated.rows(users["speaker"].pk)


def test_a_query_whose_shape_changes_is_refused() -> None:
    with pytest.raises(ValueError, match="same shape"):  # the clock read inside
        PreparedQuery(lambda user_id: AccessToken.objects.filter(
            user_id=user_id, expires_at__gt=timezone.now()))(1)
    with pytest.raises(ValueError, match="same shape"):  # a limit from an argument
        PreparedQuery(lambda n: AccessToken.objects.all()[:abs(n) % 7 + 1])(3)
    with pytest.raises(ValueError, match="used"):
        PreparedQuery(lambda user_id: AccessToken.objects.all())(1)
    with pytest.raises(ValueError, match="one model"):
        PreparedQuery(lambda user_id: AccessToken.objects.filter(user_id=user_id)
                      .select_related("user"))(1)
    with pytest.raises(TypeError):
        PreparedQuery(lambda when: AccessToken.objects.filter(expires_at__gt=when))(
            timezone.now())


def test_the_signed_in_user_is_read_once_and_is_hers(users: Any) -> None:
    with translation.override("vi"):
        for who in ("province_officer", "speaker"):
            page = login_client(users[who]).get(PROFILE).content.decode()
            assert f"<dd>{users[who].username}</dd>" in page
