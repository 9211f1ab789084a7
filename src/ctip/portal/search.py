"""Accent-insensitive search over the bulletin's articles, on SQLite (FTS5) and PostgreSQL.

Articles are indexed through Wagtail's database search backend with their *folded* text
(``ArticlePage.search_folded``: no diacritics, đ→d, lower case). The reader's query is folded
the same way before it reaches the backend, so "mua ban nguoi", "mua bán người" and "MUA BÁN
NGƯỜI" are the same query. Words in double quotes form a phrase that must appear as written.
Results come ranked by the backend (BM25 on SQLite, ts_rank on PostgreSQL); snippets mark the
matched words in the original text, diacritics and all.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from wagtail.search.query import And, Phrase, PlainText, SearchQuery

from ctip.core.text import fold

MAX_QUERY = 200
_WORD = re.compile(r"\w+")


@dataclass
class ParsedQuery:
    words: list[str] = field(default_factory=list)  # folded words outside quotes
    phrases: list[list[str]] = field(default_factory=list)  # folded words of each phrase

    @property
    def terms(self) -> list[str]:
        return [*self.words, *(w for p in self.phrases for w in p)]

    def __bool__(self) -> bool:
        return bool(self.words or self.phrases)

    def to_search_query(self) -> SearchQuery:
        parts: list[SearchQuery] = []
        if self.words:
            parts.append(PlainText(" ".join(self.words), operator="and"))
        for phrase in self.phrases:
            parts.append(Phrase(" ".join(phrase)) if len(phrase) > 1
                         else PlainText(phrase[0]))
        return parts[0] if len(parts) == 1 else And(parts)


def parse(query: str) -> ParsedQuery:
    """Fold the query; text between double quotes (straight or curly) is a phrase."""
    text = (query or "")[:MAX_QUERY].replace("“", '"').replace("”", '"')
    parsed = ParsedQuery()
    for i, chunk in enumerate(text.split('"')):
        words = _WORD.findall(fold(chunk))
        if not words:
            continue
        if i % 2 == 1:
            parsed.phrases.append(words)
        else:
            parsed.words.extend(words)
    return parsed


def search_articles(queryset: Any, query: ParsedQuery) -> Any:
    """Ranked search results (a lazy, sliceable sequence) for a non-empty query."""
    return queryset.search(query.to_search_query(), order_by_relevance=True)


# --- highlighting ---------------------------------------------------------------------------


def _fold_char(ch: str) -> str:
    if ch in "đĐ":
        return "d"
    decomposed = unicodedata.normalize("NFD", ch)
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn").lower()


def _folded_with_map(text: str) -> tuple[str, list[int]]:
    """The folded text and, for each of its characters, the index in ``text`` it came from."""
    out: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(unicodedata.normalize("NFC", text)):
        for folded in _fold_char(ch):
            out.append(folded)
            index.append(i)
    return "".join(out), index


def _matches(text: str, terms: list[str]) -> list[tuple[int, int]]:
    """Spans (in ``text``) of whole words whose folded form is one of ``terms``."""
    if not terms:
        return []
    folded, index = _folded_with_map(text)
    wanted = set(terms)
    spans = []
    for m in _WORD.finditer(folded):
        if m.group() in wanted:
            spans.append((index[m.start()], index[m.end() - 1] + 1))
    return spans


def highlight(text: str, terms: list[str]) -> SafeString:
    """``text`` escaped, with the words that match ``terms`` in ``<mark>``."""
    text = unicodedata.normalize("NFC", text or "")
    out: list[str] = []
    last = 0
    for start, end in _matches(text, terms):
        out.append(escape(text[last:start]))
        out.append(f"<mark>{escape(text[start:end])}</mark>")
        last = end
    out.append(escape(text[last:]))
    return mark_safe("".join(out))  # noqa: S308  (every piece is escaped above)


def snippet(text: str, terms: list[str], length: int = 240) -> SafeString:
    """About ``length`` characters of ``text`` around the first match, highlighted."""
    text = re.sub(r"\s+", " ", unicodedata.normalize("NFC", text or "")).strip()
    spans = _matches(text, terms)
    if not spans or len(text) <= length:
        cut = text if len(text) <= length else text[:length].rsplit(" ", 1)[0] + " …"
        return highlight(cut, terms)
    first = spans[0][0]
    start = max(0, first - length // 3)
    if start:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < first else start
    end = min(len(text), start + length)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > first else end
    piece = text[start:end]
    return mark_safe(  # noqa: S308  (highlight escapes)
        ("… " if start else "") + highlight(piece, terms) + (" …" if end < len(text) else ""))
