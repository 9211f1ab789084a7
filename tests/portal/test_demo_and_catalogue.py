"""The demo bulletin (fresh text, no sentence from the seed page) and the portal's Vietnamese
catalogue (complete, compiled)."""

from __future__ import annotations

import gettext
import re
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from wagtail.models import WorkflowState

import ctip.portal
from ctip.demo.portal import ARTICLES, SECTIONS, build_portal
from ctip.portal.models import ArticlePage, SectionPage
from tests.i18n.test_catalogue import parse_po, unescape

SEED = Path("/work/shared/seed/000_041da7cfe87f4a05.txt")
PO = Path(ctip.portal.__file__).parent / "locale" / "vi" / "LC_MESSAGES" / "django.po"


def sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?…;:])\s+|\n+", text) if len(s.strip()) > 25]


def test_demo_text_is_written_fresh() -> None:
    if not SEED.exists():
        pytest.skip("the seed page is not available here")
    seed = SEED.read_text(encoding="utf-8").lower()
    written = " ".join(a.title + " " + a.lead + " " + " ".join(a.paragraphs) for a in ARTICLES)
    copied = [s for s in sentences(written) if s.lower() in seed]
    assert not copied
    # nor any run of eight words
    words = seed.split()
    runs = {" ".join(words[i:i + 8]) for i in range(len(words) - 7)}
    mine = written.lower().split()
    assert not [" ".join(mine[i:i + 8]) for i in range(len(mine) - 7)
                if " ".join(mine[i:i + 8]) in runs]


@pytest.mark.django_db
def test_demo_builds_sections_articles_scheduled_and_in_review(tree: Any,
                                                               users: dict[str, Any]) -> None:
    home = build_portal(tree.province)
    sections = SectionPage.objects.child_of(home)
    assert {s.title for s in sections} == {title for _slug, title, _intro in SECTIONS}
    assert {"Tuyên truyền trong Nhân dân", "Hoạt động Hội", "Văn bản pháp luật",
            "Hỏi đáp pháp luật"} <= {s.title for s in sections}
    articles = ArticlePage.objects.descendant_of(home)
    assert 28 <= articles.count() <= 34
    scheduled = articles.filter(live=False, go_live_at__gt=timezone.now())
    assert scheduled.count() >= 2
    in_review = WorkflowState.objects.filter(status=WorkflowState.STATUS_IN_PROGRESS)
    assert in_review.count() == 1
    assert articles.filter(live=True).count() == articles.count() - scheduled.count() - 1
    with_images = [a for a in articles.filter(live=True)
                   if any(b.block_type == "image" for b in a.body)]
    assert len(with_images) >= 3
    assert all(not re.search(r"[^a-z0-9-]", a.slug) for a in articles)
    assert articles.filter(live=True, publishing_unit=tree.province).count() == \
        articles.filter(live=True).count()
    # the big section needs two pages
    assert articles.filter(live=True).child_of(
        sections.get(slug="tuyen-truyen")).count() > 10
    # again: nothing doubles
    build_portal(tree.province)
    assert ArticlePage.objects.descendant_of(home).count() == articles.count()


def test_portal_catalogue_is_complete_and_compiled() -> None:
    entries = parse_po(PO)
    assert len(entries) > 100
    untranslated = [k for k, (s, fuzzy) in entries.items() if not s or fuzzy]
    assert not untranslated
    with PO.with_suffix(".mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for key, (msgstr, _fuzzy) in entries.items():
        msgid = key.split("\x04")[1]
        if msgid.endswith("\x00plural"):
            continue
        assert compiled.gettext(unescape(msgid)) == unescape(msgstr), msgid
