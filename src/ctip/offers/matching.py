"""Reading an offer the way people type it, and finding the warning signs in it.

Pure functions, no database: ``ctip.offers.library`` turns the editors' signs into ``Rule``
objects and ``check`` runs them. The pasted text is never logged or stored: the functions that
hold it are marked ``sensitive_variables`` so that an error report does not show it either.

The text is cut into tokens (words, numbers with their units, emoji); each token becomes its
*key*: without accents, lower case, teencode and common English words written out ("lg" →
"luong", "k" → "khong", "passport" → "ho chieu"), emoji named ("✈️" → "may bay"). Phrases and
patterns are matched on the keys, and each match is mapped back to the words the person pasted,
which the answer quotes.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.views.decorators.debug import sensitive_variables

from ctip.core.text import fold

# --- Tokens -----------------------------------------------------------------------------------

URL_PATTERN = re.compile(r"(?:https?://|www\.)\S+|\b[\w-]+(?:\.[\w-]+)*\.(?:com|vn|net|me|org|info|"
                  r"xyz|top|io|link|site|online|shop)(?:/\S*)?", re.IGNORECASE)
_NUMBER = r"\d+(?:[.,]\d+)*"
_TOKEN = re.compile(rf"(?P<num>{_NUMBER})(?P<unit>[^\W\d_]*)|(?P<word>[^\W\d_]+)|(?P<sym>[$€¥₫+])"
                    r"|(?P<flag>[\U0001F1E6-\U0001F1FF]{2})|(?P<emoji>[^\w\s])")

# Teencode, abbreviations and mixed English, token by token (already without accents).
TEENCODE: dict[str, str] = {
    "k": "khong", "ko": "khong", "kh": "khong", "kg": "khong", "khg": "khong", "hok": "khong",
    "hk": "khong", "k0": "khong", "khum": "khong", "kp": "khong phai",
    "lg": "luong", "luog": "luong", "vc": "viec", "vl": "viec lam", "dc": "duoc", "dk": "duoc",
    "sdt": "so dien thoai",
    "cty": "cong ty", "ct": "cong ty", "cti": "cong ty", "ng": "nguoi", "ngta": "nguoi ta",
    "nc": "nuoc", "ns": "noi", "j": "gi", "bn": "bao nhieu", "mn": "moi nguoi",
    "ib": "inbox", "ibx": "inbox", "zl": "zalo", "fb": "facebook", "face": "facebook",
    "tele": "telegram", "tg": "telegram", "xkld": "xuat khau lao dong", "xk": "xuat khau",
    "ld": "lao dong", "cpc": "campuchia", "kpc": "campuchia",
    "cambodia": "campuchia", "myanma": "myanmar", "mianma": "myanmar", "burma": "myanmar",
    "hs": "hoc sinh", "hdld": "hop dong lao dong", "hd": "hop dong",
    "dt": "dien thoai", "vs": "voi", "ms": "moi", "bik": "biet", "bit": "biet", "bjk": "biet",
    "bít": "biet", "lm": "lam", "cx": "cung", "cg": "cung", "r": "roi", "wa": "qua",
    "cko": "cho", "ch0": "cho", "fai": "phai", "zui": "vui", "ik": "di", "dj": "di",
    "nhju": "nhieu", "nhiu": "nhieu", "ntn": "nhu the nao", "hc": "ho chieu",
    "passport": "ho chieu", "pp": "ho chieu", "salary": "luong", "job": "viec", "jobs": "viec",
    "free": "mien phi", "ticket": "ve", "tickets": "ve", "tr": "trieu",
    "cccd": "can cuoc", "cmnd": "can cuoc", "cmt": "can cuoc", "kn": "kinh nghiem",
    "knghiem": "kinh nghiem", "exp": "kinh nghiem", "ad": "admin", "pm": "inbox",
    "dub": "dubai", "mb": "may bay", "tq": "trung quoc", "hq": "han quoc", "nb": "nhat ban",
    "vn": "viet nam", "tphcm": "thanh pho ho chi minh", "sg": "sai gon", "ok": "ok",
    "lun": "luon", "ck": "chuyen khoan",
}
# Units written after a number ("50tr", "2k", "3 nghìn đô").
UNITS: dict[str, str] = {
    "k": "k", "tr": "trieu", "trieu": "trieu", "cu": "trieu", "m": "trieu", "ty": "ty",
    "ti": "ty", "nghin": "nghin", "ngan": "nghin", "usd": "usd", "do": "usd", "dola": "usd",
    "d": "vnd", "vnd": "vnd", "dong": "vnd", "te": "te", "yen": "yen", "won": "won",
    "kusd": "k usd", "ktr": "k trieu",
}
SYMBOLS = {"$": "usd", "€": "usd", "¥": "te", "₫": "vnd", "+": "tro len"}
EMOJI: dict[str, str] = {
    "✈": "may bay", "🛫": "may bay", "🛬": "may bay", "💰": "tien", "💵": "tien", "💲": "tien",
    "🤑": "tien", "💸": "tien", "💴": "tien", "💶": "tien", "🎰": "casino", "🃏": "casino",
    "🎲": "casino", "♠": "casino", "🤫": "bi mat", "🔒": "bi mat", "🏖": "du lich",
    "🧳": "du lich", "📱": "dien thoai", "💻": "may tinh", "🖥": "may tinh", "🎮": "game",
    "💍": "ket hon", "👰": "ket hon", "💒": "ket hon",
}
FLAGS = {"KH": "campuchia", "MM": "myanmar", "LA": "lao", "CN": "trung quoc",
         "TW": "dai loan", "KR": "han quoc", "JP": "nhat ban", "AE": "dubai", "TH": "thai lan",
         "MY": "malaysia", "PH": "philippines"}
LINK_HINTS = {"t.me": "telegram", "telegram": "telegram", "zalo": "zalo",
              "facebook": "facebook", "fb.com": "facebook", "m.me": "facebook"}
_REPEATS = re.compile(r"([a-z])\1{2,}")


@dataclass(frozen=True)
class Token:
    key: str
    start: int
    end: int


def _fold_word(word: str) -> str:
    return _REPEATS.sub(r"\1", fold(word))


def _flag(pair: str) -> str:
    letters = "".join(chr(ord(c) - 0x1F1E6 + ord("A")) for c in pair)
    return FLAGS.get(letters, "")


def _link_hint(url: str) -> str:
    low = url.lower()
    return next((hint for host, hint in LINK_HINTS.items() if host in low), "lien ket")


@sensitive_variables("text")
def tokens(text: str) -> list[Token]:
    """The keys of ``text``, each with the span of the words it came from."""
    found: list[Token] = []
    pos = 0
    for url in URL_PATTERN.finditer(text):
        found.extend(_word_tokens(text, pos, url.start()))
        found.append(Token(_link_hint(url.group()), url.start(), url.end()))
        pos = url.end()
    found.extend(_word_tokens(text, pos, len(text)))
    return found


@sensitive_variables("text", "seen")
def _word_tokens(text: str, start: int, end: int) -> Iterable[Token]:
    seen: dict[str, str] = {}  # the keys of the words met in this text: only for this call
    for m in _TOKEN.finditer(text, start, end):
        if m.group("num"):
            unit = _fold_word(m.group("unit"))
            key = m.group("num") + (" " + UNITS.get(unit, TEENCODE.get(unit, unit)) if unit else "")
        elif m.group("word"):
            raw = m.group("word")
            key = seen.get(raw, "")
            if not key:
                word = _fold_word(raw)
                key = seen[raw] = TEENCODE.get(word, word)
        elif m.group("sym"):
            key = SYMBOLS[m.group("sym")]
        elif m.group("flag"):
            key = _flag(m.group("flag"))
        else:
            ch = m.group("emoji")
            key = EMOJI.get(ch, "")
            if not key and unicodedata.category(ch) == "Lo":  # other scripts: keep as they are
                key = ch
        if key:
            yield Token(key, m.start(), m.end())


def normalise(text: str) -> str:
    """The key of a whole text: what phrases and patterns are matched on."""
    return " ".join(t.key for t in tokens(text))


# --- The text as keys, with the way back to the words ----------------------------------------

@dataclass
class Keyed:
    text: str
    tokens: list[Token]
    key: str = ""
    starts: list[int] = field(default_factory=list)  # key offset where each token starts

    def __post_init__(self) -> None:
        parts, offset = [], 0
        for token in self.tokens:
            self.starts.append(offset)
            parts.append(token.key)
            offset += len(token.key) + 1
        self.key = " ".join(parts)

    def _token_at(self, offset: int) -> int:
        return max(0, bisect.bisect_right(self.starts, offset) - 1)

    def quote(self, start: int, end: int) -> str:
        """The pasted words behind the key span [start, end)."""
        if not self.tokens:
            return ""
        first, last = self._token_at(start), self._token_at(max(start, end - 1))
        words = self.text[self.tokens[first].start:self.tokens[last].end]
        words = " ".join(words.split())
        return words if len(words) <= QUOTE_MAX else words[:QUOTE_MAX - 1] + "…"

    def words_before(self, start: int, count: int) -> list[str]:
        index = self._token_at(start)
        words = [w for t in self.tokens[max(0, index - count):index] for w in t.key.split()]
        return words[-count:]


QUOTE_MAX = 90
NEGATIONS = {"khong", "chang", "never", "not"}


# --- Amounts --------------------------------------------------------------------------------

USD = 25_000  # ₫ per dollar, rounded: only used to compare pay with the market
RATES = {"usd": USD, "te": 3_500, "yen": 170, "won": 18, "vnd": 1}
_N = r"\d+(?:[.,]\d+)*"
_AMOUNT = re.compile(
    rf"(?<![\w.,])(?P<pre>usd )?(?:(?P<low>{_N}) (?:den |toi )?)?(?P<num>{_N})"
    r"(?: (?P<mult>k|nghin|trieu|cu|ty)\b)?(?: (?P<cur>usd|vnd|dong|te|yen|won|dola|dollar|do)\b)?"
    r"(?=(?P<after>(?: [a-z]+){0,3}))")
_PAY_BEFORE = re.compile(r"\b(?:luong|thu nhap|kiem|kiem duoc|salary|income|earn|hoa hong|"
                         r"thuong|tra|nhan)\b")
_FEE_BEFORE = re.compile(r"\b(?:phi|coc|dat coc|no|vay|ky quy|hoc phi|gia|chi phi|ve|"
                         r"boi thuong|den bu)\s*$")
PERIODS = (("ngay", 26.0), ("day", 26.0), ("tuan", 4.3), ("week", 4.3), ("nam", 1 / 12),
           ("year", 1 / 12), ("gio", 208.0), ("hour", 208.0), ("thang", 1.0), ("month", 1.0))


def _number(raw: str) -> float:
    parts = re.split(r"[.,]", raw)
    if len(parts) > 1 and all(len(p) == 3 for p in parts[1:]):
        return float("".join(parts))  # 15.000.000 or 2,000: thousands separators
    return float(raw.replace(",", "."))


@dataclass(frozen=True)
class Amount:
    vnd_month: float
    start: int
    end: int
    is_pay: bool


def amounts(keyed: Keyed) -> list[Amount]:
    """Sums of money in the text, in ₫ a month where a period is given (else as written)."""
    found = []
    for m in _AMOUNT.finditer(keyed.key):
        mult, cur = m.group("mult"), m.group("cur")
        if m.group("pre"):
            cur = cur or "usd"
        if cur in {"dola", "dollar", "do"}:
            cur = "usd"
        elif cur == "dong":
            cur = "vnd"
        if mult is None and cur is None:
            continue
        value = _number(m.group("num"))
        value *= {"k": 1_000, "nghin": 1_000, "trieu": 1e6, "cu": 1e6, "ty": 1e9, None: 1}[mult]
        if cur is None and mult == "k" and value < 1000:
            value = 0.0
        value *= RATES.get(cur or "vnd", 1)
        after = m.group("after")
        period = next((f for word, f in PERIODS
                       if re.match(rf" (?:mot |1 |moi |per |a |each )?{word}\b", after)), None)
        before = keyed.key[max(0, m.start() - 40):m.start()]
        is_pay = bool(period or _PAY_BEFORE.search(before)) and not _FEE_BEFORE.search(before)
        end = max(m.end(g) for g in ("num", "mult", "cur") if m.group(g))
        found.append(Amount(value * (period or 1.0), m.start(), end, is_pay))
    return found


# --- Rules ----------------------------------------------------------------------------------

_PATTERN_MAX = 300
_NESTED = re.compile(r"\([^()]*[+*][^()]*\)(?:[+*]|\{\d*,\})")  # (a+)+ : catastrophic


def phrase_pattern(phrases: Iterable[str]) -> str:
    """One pattern for a list of phrases: each normalised like the text, whole words only."""
    keys = sorted({normalise(p) for p in phrases if p.strip()} - {""}, key=len, reverse=True)
    return "|".join(r"\s".join(re.escape(w) for w in k.split()) for k in keys)


def pattern_problem(pattern: str) -> str | None:
    """Why an editor's pattern cannot be used (None if it can)."""
    if len(pattern) > _PATTERN_MAX:
        return "too_long"
    if _NESTED.search(pattern):
        return "nested"
    try:
        re.compile(pattern)
    except re.error:
        return "invalid"
    return None


