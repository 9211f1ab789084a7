"""Reading offers the way people type them, and every sign of the default library found in
accented, accent-free and teencode text -- without the database."""

from __future__ import annotations

from pathlib import Path

import pytest

from ctip.offers.check import READ_LIMIT, Status, check_offer
from ctip.offers.defaults import DEFAULT_SIGNS
from ctip.offers.evaluation import default_rules, evaluate, load
from ctip.offers.matching import Keyed, amounts, normalise, pattern_problem, tokens

RULES = default_rules()
OFFERS = load(Path(__file__).parent / "offers.jsonl")


def codes(text: str) -> set[str]:
    return {s.code for s in check_offer(text, RULES).signs}


# --- Reading ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("typed", "key"), [
    ("Việc NHẸ lương cao", "viec nhe luong cao"),
    ("vc nhẹ lg cao, k cần kn, sđt 0901", "viec nhe luong cao khong can kinh nghiem so dien "
                                           "thoai 0901"),
    ("ko cần bằng cấp, cty lo hết", "khong can bang cap cong ty lo het"),
    ("✈️ 🇰🇭 💰 🎰", "may bay campuchia tien casino"),
    ("nhẹeeee lắmmm", "nhe lam"),
    ("Easy job, free ticket, passport", "easy viec mien phi ve ho chieu"),
    ("ib zalo https://t.me/tuyendung", "inbox zalo telegram"),
])
def test_text_is_read_as_people_type_it(typed: str, key: str) -> None:
    assert normalise(typed) == key


@pytest.mark.parametrize(("typed", "million_a_month"), [
    ("lương 2k$", 50), ("lương 2k$/tháng", 50), ("lương 3 nghìn đô", 75),
    ("lương 50tr/tháng", 50), ("thu nhập 50 triệu một tháng", 50), ("lương $2,000", 50),
    ("lương 1.500 USD", 37.5), ("lương 15.000.000đ", 15), ("lương 2,5tr", 2.5),
    ("kiếm 500k/ngày", 13), ("lương 15-20tr", 20), ("lg 30 củ", 30), ("lương 1500 đô la", 37.5),
])
def test_amounts_as_people_write_them(typed: str, million_a_month: float) -> None:
    found = amounts(Keyed(typed, tokens(typed)))
    assert [round(a.vnd_month / 1e6, 1) for a in found] == [million_a_month]
    assert found[0].is_pay


def test_a_fee_is_not_pay() -> None:
    text = "phí 100 triệu, đặt cọc 20tr"
    assert not any(a.is_pay for a in amounts(Keyed(text, tokens(text))))


def test_quotes_are_the_words_that_were_pasted() -> None:
    text = "Tuyển gấp!!! Vc NHẸ lg 2k$/tháng 🇰🇭, Cty giữ hộ chiếu nha"
    outcome = check_offer(text, RULES)
    quoted = {q for s in outcome.signs for q in s.matched}
    assert {"Vc NHẸ", "2k$", "Cty giữ hộ chiếu", "🇰🇭"} <= quoted
    assert all(q in text for q in quoted)


def test_a_sign_that_is_denied_is_not_a_sign() -> None:
    assert "documents-kept" not in codes("Công ty tuyệt đối không giữ hộ chiếu của người lao "
                                         "động, có hợp đồng rõ ràng.")
    assert "documents-kept" in codes("Công ty sẽ giữ hộ chiếu của người lao động.")


def test_lao_dong_is_not_laos() -> None:
    assert codes("Tuyển lao động phổ thông làm việc tại Bình Dương, có hợp đồng.") == set()
    assert "risky-destination" in codes("Tuyển người đi làm bên Lào, có người đón.")


def test_nguoi_la_is_a_stranger_only_when_recruiting() -> None:
    assert "social-recruiting" not in codes("Mọi người là công nhân chính thức, có hợp đồng.")
    assert "social-recruiting" in codes("Người lạ rủ em đi làm ở xa.")


# --- Every default sign: accented, accent-free, teencode ---------------------------------------

