"""Vietnamese typed in the legacy fonts (TCVN3/ABC, VNI), found and converted to Unicode.

Before Unicode, Vietnamese was typed with fonts that drew Vietnamese letters in the place of
Latin-1 characters: in a TCVN3 font (".VnTime") "Ngày" is stored as ``Ngµy``; in a VNI font
("VNI-Times") a letter is stored as its base letter followed by a mark, "Việt" as ``Vieät``.
The Union's older spreadsheets are full of both. Read as they are, the headers are not found
and the names match nothing.

``detect`` looks at a sample of text and says which of the two it is (or neither): TCVN3 uses
characters no Vietnamese Unicode text holds (``µ ¸ ¶ · ¹ ¨ ©`` ...); VNI puts a mark character
right after a vowel (``aø``, ``eä``, ``oâ``). Text already holding Vietnamese Unicode letters
(``ư ơ đ ạ ế`` ...) is Unicode. A sample that holds both Unicode Vietnamese and much legacy
text is "mixed" and is refused (``MIXED``), naming the encoding, rather than half converted: a
cell such as "tháng" is right in Unicode and means "thỏng" in TCVN3.

``to_unicode`` converts one text; ``convert_rows`` the cells of a table. In TCVN3 a capital
letter with a tone was drawn by a separate capital font from the same codes as the small
letter, so such capitals come out small ("Vĩnh" stays right, "VĨNH" becomes "Vĩnh" only when
typed with the capital font; the words are right, the case may not be).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

TCVN3, VNI, MIXED = "TCVN3", "VNI", "mixed"

# --- TCVN3 (TCVN 5712:1993, VN3): one character a letter ---------------------------------

_TCVN3_LETTERS = (
    # small letters in Vietnamese alphabetical order, then the capitals the standard has
    ("µ¸¶·¹", "àáảãạ"), ("¨»¾¼½Æ", "ăằắẳẵặ"), ("©ÇÊÈÉË", "âầấẩẫậ"), ("®", "đ"),
    ("ÌÐÎÏÑ", "èéẻẽẹ"), ("ªÒÕÓÔÖ", "êềếểễệ"), ("×ÝØÜÞ", "ìíỉĩị"), ("ßãáâä", "òóỏõọ"),
    ("«åèæçé", "ôồốổỗộ"), ("¬êíëìî", "ơờớởỡợ"), ("ïóñòô", "ùúủũụ"), ("\u00adõøö÷ù", "ưừứửữự"),
    ("úýûüþ", "ỳýỷỹỵ"), ("¡¢£¤¥¦§", "ĂÂÊÔƠƯĐ"),
)
_TCVN3 = {ord(k): v for keys, values in _TCVN3_LETTERS for k, v in zip(keys, values, strict=True)}
# The evidence of TCVN3: its commonest letters (à á ả ã ạ ă â ê ô ơ ư đ) sit between ¡ and ¿,
# where neither Vietnamese Unicode text nor VNI puts letters. Its other codes (à, é, ô...) are
# letters of Unicode text or VNI marks too, and prove nothing by themselves.
_TCVN3_ONLY = frozenset(chr(c) for c in _TCVN3 if 0xA1 <= c <= 0xBF)

# --- VNI: a base letter followed by a mark character --------------------------------------

_GRAVE, _ACUTE, _HOOK, _TILDE, _DOT = "\u0300", "\u0301", "\u0309", "\u0303", "\u0323"
_CIRCUMFLEX, _BREVE, _HORN = "\u0302", "\u0306", "\u031b"
# mark character (small form, capital form) → the combining marks it stands for
_VNI_TONES = {("ø", "Ø"): _GRAVE, ("ù", "Ù"): _ACUTE, ("û", "Û"): _HOOK, ("õ", "Õ"): _TILDE,
              ("ï", "Ï"): _DOT}
_VNI_CIRCUMFLEX = {("â", "Â"): "", ("à", "À"): _GRAVE, ("á", "Á"): _ACUTE, ("å", "Å"): _HOOK,
                   ("ã", "Ã"): _TILDE, ("ä", "Ä"): _DOT}
_VNI_BREVE = {("ê", "Ê"): "", ("è", "È"): _GRAVE, ("é", "É"): _ACUTE, ("ú", "Ú"): _HOOK,
              ("ü", "Ü"): _TILDE, ("ë", "Ë"): _DOT}
# characters that stand alone for a whole letter
_VNI_SINGLE = {"ì": "ì", "í": "í", "æ": "ỉ", "ó": "ĩ", "ò": "ị", "î": "ỵ", "ñ": "đ", "ô": "ơ",
               "ö": "ư", "Ì": "Ì", "Í": "Í", "Æ": "Ỉ", "Ó": "Ĩ", "Ò": "Ị", "Î": "Ỵ", "Ñ": "Đ",
               "Ô": "Ơ", "Ö": "Ư"}


def _vni_pairs() -> dict[str, str]:
    pairs: dict[str, str] = {}

    def add(bases: str, marks: dict[tuple[str, str], str], extra: str) -> None:
        for base in bases:
            for forms, tone in marks.items():
                for form in forms:
                    pairs[base + form] = unicodedata.normalize("NFC", base + extra + tone)

    add("aAeEoOuUyYiI", _VNI_TONES, "")
    add("aAeEoO", _VNI_CIRCUMFLEX, _CIRCUMFLEX)
    add("aA", _VNI_BREVE, _BREVE)
    for base, letter in (("ô", "o"), ("Ô", "O"), ("ö", "u"), ("Ö", "U")):
        for forms, tone in _VNI_TONES.items():
            for form in forms:
                pairs[base + form] = unicodedata.normalize("NFC", letter + _HORN + tone)
    return pairs


_VNI_PAIRS = _vni_pairs()
_VNI_MARKS = "".join(sorted({k[1] for k in _VNI_PAIRS}))
_VNI_PATTERN = re.compile("[" + re.escape("".join(sorted({k[0] for k in _VNI_PAIRS}))) + "]["
                          + re.escape(_VNI_MARKS) + "]|[" + re.escape("".join(_VNI_SINGLE)) + "]")


def _vni_letter(match: re.Match[str]) -> str:
    found = match.group(0)
    if found in _VNI_PAIRS:
        return _VNI_PAIRS[found]
    if len(found) == 1:
        return _VNI_SINGLE[found]
    # a letter and a character that is no mark after it ("uâ"): each on its own
    return _VNI_SINGLE.get(found[0], found[0]) + _VNI_SINGLE.get(found[1], found[1])
# Pairs that Vietnamese Unicode text also holds ("hoà", "khoá", "quân"): no evidence of VNI.
_VNI_STRONG_MARKS = frozenset("øùûõïåäëüÙØÛÕÏÅÄËÜ")

# Vietnamese letters that only Unicode text holds (and the combining marks of decomposed text)
_UNICODE_VIETNAMESE = re.compile(
    "[\u0102\u0103\u0110\u0111\u0128\u0129\u0168\u0169\u01a0\u01a1\u01af\u01b0"
    "\u1ea0-\u1ef9\u0300\u0301\u0303\u0309\u0323]")


def _evidence(text: str) -> tuple[int, int, int]:
    """(Unicode Vietnamese letters, TCVN3-only characters, VNI mark pairs) in ``text``."""
    unicode_letters = len(_UNICODE_VIETNAMESE.findall(text))
    tcvn3 = sum(1 for ch in text if ch in _TCVN3_ONLY)
    vni = sum(1 for i in range(1, len(text))
              if text[i] in _VNI_STRONG_MARKS and text[i - 1 : i + 1] in _VNI_PAIRS)
    return unicode_letters, tcvn3, vni


def detect(texts: Iterable[str]) -> str | None:
    """``TCVN3``, ``VNI``, ``MIXED`` or ``None`` (Unicode or plain text) for a sample."""
    unicode_letters = tcvn3 = vni = 0
    for text in texts:
        if not text:
            continue
        u, t, v = _evidence(text)
        unicode_letters, tcvn3, vni = unicode_letters + u, tcvn3 + t, vni + v
    legacy, name = (vni, VNI) if vni >= tcvn3 else (tcvn3, TCVN3)
    if legacy < 2:
        return None
    if unicode_letters >= 2:
        # Unicode text typed over a legacy table: a cell such as "tháng" is right in Unicode
        # and wrong in TCVN3 ("thỏng"), so no cell can be converted safely.
        return MIXED if legacy >= 3 else None
    return name


def to_unicode(text: str, encoding: str) -> str:
    """``text`` typed in ``encoding`` (``TCVN3`` or ``VNI``), in Unicode (NFC). Text that
    already holds Vietnamese Unicode letters is left as it is."""
    if not text or _UNICODE_VIETNAMESE.search(text):
        return text
    if encoding == TCVN3:
        return text.translate(_TCVN3)
    if encoding == VNI:
        return _VNI_PATTERN.sub(_vni_letter, text)
    return text


def convert_row(values: list[object], encoding: str) -> list[object]:
    return [to_unicode(v, encoding) if isinstance(v, str) else v for v in values]


def encoding_label(encoding: str) -> str:
    """How the encoding is named to people."""
    return {TCVN3: "TCVN3 (ABC, phông .Vn…)", VNI: "VNI (phông VNI-…)"}.get(encoding, encoding)


def from_unicode(text: str, encoding: str) -> str:
    """``text`` as a legacy font stores it: the inverse of ``to_unicode`` (used to make test
    files and benchmarks; TCVN3 capitals with tones are written with the small letters' codes,
    as the capital font does)."""
    if encoding == TCVN3:
        return "".join(_TCVN3_BACK.get(ch, ch) for ch in text)
    if encoding == VNI:
        return "".join(_VNI_BACK.get(ch, ch) for ch in unicodedata.normalize("NFC", text))
    return text


_TCVN3_BACK = {v: chr(k) for k, v in _TCVN3.items()}
_TCVN3_BACK.update({v.upper(): chr(k) for k, v in _TCVN3.items() if v.upper() not in _TCVN3_BACK})
# the small marks after small letters and the capital marks after capitals, as VNI writes them
_VNI_BACK = {v: k for k, v in _VNI_PAIRS.items() if k[0].isupper() == k[1].isupper()}
_VNI_BACK.update({v: k for k, v in _VNI_SINGLE.items()})