@dataclass
class Rule:
    code: str
    title: str
    explanation: str
    weight: int
    phrases: list[str] = field(default_factory=list)
    patterns: list[str] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)
    pay_threshold: float | None = None  # million ₫ a month
    pay_context: list[str] = field(default_factory=list)
    article_ids: list[int] = field(default_factory=list)
    compiled: re.Pattern[str] | None = None
    context: re.Pattern[str] | None = None

    def __post_init__(self) -> None:
        alternatives = [p for p in [phrase_pattern(self.phrases)] if p]
        alternatives += [p for p in self.patterns if p.strip() and pattern_problem(p) is None]
        if alternatives:
            self.compiled = re.compile(
                r"(?<![a-z0-9])(?:" + "|".join(f"(?:{a})" for a in alternatives) + r")(?![a-z0-9])")
        context = phrase_pattern(self.pay_context)
        if context:
            self.context = re.compile(rf"(?<![a-z0-9])(?:{context})(?![a-z0-9])")


@dataclass
class Found:
    rule: Rule
    matched: list[str]


MAX_QUOTES = 3
MAX_MATCHES = 40  # a sign repeated all over a long paste: enough looked at


@sensitive_variables("keyed")
def find(keyed: Keyed, rules: Iterable[Rule]) -> list[Found]:
    """The signs of ``rules`` found in the text, each with the words that triggered it."""
    money: list[Amount] | None = None
    result = []
    for rule in rules:
        quotes: list[str] = []
        if rule.compiled is not None:
            for n, m in enumerate(rule.compiled.finditer(keyed.key)):
                if len(quotes) >= MAX_QUOTES or n >= MAX_MATCHES:
                    break
                if NEGATIONS & set(keyed.words_before(m.start(), 3)):
                    continue
                quote = keyed.quote(m.start(), m.end())
                if quote and quote not in quotes:
                    quotes.append(quote)
        if rule.pay_threshold and (rule.context is None or rule.context.search(keyed.key)):
            if money is None:
                money = amounts(keyed)
            for amount in money:
                if amount.is_pay and amount.vnd_month >= rule.pay_threshold * 1_000_000:
                    quote = keyed.quote(amount.start, amount.end)
                    if quote and quote not in quotes:
                        quotes.append(quote)
        if quotes:
            result.append(Found(rule, quotes[:MAX_QUOTES]))
    return result
