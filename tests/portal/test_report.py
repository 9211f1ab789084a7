"""The public "Báo tin" form: a situation lands in the chosen commune's inbox; the sender gets a
reference code and the hotlines; nothing sent is ever public; bad input gets a clear message;
over the rate limit the text stays on the page; bots filling the hidden field store nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ctip.audit.models import AuditEvent
from ctip.cases.models import Situation
from ctip.portal.views import REPORTS_PER_HOUR

pytestmark = pytest.mark.django_db
URL = "/bao-tin/"


def form_data(commune: Any, **overrides: Any) -> dict[str, Any]:
    data = {"category": "recruitment", "commune": commune.pk, "occurred_on": "2026-07-20",
            "description": "Có người lạ rủ con gái hàng xóm sang nước ngoài làm việc.",
            "identity": "anonymous", "contact": "", "website": ""}
    data.update(overrides)
    return data


def test_form_offers_the_real_communes(client: Client, tree: Any) -> None:
    body = client.get(URL).content.decode()
    assert reverse("portal:report") == URL
    assert '<optgroup label="Tỉnh Tây Ninh">' in body
    assert f'<option value="{tree.commune_a.pk}">Xã Đức Hòa</option>' in body
    assert "Xã Quảng Uyên" in body  # every open commune, in every province
    assert f'value="{tree.branch_a1.pk}"' not in body  # branches are not communes
    assert 'href="tel:111"' in body and 'href="tel:113"' in body
    assert "1800 1567" not in body


def test_a_report_creates_a_situation_in_the_commune_inbox(client: Client, tree: Any) -> None:
    response = client.post(URL, form_data(tree.commune_a, identity="contact",
                                          contact="0912 345 678"), REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 302 and response["Location"] == "/bao-tin/da-gui/"
    situation = Situation.objects.get()
    assert situation.unit == tree.commune_a and situation.handling_unit == tree.commune_a
    assert situation.source == Situation.Source.PUBLIC_FORM
    assert situation.created_by is None
    assert situation.category == "recruitment"
    assert situation.occurred_on == dt.date(2026, 7, 20)
    assert situation.reporter_contact == "0912 345 678"
    # the audit trail does not keep the sender's address
    event = AuditEvent.objects.filter(action="situation.received").latest("id")
    assert event.ip_address is None

    done = client.get(response["Location"]).content.decode()
    assert situation.code in done
    assert 'href="tel:111"' in done and 'href="tel:113"' in done
    assert "Có người lạ rủ con gái hàng xóm" in done
    # shown once: a refresh, or anybody else, sees no details
    again = client.get("/bao-tin/da-gui/").content.decode()
    assert situation.code not in again and "Có người lạ" not in again
    assert situation.code not in Client().get("/bao-tin/da-gui/").content.decode()


def test_what_the_sender_wrote_is_kept_nowhere_in_clear_for_the_receipt(
        client: Client, tree: Any) -> None:
    """The receipt shows the sender what she told once, from her session, which is a row of
    ``django_session`` and an entry of the shared cache: neither may hold her words (they often
    name the person at risk) other than encrypted, as the situation's own column does."""
    from django.contrib.sessions.models import Session
    from django.core.cache import cache

    words = "Chị Nguyễn Thị Lan ở ấp 3 bị ép làm việc"
    client.post(URL, form_data(tree.commune_a, description=words, identity="contact",
                               contact="0912 345 678"))
    key = client.cookies["sessionid"].value
    stored = [repr(cache.get("ctip.session." + key)),
              Session.objects.get(session_key=key).session_data,
              repr(Session.objects.get(session_key=key).get_decoded())]
    for kept in stored:
        assert "Nguyễn Thị Lan" not in kept and "0912 345 678" not in kept
    done = client.get("/bao-tin/da-gui/").content.decode()
    assert "Chị Nguyễn Thị Lan ở ấp 3 bị ép làm việc" in done  # shown to her, once


def test_an_anonymous_report_keeps_no_contact(client: Client, tree: Any) -> None:
    client.post(URL, form_data(tree.commune_b, identity="anonymous", contact="0900 000 000"))
    assert Situation.objects.get().reporter_contact == ""


def test_missing_fields_get_a_clear_message(client: Client, tree: Any) -> None:
    response = client.post(URL, {"identity": "contact", "website": ""})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Vui lòng kiểm tra lại biểu mẫu" in body
    assert "Vui lòng cho biết chuyện gì đã xảy ra." in body
    assert "Vui lòng nhập số điện thoại hoặc Zalo, hoặc chọn giấu tên." in body
    assert 'aria-invalid="true"' in body
    assert 'aria-describedby="id_description_helptext id_description_error"' in body
    assert not Situation.objects.exists()


@pytest.mark.parametrize(("day", "message"), [
    ("2999-01-01", "Ngày này chưa đến."), ("1066-10-14", "Vui lòng nhập ngày sau 01/01/1990."),
    ("31/02/2026", "Nhập ngày theo dạng 30/07/2026."), ("hôm qua", "Nhập ngày theo dạng"),
])
def test_absurd_dates_are_refused(client: Client, tree: Any, day: str, message: str) -> None:
    response = client.post(URL, form_data(tree.commune_a, occurred_on=day))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Situation.objects.exists()


def test_tomorrow_is_the_future_but_today_is_fine(client: Client, tree: Any) -> None:
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    assert client.post(URL, form_data(tree.commune_a, occurred_on=tomorrow.isoformat())
                       ).status_code == 400
    assert client.post(URL, form_data(tree.commune_a,
                                      occurred_on=timezone.localdate().isoformat())
                       ).status_code == 302