EXAMPLES: dict[str, list[str]] = {
    "high-pay-light-work": ["Việc nhẹ lương cao, làm văn phòng", "viec nhe luong cao lam van phong",
                            "vc nhẹ lg khủng nha", "chỉ cần biết dùng điện thoại, lương 2k$"],
    "no-experience": ["Không cần kinh nghiệm", "khong can kinh nghiem", "k cần kn",
                      "ko can bang cap"],
    "paid-travel": ["Công ty bao vé máy bay", "cong ty bao ve may bay", "bao vé mb",
                    "lo trọn gói từ A tới Z"],
    "quick-departure": ["Xuất cảnh sau 3 ngày", "xuat canh sau 3 ngay", "bay liền trong tuần",
                        "đi ngay nha"],
    "border-trail": ["Đi đường tiểu ngạch có người đón", "di duong tieu ngach",
                     "đi đg mòn, k cần hc", "sang theo diện du lịch rồi ở lại làm việc"],
    "documents-kept": ["Công ty giữ hộ chiếu", "cong ty giu ho chieu", "cty giữ hc",
                       "nộp căn cước cho chủ"],
    "debt-bondage": ["Tiền vé trừ vào lương", "tien ve tru vao luong", "lm trả nợ dần",
                     "bỏ việc phải đền hợp đồng"],
    "secrecy": ["Đừng nói với gia đình nhé", "dung noi voi gia dinh nhe", "đừng kể cho ai nha",
                "không cho gia đình biết"],
    "social-recruiting": ["Liên hệ Zalo để biết thêm", "lien he zalo", "ib mình nha",
                          "nhắn qua telegram", "Chị mới quen trên fb rủ đi làm",
                          "ng lạ rủ e đi làm xa", "nguoi la ket ban roi hua viec"],
    "casino": ["Tuyển nhân viên sòng bạc", "tuyen nhan vien song bac", "lm dealer casino",
               "🎰 tuyển gấp"],
    "game-company": ["Công ty game bên Campuchia", "cong ty game", "cty game tuyển gấp",
                     "làm game online lương cao"],
    "scam-compound": ["Việc trực máy tính", "viec truc may tinh", "trực page bên cam",
                      "chăm sóc khách hàng online ở Campuchia"],
    "kpi": ["Chạy KPI hằng ngày", "chay kpi hang ngay", "k đủ kpi bị phạt", "đạt KPI mới có lương"],
    "marriage-broker": ["Lấy chồng Trung Quốc, gia đình được 100 triệu",
                        "lay chong trung quoc", "lấy chồng tq ib e",
                        "môi giới hôn nhân, bố mẹ em sẽ được 150 triệu"],
    "under-18": ["Nhận bạn từ 16 tuổi", "nhan ban tu 16 tuoi", "tuyển e từ 15t",
                 "chưa đủ 18 cũng được"],
    "risky-destination": ["Làm việc ở Campuchia", "lam viec o campuchia", "đi cpc làm",
                          "🇲🇲 tuyển gấp"],
    "no-contract": ["Không cần hợp đồng", "khong can hop dong", "sang đó ký hđ sau",
                    "hợp đồng miệng thôi"],
    "upfront-deposit": ["Chuyển khoản đặt cọc trước", "chuyen khoan coc truoc",
                        "nộp tiền trước giữ chỗ", "phí giữ chỗ 500k"],
}


def test_every_default_sign_has_examples() -> None:
    assert set(EXAMPLES) == {s["code"] for s in DEFAULT_SIGNS}


@pytest.mark.parametrize(("code", "text"), [(c, t) for c, ts in EXAMPLES.items() for t in ts])
def test_each_sign_is_found_however_it_is_typed(code: str, text: str) -> None:
    outcome = check_offer(text, RULES)
    found = {s.code: s for s in outcome.signs}
    assert code in found, f"{code} not found in {text!r}: {list(found)}"
    assert all(q in text for q in found[code].matched)


def test_every_default_sign_is_met_in_the_labelled_offers() -> None:
    met = {s.code for o in OFFERS if o["label"] == "risky"
           for s in check_offer(o["text"], RULES).signs}
    assert met == {s["code"] for s in DEFAULT_SIGNS}


# --- The labelled offers ----------------------------------------------------------------------

def test_the_labelled_set_is_large_and_varied() -> None:
    assert len(OFFERS) >= 150
    assert len({o["id"] for o in OFFERS}) == len(OFFERS)
    risky = [o for o in OFFERS if o["label"] == "risky"]
    honest = [o for o in OFFERS if o["label"] == "honest"]
    assert len(risky) >= 90 and len(honest) >= 50
    for group in (risky, honest):
        assert {"job", "study", "marriage", "travel", "loan"} <= {o["kind"] for o in group}
    assert {"accents", "plain", "teencode", "emoji", "mixed"} <= {o["style"] for o in risky}


def test_recall_on_risky_and_correct_on_honest() -> None:
    scores = evaluate(OFFERS, RULES)
    assert scores.recall >= 0.90, f"missed risky offers: {scores.misses}"
    assert scores.honest_correct >= 0.85, f"honest offers flagged: {scores.false_alarms}"


# --- Bad input and speed ----------------------------------------------------------------------

def test_bad_input_gets_a_clear_status() -> None:
    assert check_offer("", RULES).status == Status.EMPTY
    assert check_offer("   \n ", RULES).status == Status.EMPTY
    assert check_offer("xin chào", RULES).status == Status.TOO_SHORT
    assert check_offer("https://bit.ly/viec-lam-tot", RULES).status == Status.LINK_ONLY
    html = check_offer("<script>alert(1)</script><b>Việc nhẹ lương cao</b> ở Campuchia", RULES)
    assert html.had_html and {"high-pay-light-work", "risky-destination"} <= {
        s.code for s in html.signs}
    assert all("<" not in q for s in html.signs for q in s.matched)
    null = check_offer("việc nhẹ\x00 lương cao", RULES)
    assert null.status == Status.CHECKED


def test_a_huge_paste_is_read_up_to_the_limit() -> None:
    """Only the first READ_LIMIT characters are read (the time of a check is measured in
    ``benchmarks/offers``): a sign after them is not found, one before them is."""
    head = "Việc nhẹ lương cao ở Campuchia, bao vé, đi ngay. "
    text = (head * 3000)[:100_000]
    outcome = check_offer(text, RULES)
    assert outcome.truncated and outcome.length == 100_000 and READ_LIMIT < 100_000
    assert outcome.level == "high"
    late = "Một đoạn văn bình thường về thời tiết. " * 300 + "Công ty giữ hộ chiếu."
    assert len(late) > READ_LIMIT
    assert "documents-kept" not in codes(late)
    assert "documents-kept" in codes(late[-READ_LIMIT:])


def test_editors_patterns_are_checked() -> None:
    assert pattern_problem(r"lay chong (?:tq|han)") is None
    assert pattern_problem(r"(a+)+b") == "nested"
    assert pattern_problem(r"(?:\w+\s)*x") == "nested"
    assert pattern_problem(r"lay chong (") == "invalid"
    assert pattern_problem("a" * 301) == "too_long"
