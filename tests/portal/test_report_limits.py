"""The public report form stays open (issue 12, point 4): limits per real client address
behind the proxy, rejected posts not counted, a small sum instead of a refusal past the limit,
and receipt codes that are short, unguessable and easy to read aloud."""

from __future__ import annotations

import html
import re
from typing import Any
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse

from ctip.cases.actions import create_situation
from ctip.cases.models import Situation
from ctip.core.codes import ALPHABET
from ctip.portal import receipts
from ctip.portal.views import REPORTS_PER_HOUR
from tests.portal.test_report import URL, form_data

pytestmark = pytest.mark.django_db
PROXY = "127.0.0.1"
RECEIPT = re.compile(rf"^[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}$")


def post(client: Client, data: dict[str, Any], address: str, forwarded: str | None = None,
         ) -> Any:
    extra = {"REMOTE_ADDR": address}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client.post(URL, data, **extra)


def fill_limit(client: Client, tree: Any, address: str, forwarded: str | None = None) -> None:
    for _ in range(REPORTS_PER_HOUR):
        assert post(client, form_data(tree.commune_a), address, forwarded).status_code == 302


def challenge_of(response: Any) -> tuple[int, str]:
    body = response.content.decode()
    label = re.search(r'<label for="id_challenge_answer">([^<]*)</label>', body)
    assert label, "no challenge on the page"
    a, b = map(int, re.findall(r"\d+", html.unescape(label.group(1)))[:2])
    token = re.search(r'name="challenge_token" value="([^"]+)"', body)
    assert token
    return a + b, token.group(1)


def test_rejected_posts_are_not_counted(client: Client, tree: Any) -> None:
    for _ in range(3 * REPORTS_PER_HOUR):
        assert post(client, form_data(tree.commune_a, description=""), "198.51.100.7"
                    ).status_code == 400
        assert post(client, form_data(tree.commune_a, website="x"), "198.51.100.7"
                    ).status_code == 400
    fill_limit(client, tree, "198.51.100.7")


def test_behind_the_proxy_each_citizen_has_her_own_limit(client: Client, tree: Any,
                                                         settings: Any) -> None:
    assert PROXY in settings.CTIP_TRUSTED_PROXIES  # the documented proxy on the same host
    fill_limit(client, tree, PROXY, "203.0.113.5")
    assert post(client, form_data(tree.commune_a), PROXY, "203.0.113.5").status_code == 429
    # Writing another address into the header does not help: the proxy appends the real one.
    assert post(client, form_data(tree.commune_a), PROXY, "10.1.2.3, 203.0.113.5"
                ).status_code == 429
    # Every other citizen, through the same proxy, is not limited.
    for n in range(1, 4):
        assert post(client, form_data(tree.commune_a), PROXY, f"198.51.100.{n}"
                    ).status_code == 302


def test_the_header_is_ignored_from_anyone_but_the_proxy(client: Client, tree: Any) -> None:
    for n in range(REPORTS_PER_HOUR):
        post(client, form_data(tree.commune_a), "198.51.100.7", f"192.0.2.{n}")
    assert post(client, form_data(tree.commune_a), "198.51.100.7", "192.0.2.99"
                ).status_code == 429


def test_a_flood_from_one_address_does_not_close_the_form_for_others(client: Client,
                                                                     tree: Any) -> None:
    fill_limit(client, tree, "203.0.113.66")
    for _ in range(30):
        post(client, form_data(tree.commune_a), "203.0.113.66")
        post(client, form_data(tree.commune_a, description=""), "203.0.113.66")
    assert post(client, form_data(tree.commune_a), "198.51.100.20").status_code == 302


def test_past_the_limit_a_small_sum_lets_a_person_through(client: Client, tree: Any) -> None:
    address = "198.51.100.7"
    fill_limit(client, tree, address)
    text = "Tin báo thứ sáu: cần giúp gấp ở ấp Mỹ Lộc."
    limited = post(client, form_data(tree.commune_a, description=text), address)
    assert limited.status_code == 429
    body = limited.content.decode()
    assert text in body  # nothing is lost
    assert 'href="tel:111"' in body
    assert "cộng" in body and "trả lời câu hỏi nhỏ" in body
    answer, token = challenge_of(limited)

    wrong = post(client, form_data(tree.commune_a, description=text, challenge_token=token,
                                   challenge_answer=str(answer + 1)), address)
    assert wrong.status_code == 429 and text in wrong.content.decode()
    assert "Câu trả lời chưa đúng" in wrong.content.decode()
    assert Situation.objects.count() == REPORTS_PER_HOUR

    answer, token = challenge_of(wrong)
    sent = post(client, form_data(tree.commune_a, description=text, challenge_token=token,
                                  challenge_answer=f" {answer} "), address)
    assert sent.status_code == 302
    assert Situation.objects.count() == REPORTS_PER_HOUR + 1
    # A solved question works once.
    again = post(client, form_data(tree.commune_a, challenge_token=token,
                                   challenge_answer=str(answer)), address)
    assert again.status_code == 429
    # A forged token does not pass.
    forged = post(client, form_data(tree.commune_a, challenge_token="e30:forged",
                                    challenge_answer="2"), address)
    assert forged.status_code == 429
    assert Situation.objects.count() == REPORTS_PER_HOUR + 1


def test_receipt_codes_are_short_random_and_readable(client: Client, tree: Any) -> None:
    for n in range(4):
        assert post(client, form_data(tree.commune_a), f"198.51.100.{n}").status_code == 302
    codes = list(Situation.objects.values_list("code", flat=True))
    assert len(set(codes)) == 4
    assert all(RECEIPT.match(code) for code in codes), codes
    assert not any(ch in "".join(codes) for ch in "01OIL")
    done_code = codes[0]
    assert receipts.normalise_receipt(done_code.lower().replace("-", " ")) == done_code


def test_a_taken_receipt_code_is_drawn_again(client: Client, tree: Any) -> None:
    post(client, form_data(tree.commune_a), "198.51.100.1")
    taken = Situation.objects.get().code
    fresh = "ABCD-EFGH"
    with mock.patch.object(receipts, "new_receipt_code", side_effect=[taken, fresh]):
        assert post(client, form_data(tree.commune_a), "198.51.100.2").status_code == 302
    assert Situation.objects.filter(code=fresh).exists()
    assert Situation.objects.count() == 2


def test_older_sequential_codes_keep_working(client: Client, tree: Any, users: Any,
                                             client_for: Any) -> None:
    old = create_situation(actor=None, unit=tree.commune_a, category="recruitment",
                           description="Một tin báo cũ.", source=Situation.Source.HOTLINE)
    assert re.match(r"^TN-\d{4}-T\d{5}$", old.code)
    post(client, form_data(tree.commune_a), "198.51.100.1")
    inbox = client_for(users["commune_officer"]).get(
        reverse("cases:situation_detail", args=[old.pk]))
    assert inbox.status_code == 200 and old.code in inbox.content.decode()