def test_50_kb_of_text_is_refused_with_the_limit_and_kept(client: Client, tree: Any) -> None:
    text = "Người môi giới hứa hẹn việc làm. " * 1600  # about 52,000 characters
    assert len(text.encode()) > 50_000
    response = client.post(URL, form_data(tree.commune_a, description=text))
    assert response.status_code == 400
    body = response.content.decode()
    assert f"tối đa 10000 ký tự (hiện có {len(text.strip())} ký tự)" in body
    assert "Người môi giới hứa hẹn việc làm." in body  # the text is still in the form
    assert not Situation.objects.exists()
    ok = client.post(URL, form_data(tree.commune_a, description="x" * 10_000))
    assert ok.status_code == 302


def test_html_and_script_are_stored_as_text_and_always_shown_escaped(
        client: Client, tree: Any, users: dict[str, Any], client_for: Any) -> None:
    attack = '<script>alert("xss")</script><img src=x onerror=alert(1)> Có kẻ lạ.'
    client.post(URL, form_data(tree.commune_a, description=attack))
    situation = Situation.objects.get()
    assert situation.description == attack  # stored as sent

    done = client.get("/bao-tin/da-gui/").content.decode()
    assert "<script>alert" not in done and "<img src=x" not in done
    assert "&lt;script&gt;alert(&quot;xss&quot;)&lt;/script&gt;" in done

    officer = client_for(users["commune_officer"])  # the commune's inbox and the record
    inbox = officer.get(reverse("cases:inbox"))
    assert inbox.status_code == 200 and situation.code in inbox.content.decode()
    detail = officer.get(reverse("cases:situation_detail", args=(situation.pk,)))
    assert detail.status_code == 200
    page = detail.content.decode()
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&quot;xss&quot;)&lt;/script&gt;" in page


def test_nothing_sent_is_ever_shown_publicly(client: Client, tree: Any) -> None:
    from ctip.portal.setup import ensure_bulletin

    ensure_bulletin()
    client.post(URL, form_data(tree.commune_a, description="Bí mật của người báo tin 42"))
    code = Situation.objects.get().code
    other = Client()
    for url in ("/", URL, "/tim-kiem/?q=bi+mat", "/rss/", "/sitemap.xml", "/bao-tin/da-gui/"):
        body = other.get(url).content.decode()
        assert "Bí mật của người báo tin" not in body and code not in body, url


def test_the_honeypot_stores_nothing_and_lets_a_person_resend(client: Client,
                                                              tree: Any) -> None:
    response = client.post(URL, form_data(tree.commune_a, website="http://spam.example"))
    assert response.status_code == 400
    body = response.content.decode()
    assert "Chưa gửi được tin báo" in body
    assert "spam.example" not in body  # the hidden field comes back empty
    assert "Có người lạ rủ con gái" in body
    assert not Situation.objects.exists()
    assert client.post(URL, form_data(tree.commune_a)).status_code == 302


def test_rate_limit_is_polite_and_keeps_the_text(client: Client, tree: Any) -> None:
    for _ in range(REPORTS_PER_HOUR):
        assert client.post(URL, form_data(tree.commune_a), REMOTE_ADDR="198.51.100.7"
                           ).status_code == 302
    text = "Tin báo thứ sáu: cần giúp gấp ở ấp Mỹ Lộc."
    response = client.post(URL, form_data(tree.commune_a, description=text),
                           REMOTE_ADDR="198.51.100.7")
    assert response.status_code == 429
    body = response.content.decode()
    assert "trả lời câu hỏi nhỏ" in body
    assert 'href="tel:111"' in body
    assert text in body  # nothing is lost
    assert Situation.objects.count() == REPORTS_PER_HOUR
    # another address is not limited
    assert client.post(URL, form_data(tree.commune_a), REMOTE_ADDR="198.51.100.8"
                       ).status_code == 302


def test_report_pages_are_never_cached(client: Client, tree: Any) -> None:
    response = client.get(URL)
    assert "no-store" in response["Cache-Control"]
    assert response.get("X-Bulletin-Cache") is None


def test_a_closed_commune_cannot_be_chosen(client: Client, tree: Any) -> None:
    from ctip.org.models import Unit

    Unit.objects.filter(pk=tree.commune_b.pk).update(closed_on=dt.date(2025, 7, 1))
    assert f'value="{tree.commune_b.pk}"' not in client.get(URL).content.decode()
    response = client.post(URL, form_data(tree.commune_b))
    assert response.status_code == 400
    assert "Vui lòng chọn xã, phường trong danh sách." in response.content.decode()


def test_a_report_is_saved_and_acknowledged_when_the_counter_cannot_be_reached(
        client: Client, tree: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The per-address counter lives in the shared cache. Unreachable (Redis down), it limits
    nothing and is not counted: the stored report is never answered with an error page, which
    would make the sender, who cannot check, send it again."""
    from ctip.core import ratelimit

    class Down:
        def __getattr__(self, name: str) -> Any:
            def fail(*args: Any, **kwargs: Any) -> Any:
                raise ConnectionError("the cache is down")
            return fail

    monkeypatch.setattr(ratelimit, "cache", Down())
    response = client.post(URL, form_data(tree.commune_a))
    assert response.status_code == 302 and response["Location"] == "/bao-tin/da-gui/"
    situation = Situation.objects.get()
    assert situation.code in client.get(response["Location"]).content.decode()
