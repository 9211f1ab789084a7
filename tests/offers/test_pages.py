"""The public page, the JSON interface and the signs library, with the database: what a person
sees, the one tap to a pre-filled report, bad input, the rate limit, nothing kept anywhere,
and editors' changes counting at once."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from django.apps import apps
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils.html import escape
from django.views.debug import ExceptionReporter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ctip.audit.models import AuditEvent
from ctip.cases.models import Situation
from ctip.core.ratelimit import Limit
from ctip.offers import views
from ctip.offers.models import WarningSign
from ctip.portal import receipts
from ctip.portal.permissions import EDITORS, PUBLISHERS
from tests.conftest import login_client
from tests.portal.conftest import add_article, add_section, bulletin_home

pytestmark = pytest.mark.django_db
PAGE = "/kiem-tra-loi-moi/"
API = "/api/v1/public/offer-check"
# A marker that must never leave the request: it is in every text pasted below.
SECRET = "Zq7MarkerOfThePastedText"
RISKY = (f"Chị {SECRET} ơi, tuyển gấp nữ đi Cam trực máy tính, vc nhẹ lg 2k$/tháng, bao vé, "
         "cty giữ hộ chiếu, đừng nói với gia đình nhé. <script>alert(1)</script>")


def api(client: Client, payload: Any) -> Any:
    body = payload if isinstance(payload, str) else json.dumps(payload)
    return client.post(API, body, content_type="application/json")


# --- The page ---------------------------------------------------------------------------------

def test_the_page_says_nothing_is_kept_and_is_linked_from_the_bulletin(client: Client,
                                                                        tree: Any) -> None:
    assert reverse("offers:check") == PAGE
    body = client.get(PAGE).content.decode()
    assert "Những gì bạn dán không được lưu lại" in body
    assert 'name="text"' in body and "<script>" not in body.split("</head>")[1]
    report_form = client.get("/bao-tin/").content.decode()
    assert f'href="{PAGE}"' in report_form  # in the header and in the form's text
    assert report_form.count(f'href="{PAGE}"') >= 2


def test_an_article_linked_to_a_sign_points_to_the_check(client: Client) -> None:
    section = add_section(bulletin_home(), "Cảnh báo")
    linked = add_article(section, "Bẫy việc nhẹ lương cao ở Campuchia")
    other = add_article(section, "Hội nghị tổng kết năm")
    sign = WarningSign.objects.get(code="high-pay-light-work")
    sign.articles.add(linked)
    sign.save()
    assert "Kiểm tra tại đây" in client.get(linked.url).content.decode()
    assert "Kiểm tra tại đây" not in client.get(other.url).content.decode()


def test_a_risky_offer_shows_level_signs_quotes_and_what_to_do(client: Client) -> None:
    section = add_section(bulletin_home(), "Cảnh báo")
    article = add_article(section, "Khi người tuyển đòi giữ hộ chiếu")
    sign = WarningSign.objects.get(code="documents-kept")
    sign.articles.add(article)
    sign.save()
    response = client.post(PAGE, {"text": RISKY})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Rủi ro cao." in body
    for quote in ["cty giữ hộ chiếu", "đừng nói với gia đình", "2k$", "trực máy tính"]:
        assert f"<q>{quote}</q>" in body
    assert "Bị giữ hộ chiếu hoặc giấy tờ tùy thân" in body
    assert "dolab.gov.vn" in body and 'href="tel:111"' in body
    assert "hợp đồng bằng văn bản" in body  # the written contract
    kept = WarningSign.objects.get(code="documents-kept")
    asked = [q for q in kept.questions.splitlines() if q.strip()]
    assert asked and all(escape(q.strip()) in body for q in asked)  # questions to the recruiter
    assert article.title in body
    assert "<script>alert(1)</script>" not in body and "&lt;script&gt;" in body
    assert response["Cache-Control"].startswith("max-age=0") or "no-store" in response[
        "Cache-Control"]


def test_one_tap_opens_the_report_form_filled_in_and_stores_nothing(client: Client,
                                                                     tree: Any) -> None:
    body = client.post(PAGE, {"text": RISKY}).content.decode()
    assert f'action="{reverse("portal:report")}"' in body
    description = body.split('name="description" value="')[1].split('"')[0]
    report = client.post(reverse("portal:report"), {
        "prefill": "offer", "category": "recruitment",
        "description": description.replace("&lt;", "<").replace("&gt;", ">")
                                  .replace("&quot;", '"').replace("&#x27;", "'")
                                  .replace("&amp;", "&")})
    page = report.content.decode()
    assert report.status_code == 200
    assert '<option value="recruitment" selected>' in page
    assert SECRET in page and "Bị giữ hộ chiếu" in page  # the offer and the signs found
    assert 'id="form-errors"' not in page  # a form to complete, not a refused one
    assert Situation.objects.count() == 0
    # The person then chooses the commune and the contact, and sends.
    sent = client.post(reverse("portal:report"), {
        "category": "recruitment", "commune": tree.commune_a.pk, "identity": "anonymous",
        "description": f"Lời mời tôi nhận được: {SECRET}", "contact": "", "website": ""})
    assert sent.status_code == 302
    assert Situation.objects.get().unit == tree.commune_a


@pytest.mark.parametrize(("text", "message"), [
    ("", "Bạn chưa dán gì"),
    ("   ", "Bạn chưa dán gì"),
    ("alo em", "quá ngắn để đánh giá"),
    ("https://bit.ly/viec-lam-ngon", "trang này không mở link"),
    ("<b>xin chào các bạn, mình cần tìm việc làm</b>", "mã web (HTML)"),
])
def test_bad_input_gets_a_clear_answer(client: Client, text: str, message: str) -> None:
    response = client.post(PAGE, {"text": text})
    assert response.status_code == 200
    assert message in response.content.decode()


def test_a_huge_paste_is_read_in_part_and_says_so(client: Client) -> None:
    text = ("Việc nhẹ lương cao ở Campuchia, bao vé, đi ngay. " * 3000)[:99_999] + "!"
    body = client.post(PAGE, {"text": text}).content.decode()
    assert "100.000 ký tự" in body and "8.000 ký tự đầu" in body
    assert "Rủi ro cao." in body


def test_a_null_character_is_refused_with_the_text_kept(client: Client) -> None:
    response = client.post(PAGE, {"text": "việc nhẹ\x00 lương cao"})
    assert response.status_code == 400
    assert "Không được dùng ký tự NUL" in response.content.decode()


def test_over_the_limit_a_small_sum_then_the_answer(client: Client,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(views, "CHECK_LIMIT", Limit("offers:test-rate", 2, 3600))
    for _ in range(2):
        assert client.post(PAGE, {"text": RISKY}).status_code == 200
    refused = client.post(PAGE, {"text": RISKY})
    body = refused.content.decode()
    assert refused.status_code == 429 and "Rủi ro" not in body
    assert SECRET in body  # the text is still in the box
    token = body.split('name="challenge_token" value="')[1].split('"')[0]
    data = signing.loads(token, salt=receipts.CHALLENGE_SALT)
    answer = str(data["a"] + data["b"])
    passed = client.post(PAGE, {"text": RISKY, "challenge_token": token,
                                "challenge_answer": answer})
    assert passed.status_code == 200 and "Rủi ro cao." in passed.content.decode()
    # The JSON interface shares the limit and answers 429 with a Retry-After.
    limited = api(client, {"text": RISKY})
    assert limited.status_code == 429 and limited["Retry-After"] == "3600"
    assert "Quá nhiều lượt kiểm tra" in limited.json()["detail"]


# --- Nothing is kept --------------------------------------------------------------------------

def _row_counts() -> dict[str, int]:
    return {m._meta.label: m._base_manager.count() for m in apps.get_models()
            if not m._meta.proxy and m._meta.managed}


def test_the_text_is_not_stored_logged_audited_or_cached(client: Client, tree: Any,
                                                          caplog: pytest.LogCaptureFixture,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    monkeypatch.setattr(views, "CHECK_LIMIT", Limit("offers:test-rate", 2, 3600))
    client.get(PAGE)
    before = _row_counts()
    caplog.set_level(logging.DEBUG)
    client.post(PAGE, {"text": RISKY})
    api(client, {"text": RISKY})
    client.post(PAGE, {"text": RISKY})  # over the limit
    api(client, {"text": RISKY})
    client.post(PAGE, {"text": RISKY + "\x00"})  # refused
    api(client, f'{{"text": "{SECRET}", broken')
    assert _row_counts() == before
    assert not [r for r in caplog.records if SECRET in r.getMessage() or SECRET in str(r.args)]
    assert not AuditEvent.objects.filter(changes__icontains=SECRET).exists()
    stored = getattr(cache, "_cache", {})
    assert not any(SECRET.encode() in (v if isinstance(v, bytes) else str(v).encode())
                   for v in stored.values())


def test_an_error_report_does_not_show_the_text(client: Client,
                                                caplog: pytest.LogCaptureFixture,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(text: str, rules: Any = None) -> Any:
        raise RuntimeError("broken library")

    monkeypatch.setattr(views, "check_offer", broken)
    client.raise_request_exception = False
    caplog.set_level(logging.ERROR, logger="django.request")
    assert client.post(PAGE, {"text": RISKY}).status_code == 500
    record = next(r for r in caplog.records if r.exc_info)
    reporter = ExceptionReporter(record.request, *record.exc_info)  # type: ignore[attr-defined]
    assert "broken library" in reporter.get_traceback_text()
    assert SECRET not in reporter.get_traceback_text()
    assert SECRET not in reporter.get_traceback_html()


# --- The JSON interface -----------------------------------------------------------------------

def test_api_answers_level_signs_and_articles(client: Client) -> None:
    section = add_section(bulletin_home(), "Cảnh báo")
    article = add_article(section, "Bẫy 'công ty game'")
    sign = WarningSign.objects.get(code="scam-compound")
    sign.articles.add(article)
    sign.save()
    response = api(client, {"text": RISKY})
    assert response.status_code == 200
    data = response.json()
    assert data["level"] == "high" and data["status"] == "checked"
    signs = {s["code"]: s for s in data["signs"]}
    assert signs["documents-kept"]["matched"] == ["cty giữ hộ chiếu"]
    # the shape of issue #19.4: each sign exactly {code, title, explanation, matched}
    assert all(set(s) == {"code", "title", "explanation", "matched"} for s in data["signs"])
    assert all(isinstance(s["matched"], list) and all(isinstance(q, str) for q in s["matched"])
               for s in data["signs"])
    assert {"level", "signs", "articles"} <= set(data)
    assert data["articles"] == [{"title": article.title,
                                 "url": "http://testserver" + article.url}]
    assert data["links_followed"] is False


@pytest.mark.parametrize(("payload", "status", "level"), [
    ({"text": ""}, "empty", "low"), ({}, "empty", "low"), ({"text": "alo"}, "too_short", "low"),
    ({"text": "https://t.me/viec_lam"}, "link_only", "low"),
    ({"text": "Công ty may tuyển công nhân, lương 8 triệu/tháng, có hợp đồng và BHXH."},
     "checked", "low"),
])
def test_api_bad_or_harmless_input(client: Client, payload: Any, status: str, level: str
                                   ) -> None:
    data = api(client, payload).json()
    assert (data["status"], data["level"], data["signs"]) == (status, level, [])
    assert data["message"]


@pytest.mark.parametrize("body", ["not json", '{"text": 5}', '{"text": null}', '{"text": '])
def test_api_refuses_what_is_not_an_offer_in_vietnamese(client: Client, body: str) -> None:
    response = api(client, body)
    assert response.status_code == 400
    assert "Hãy gửi JSON" in response.json()["detail"]


def test_api_reads_only_the_first_characters(client: Client) -> None:
    data = api(client, {"text": "Việc nhẹ lương cao. " * 10_000}).json()
    assert data["truncated"] is True and data["read_chars"] == 8000
    assert "8000" in data["message"] or "8.000" in data["message"]


def test_api_is_public_without_csrf(tree: Any) -> None:
    strict = Client(enforce_csrf_checks=True)
    assert api(strict, {"text": RISKY}).status_code == 200
    assert strict.get(API).status_code == 405


# --- The library in the CMS -------------------------------------------------------------------

def test_the_default_library_is_shipped() -> None:
    assert WarningSign.objects.filter(active=True).count() >= 16


def test_an_editors_change_counts_at_the_next_check(client: Client) -> None:
    text = "Tuyển người bán hàng đa cấp, lương thỏa thuận, có hợp đồng."
    assert api(client, {"text": text}).json()["signs"] == []
    sign = WarningSign.objects.get(code="upfront-deposit")
    sign.phrases += "\nbán hàng đa cấp"
    sign.save()
    assert [s["code"] for s in api(client, {"text": text}).json()["signs"]] == [
        "upfront-deposit"]
    sign.active = False
    sign.save()
    assert api(client, {"text": text}).json()["signs"] == []


def test_a_bad_pattern_is_refused_in_vietnamese() -> None:
    sign = WarningSign(code="thu", title="Thử", explanation="Thử", weight=2,
                       patterns="lay chong (\n(a+)+b")
    with pytest.raises(ValidationError) as refused:
        sign.full_clean()
    messages = refused.value.message_dict["patterns"]
    assert any("Dòng 1" in m for m in messages) and any("Dòng 2" in m for m in messages)


def test_province_editors_keep_the_library_and_changes_are_audited(users: dict[str, Any]
                                                                    ) -> None:
    from django.contrib.auth.models import Group

    for name in (EDITORS, PUBLISHERS):
        codenames = set(Group.objects.get(name=name).permissions.values_list("codename",
                                                                             flat=True))
        assert {"add_warningsign", "change_warningsign"} <= codenames
    client = login_client(users["editor"])
    listing = client.get("/cms/snippets/offers/warningsign/")
    assert listing.status_code == 200 and "Lương cao bất thường" in listing.content.decode()
    sign = WarningSign.objects.get(code="kpi")
    edit = f"/cms/snippets/offers/warningsign/edit/{sign.pk}/"
    form = client.get(edit)
    assert form.status_code == 200
    data = {"title": sign.title, "code": sign.code, "explanation": sign.explanation,
            "questions": sign.questions, "weight": "4", "phrases": sign.phrases,
            "patterns": sign.patterns, "pay_threshold": "", "pay_context": "",
            "active": "on", "sort_order": "10"}
    saved = client.post(edit, data)
    assert saved.status_code == 302, saved.content.decode()[:2000]
    assert WarningSign.objects.get(pk=sign.pk).weight == 4
    event = AuditEvent.objects.get(action="offers.sign.edited")
    assert event.actor == users["editor"] and event.target_label == "kpi"
    assert login_client(users["viewer"]).get(
        "/cms/snippets/offers/warningsign/").status_code in {302, 403}


# --- Never an error page ----------------------------------------------------------------------

_WORDS = st.sampled_from(["việc nhẹ lương cao", "vc nhe lg cao", "2k$", "50tr", "Campuchia",
                          "🇰🇭", "✈️", "<b>", "</script>", "&amp;", "https://t.me/x", "ib",
                          "giữ hộ chiếu", "\u200b", "\ufeff", "\r\n", "%s", "{{ x }}", "'\""])
_OFFERS = st.one_of(
    st.text(max_size=400),
    st.lists(_WORDS, max_size=40).map(" ".join),
    st.builds(lambda w, n: w * n, _WORDS, st.integers(1, 20_000)),
)
_SETTINGS = settings(max_examples=40, deadline=None, derandomize=True,
                     suppress_health_check=[HealthCheck.function_scoped_fixture,
                                            HealthCheck.too_slow])


@_SETTINGS
@given(text=_OFFERS)
def test_the_page_answers_any_paste_without_an_error_page(
        client: Client, monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr(views, "CHECK_LIMIT", Limit("offers:fuzz-rate", 10**9, 3600))
    response = client.post(PAGE, {"text": text})
    body = response.content.decode()
    assert response.status_code in (200, 400), response.status_code
    assert 'id="ket-qua"' in body and 'name="text"' in body  # an answer, and the box again
    assert "<script>" not in body.split("</head>")[1]


@_SETTINGS
@given(body=st.one_of(
    _OFFERS.map(lambda t: json.dumps({"text": t})),
    st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                 lambda inner: st.lists(inner, max_size=3)
                 | st.dictionaries(st.text(max_size=5), inner, max_size=3),
                 max_leaves=8).map(lambda v: json.dumps({"text": v})),
    st.text(max_size=200),
))
def test_the_json_interface_answers_any_body_in_its_shape(
        client: Client, monkeypatch: pytest.MonkeyPatch, body: str) -> None:
    monkeypatch.setattr(views, "CHECK_LIMIT", Limit("offers:fuzz-rate", 10**9, 3600))
    response = api(client, body)
    assert response.status_code in (200, 400), response.status_code
    data = response.json()
    if response.status_code == 400:
        assert "Hãy gửi JSON" in data["detail"]
    else:
        assert data["level"] in ("low", "medium", "high") and data["message"]
        assert all(set(s) == {"code", "title", "explanation", "matched"} for s in data["signs"])
        assert isinstance(data["articles"], list)


def test_the_bulletin_header_links_to_the_check(client: Client) -> None:
    home = client.get(bulletin_home().url).content.decode()
    header = home.split("<header", 1)[1].split("</header>", 1)[0]
    assert f'href="{PAGE}"' in header
