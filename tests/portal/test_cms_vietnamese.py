"""Every screen an editor or a publisher uses in the Wagtail admin (/cms/) speaks Vietnamese.

Wagtail's own ``vi`` catalogues hold only part of its strings; the portal's catalogue
(``ctip/portal/locale/vi``) supplies the rest, and its ``djangojs`` catalogue the admin's
JavaScript strings. These tests sign in as the editor and as the publisher, open each screen
with real data (a draft, a page in review, a page sent back, a scheduled page, revisions, an
image, a document), and fail when a visible text -- a text node, a button's label, a tooltip, a
placeholder, a label in the data the admin's scripts render (the sidebar, the editor's blocks)
-- is an English string of Wagtail's catalogues or one of our models' labels.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from collections.abc import Iterator
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import django
import pytest
import wagtail
from django.apps import apps
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Comment, WorkflowState

from ctip.portal.models import ArticlePage
from tests.portal.conftest import Bulletin, add_article
from tests.portal.test_pages import make_image
from tests.portal.test_workflow import admin_form

# What is checked is the language of what the screens show, the same whatever database holds
# the drafts; the editing itself is tested on both databases (``test_workflow``, ``test_pages``).
pytestmark = [pytest.mark.django_db, pytest.mark.presentation]

WAGTAIL = Path(wagtail.__file__).parent
# Words that are the same in Vietnamese as in English (names of formats and products).
SAME_IN_VIETNAMESE = {"Email", "URL", "ID", "HTML", "PDF", "Wagtail", "Slug", "OK", "Ctrl",
                      "Alt", "Shift", "Tab", "Enter", "Esc", "Facebook", "Zalo", "Markdown",
                      "byte", "KB", "MB", "GB", "TB", "PB"}
INLINE = {"a", "abbr", "b", "bdi", "cite", "code", "em", "i", "kbd", "mark", "q", "s", "small",
          "span", "strong", "sub", "sup", "time", "u", "var", "wbr"}
HIDDEN = {"script", "style", "noscript", "svg"}
ATTRIBUTES = {"title", "aria-label", "placeholder", "alt", "aria-description",
              "data-w-tooltip-content-value", "data-w-dialog-title", "data-label"}
JSON_SCRIPTS = {"application/json"}


# --- the English strings -------------------------------------------------------------------


def _po_msgids(path: Path, plurals: bool = True) -> Iterator[str]:
    """The msgids (and plural msgids) of a .po file, unescaped."""
    current: str | None = None
    value = ""
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        match = re.match(r'^(msgid|msgid_plural|msgstr(?:\[\d\])?|msgctxt) "(.*)"$', line)
        if match or not line.startswith('"'):
            if value and (current == "msgid" or (plurals and current == "msgid_plural")):
                yield value.replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")
            current, value = (match.group(1), match.group(2)) if match else (None, "")
        elif current is not None:
            value += line[1:-1]


def wagtail_catalogues() -> list[Path]:
    """Wagtail's English catalogues (every msgid) of the Wagtail apps installed here."""
    paths = []
    for config in apps.get_app_configs():
        if config.name.startswith("wagtail"):
            for domain in ("django", "djangojs"):
                po = Path(config.path) / "locale" / "en" / "LC_MESSAGES" / f"{domain}.po"
                if po.exists():
                    paths.append(po)
    return paths


def django_catalogues() -> list[Path]:
    """Django's English catalogues: its own (dates, "1 hour", form errors) and those of the
    contrib apps installed here."""
    root = Path(django.__file__).parent
    paths = [root / "conf" / "locale" / "en" / "LC_MESSAGES" / "django.po"]
    for config in apps.get_app_configs():
        if config.name.startswith("django.contrib."):
            po = Path(config.path) / "locale" / "en" / "LC_MESSAGES" / "django.po"
            if po.exists():
                paths.append(po)
    return paths


def our_labels() -> set[str]:
    """Verbose names, labels and help texts of the bulletin's models and blocks, in English."""
    strings: set[str] = set()
    with translation.override("en"):
        for model in apps.get_app_config("portal").get_models():
            strings |= {str(model._meta.verbose_name), str(model._meta.verbose_name_plural)}
            for field in model._meta.get_fields():
                for attr in ("verbose_name", "help_text"):
                    value = getattr(field, attr, None)
                    if value:
                        strings.add(str(value))
        from ctip.portal.blocks import ArticleBody

        for name, block in ArticleBody().child_blocks.items():
            strings.add(str(block.label or name))
            for child in getattr(block, "child_blocks", {}).values():
                strings |= {str(child.label)} | ({str(child.meta.help_text)}
                                                 if getattr(child.meta, "help_text", None)
                                                 else set())
    return {s for s in strings if s}


def _pattern(msgid: str) -> re.Pattern[str] | None:
    """A msgid as a pattern over a normalised text: placeholders match anything, HTML is
    dropped; None for a msgid with too few words of its own to tell it from user content."""
    text = _normal(re.sub(r"<[^>]+>", " ", html.unescape(msgid)))
    literal = re.sub(r"%\(\w+\)[sdfr]|%[sdfr]|\{\w*\}", " ", text)
    if not re.search(r"[A-Za-z]{2,}", literal) or literal.strip() in SAME_IN_VIETNAMESE:
        return None
    if literal != text and not re.search(r"[A-Za-z]{3,}", literal):
        return None  # "%snd" (an ordinal's suffix) would match any word ending in "nd"
    parts = re.split(r"(%\(\w+\)[sdfr]|%[sdfr]|\{\w*\})", text)
    regex = "".join(
        r"\d[\d.,]*" if re.fullmatch(r"%\(\w+\)d|%d", p)  # a number
        else ".+?" if re.fullmatch(r"%\(\w+\)[sdfr]|%[sdfr]|\{\w*\}", p)
        else re.escape(p).replace(r"\ ", r"\s+") for p in parts)
    return re.compile(rf"(?:{regex})\s*[.:…]?", re.IGNORECASE)


@cache
def english() -> tuple[frozenset[str], tuple[re.Pattern[str], ...]]:
    """English strings as exact texts (lower case) and, for those with placeholders,
    patterns."""
    exact: set[str] = set()
    patterns: list[re.Pattern[str]] = []
    msgids = ({m for po in [*wagtail_catalogues(), *django_catalogues()] for m in _po_msgids(po)}
              | our_labels())
    for msgid in msgids:
        if _pattern(msgid) is None:
            continue
        if re.search(r"%\(\w+\)[sdfr]|%[sdfr]|\{\w*\}", msgid):
            pattern = _pattern(msgid)
            assert pattern is not None
            patterns.append(pattern)
        else:
            exact.add(_normal(re.sub(r"<[^>]+>", " ", html.unescape(msgid))).lower())
    return frozenset(exact), tuple(patterns)


def _normal(text: str) -> str:
    """Spaces folded, and the punctuation a label ends with ("Go-live:") dropped, the same on
    the screen's text and on the catalogue's."""
    return " ".join(text.split()).strip(" .:…*")


@cache
def endonyms() -> frozenset[str]:
    """The languages' names in their own language, as a language menu lists them so that a
    reader of that language finds hers ("English" beside "Tiếng Việt")."""
    from django.conf import settings
    from django.utils.translation import get_language_info

    return frozenset(get_language_info(code)["name_local"] for code, _name in settings.LANGUAGES)


def is_english(text: str) -> bool:
    text = _normal(text)
    if text == "None":  # Python's None printed by a template (a hidden counter): not a word
        return False
    if text in endonyms():
        return False
    if len(text) < 2 or not re.search(r"[A-Za-z]{2,}", text):
        return False
    exact, patterns = english()
    # a count before a model's name ("4 page log entries") is the same English
    uncounted = re.sub(r"^\d+\s+", "", text)
    if text.lower() in exact or uncounted.lower() in exact:
        return True
    if any(p.fullmatch(text) for p in patterns):
        return True
    # an English part inside a Vietnamese sentence ("1 hour trước"): a run of two words or
    # more without a Vietnamese letter
    runs: list[list[str]] = [[]]
    for word in text.split():
        if word.isascii():
            runs[-1].append(word)
        elif runs[-1]:
            runs.append([])
    for words in runs:
        run = _normal(" ".join(words))
        if (run != text and len(words) >= 2 and re.search(r"[A-Za-z]{3,}", run)
                and (run.lower() in exact or any(p.fullmatch(run) for p in patterns))):
            return True
    return False


# --- the visible text of a screen ----------------------------------------------------------


class VisibleText(HTMLParser):
    """Runs of text as a reader sees them (inline tags joined, block tags apart), the labels
    of attributes, and the strings in JSON data the admin's scripts render."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self.run: list[str] = []
        self.hidden: list[str] = []
        self.json_script = False
        self.json_buffer: list[str] = []

    def flush(self) -> None:
        text = " ".join("".join(self.run).split())
        if text:
            self.texts.append(text)
        self.run = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag not in INLINE or "buttons" in (values.get("class") or "").split():
            self.flush()
        if tag == "script" and values.get("type") in JSON_SCRIPTS:
            self.json_script = True
        if tag in HIDDEN:
            self.hidden.append(tag)
        for name, value in attrs:
            if not value:
                continue
            if name in ATTRIBUTES:
                self.texts.append(value)
            elif name == "value" and values.get("type") in ("submit", "button"):
                self.texts.append(value)
            elif name.startswith("data-") and value[:1] in "[{":
                self.texts.extend(json_strings(value))

    def handle_endtag(self, tag: str) -> None:
        if tag not in INLINE:
            self.flush()
        if tag == "script" and self.json_script:
            self.texts.extend(json_strings("".join(self.json_buffer)))
            self.json_script, self.json_buffer = False, []
        if self.hidden and self.hidden[-1] == tag:
            self.hidden.pop()

    def handle_data(self, data: str) -> None:
        if self.json_script:
            self.json_buffer.append(data)
        elif not self.hidden:
            self.run.append(data)
            if data.strip():  # each text node on its own too: "Status: <b>live</b>"
                self.texts.append(data.strip())


LABEL_KEYS = {"label", "title", "description", "help_text", "helpText", "text",
              "placeholder", "heading", "action_label", "display_name", "verbose_name",
              "ariaLabel", "aria_label", "tooltip", "message"}


def json_strings(raw: str) -> list[str]:
    """Strings under label-like keys (and in the admin's STRINGS table) of JSON data."""
    try:
        data = json.loads(raw)
    except ValueError:
        return []
    found: list[str] = []

    def walk(node: Any, key: str | None, in_strings: bool) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, k, in_strings or k == "STRINGS")
        elif isinstance(node, list):
            for item in node:
                walk(item, key, in_strings)
        elif isinstance(node, str) and (in_strings or key in LABEL_KEYS):
            text = re.sub(r"<[^>]+>", " ", node)
            found.append(html.unescape(text))

    walk(data, None, False)
    return found


def visible_texts(response: Any) -> list[str]:
    content = response.content.decode()
    if response.get("Content-Type", "").startswith("application/json"):
        data = json.loads(content)  # a modal's answer: its HTML, and perhaps its data
        content = data.get("html") or ""
    parser = VisibleText()
    parser.feed(content)
    parser.close()
    parser.flush()
    return parser.texts


def english_on(client: Client, url: str) -> list[str]:
    response = client.get(url)
    if response.status_code != 200:
        return [f"HTTP {response.status_code}"]
    return sorted({t for t in visible_texts(response) if is_english(t)})


# --- the data the screens show -------------------------------------------------------------


class Screens:
    def __init__(self, users: dict[str, Any], bulletin: Bulletin) -> None:
        editor, publisher = users["editor"], users["publisher"]
        self.section = bulletin.section
        self.live = bulletin.articles[0]
        # a draft the editor is writing, with a comment
        self.draft = add_article(bulletin.section, "Bài đang viết", publish=False, user=editor,
                                 owner=editor)
        Comment.objects.create(page=self.draft, user=publisher, text="Thêm số điện thoại 111.",
                               contentpath="lead", revision_created=self.draft
                               .get_latest_revision())
        # a page in review
        self.in_review = add_article(bulletin.section, "Bài chờ duyệt", publish=False,
                                     user=editor, owner=editor)
        self.review_state = self.in_review.get_workflow().start(self.in_review, editor)
        # a page sent back with a comment
        self.sent_back = add_article(bulletin.section, "Bài cần sửa", publish=False,
                                     user=editor, owner=editor)
        state = self.sent_back.get_workflow().start(self.sent_back, editor)
        state.current_task_state.task.specific.on_action(
            state.current_task_state, publisher, "reject", comment="Cần nguồn tin rõ hơn.")
        self.sent_back_state = WorkflowState.objects.get(pk=state.pk)
        # a page with two published revisions, then a draft revision
        self.revised = add_article(bulletin.section, "Tiêu đề đầu tiên", publish=False,
                                   user=publisher, owner=editor)
        self.first = self.revised.get_latest_revision()
        self.first.publish(user=publisher)
        page = ArticlePage.objects.get(pk=self.revised.pk)
        page.title = "Tiêu đề đã sửa"
        self.second = page.save_revision(user=publisher)
        self.second.publish(user=publisher)
        page = ArticlePage.objects.get(pk=self.revised.pk)
        page.lead = "Đoạn dẫn mới, chưa đăng."
        self.third = page.save_revision(user=editor, log_action=True)
        # A day old, and from the evening before today (local time): Wagtail writes a time
        # of today as "lúc 10:15 bởi ..." and an older one as "1 giờ trước, bởi ...", so both
        # forms are on the screens whatever the hour the test runs (an hour before now is
        # yesterday's form from midnight to 01:00 and today's after it).
        from wagtail.models import PageLogEntry, Revision

        evening_before = (timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
                          - dt.timedelta(hours=1))
        times = (timezone.now() - dt.timedelta(days=1, hours=2), evening_before)
        Revision.objects.filter(pk=self.first.pk).update(created_at=times[0])
        Revision.objects.filter(pk=self.second.pk).update(created_at=times[1])
        for entry, when in zip(PageLogEntry.objects.filter(page=self.revised).order_by("pk"),
                               times, strict=False):
            PageLogEntry.objects.filter(pk=entry.pk).update(timestamp=when)
        # a scheduled page
        self.scheduled = add_article(bulletin.section, "Tin hẹn giờ", publish=False,
                                     user=publisher)
        self.scheduled.go_live_at = timezone.now() + dt.timedelta(days=2)
        self.scheduled.save_revision(user=publisher).publish(user=publisher)
        # a locked page
        ArticlePage.objects.filter(pk=bulletin.articles[1].pk).update(
            locked=True, locked_by=publisher, locked_at=timezone.now())
        # an image and a document
        self.image = make_image()
        self.document = get_document_model()(title="Kế hoạch tuyên truyền")
        self.document.file.save("ke-hoach.txt", ContentFile(b"Ke hoach"), save=True)
        # a warning sign of the offers' library (a snippet)
        from ctip.offers.models import WarningSign

        self.sign = WarningSign.objects.order_by("pk").first() or WarningSign.objects.create(
            code="dat-coc", title="Đòi đặt cọc trước", explanation="Đòi tiền trước.")

    def common(self) -> list[str]:
        s = self
        page = s.revised.pk
        return [
            reverse("wagtailadmin_home"),
            reverse("wagtailadmin_explore", args=(s.section.get_parent().pk,)),
            reverse("wagtailadmin_explore", args=(s.section.pk,)),
            reverse("wagtailadmin_explore", args=(s.section.pk,)) + "?q=bai&has_child_pages=",
            reverse("wagtailadmin_explore", args=(s.section.pk,)) + "?ordering=-latest_revision_"
                                                                     "created_at&live=false",
            reverse("wagtailadmin_pages:search") + "?q=bai",
            reverse("wagtailadmin_pages:search") + "?q=khongcogi",
            reverse("wagtailimages:index") + "?q=khongcogi",
            reverse("wagtaildocs:index") + "?q=khongcogi",
            reverse("wagtailadmin_pages:add", args=("portal", "articlepage", s.section.pk)),
            reverse("wagtailadmin_pages:edit", args=(s.draft.pk,)),
            reverse("wagtailadmin_pages:edit", args=(s.in_review.pk,)),
            reverse("wagtailadmin_pages:edit", args=(s.sent_back.pk,)),
            reverse("wagtailadmin_pages:edit", args=(s.live.pk,)),
            reverse("wagtailadmin_pages:edit", args=(s.scheduled.pk,)),
            reverse("wagtailadmin_pages:edit", args=(page,)),
            reverse("wagtailadmin_pages:edit", args=(s.section.pk,)),
            reverse("wagtailadmin_pages:history", args=(page,)),
            reverse("wagtailadmin_pages:revisions_compare",
                    args=(page, s.first.pk, s.second.pk)),
            reverse("wagtailadmin_pages:revisions_compare", args=(page, "live", s.third.pk)),
            reverse("wagtailadmin_pages:revisions_compare", args=(page, s.first.pk, s.first.pk)),
            reverse("wagtailadmin_pages:revisions_revert", args=(page, s.first.pk)),
            reverse("wagtailadmin_pages:workflow_history", args=(s.sent_back.pk,)),
            reverse("wagtailadmin_pages:workflow_history_detail",
                    args=(s.sent_back.pk, s.sent_back_state.pk)),
            reverse("wagtailadmin_pages:copy", args=(s.live.pk,)),
            reverse("wagtailadmin_pages:usage", args=(s.live.pk,)),
            reverse("wagtailadmin_reports:workflow"),
            reverse("wagtailadmin_reports:workflow_tasks"),
            reverse("wagtailimages:index"),
            reverse("wagtailimages:index") + "?q=anh",
            reverse("wagtailimages:add_multiple"),
            reverse("wagtailimages:add"),
            reverse("wagtailimages_chooser:choose"),
            reverse("wagtailimages_chooser:chosen", args=(s.image.pk,)),
            reverse("wagtaildocs:index"),
            reverse("wagtaildocs:add_multiple"),
            reverse("wagtaildocs:add"),
            reverse("wagtaildocs_chooser:choose"),
            reverse("wagtailadmin_choose_page"),
            reverse("wagtailadmin_choose_page_child", args=(s.section.pk,)),
            reverse("wagtailadmin_choose_page_search") + "?q=bai",
            reverse("wagtailadmin_choose_page_external_link"),
            reverse("wagtailadmin_choose_page_email_link"),
            reverse("wagtailadmin_choose_page_phone_link"),
            reverse("wagtailadmin_choose_page_anchor_link"),
            # the home's featured story: a chooser limited to one page type
            reverse("wagtailadmin_choose_page") + "?page_type=portal.articlepage",
            # the explorer's bulk actions, for two articles (the editor may not move or delete)
            *(reverse("wagtail_bulk_action", args=("wagtailcore", "page", action))
              + f"?id={s.live.pk}&id={s.revised.pk}"
              for action in ("move", "delete", "publish", "unpublish")),
            reverse("wagtailadmin_account"),
            reverse("wagtailadmin_pages:delete", args=(s.draft.pk,)),
            reverse("wagtailsnippets_offers_warningsign:list"),
            reverse("wagtailsnippets_offers_warningsign:list") + "?q=khongcogi",
            reverse("wagtailsnippets_offers_warningsign:add"),
            reverse("wagtailsnippets_offers_warningsign:edit", args=(s.sign.pk,)),
            reverse("wagtailsnippets_offers_warningsign:history", args=(s.sign.pk,)),
            reverse("wagtailsnippets_offers_warningsign:delete", args=(s.sign.pk,)),
        ]

    def publisher_only(self) -> list[str]:
        s = self
        task_state = s.review_state.current_task_state_id
        return [
            reverse("wagtailadmin_pages:workflow_action",
                    args=(s.in_review.pk, "approve", task_state)),
            reverse("wagtailadmin_pages:workflow_action",
                    args=(s.in_review.pk, "reject", task_state)),
            reverse("wagtailadmin_pages:workflow_preview",
                    args=(s.in_review.pk, s.review_state.current_task_state.task_id)),
            reverse("wagtailadmin_pages:unpublish", args=(s.live.pk,)),
            reverse("wagtailadmin_pages:revisions_view", args=(s.revised.pk, s.first.pk)),
            reverse("wagtailimages:edit", args=(s.image.pk,)),
            reverse("wagtailimages:image_usage", args=(s.image.pk,)),
            reverse("wagtailadmin_reports:locked_pages"),
            reverse("wagtaildocs:edit", args=(s.document.pk,)),
            reverse("wagtaildocs:delete", args=(s.document.pk,)),
            reverse("wagtailimages:delete", args=(s.image.pk,)),
            reverse("wagtailadmin_pages:delete", args=(s.live.pk,)),
            reverse("portal_recycle_bin"),
            reverse("wagtailsettings:edit", args=("portal", "bulletinsettings",
                                                  s.section.get_site().pk)),
            reverse("wagtailredirects:index"),
            reverse("wagtailredirects:add"),
        ]

    def administrator_only(self) -> list[str]:
        """The reports an administrator reads (users, groups and workflows are managed in the
        staff app, not in the CMS)."""
        return [
            reverse("wagtailadmin_reports:site_history"),
            reverse("wagtailadmin_reports:aging_pages"),
            reverse("wagtailadmin_reports:page_types_usage"),
        ]


@pytest.fixture
def screens(users: dict[str, Any], bulletin: Bulletin) -> Screens:
    return Screens(users, bulletin)


def english_on_screens(client: Client, urls: list[str]) -> dict[str, list[str]]:
    found = {url: english_on(client, url) for url in urls}
    return {url: texts for url, texts in found.items() if texts}


def test_the_editors_screens_speak_vietnamese(users: dict[str, Any], screens: Screens,
                                              client_for: Any) -> None:
    found = english_on_screens(client_for(users["editor"]), screens.common())
    assert not found, json.dumps(found, ensure_ascii=False, indent=1)


def test_the_publishers_screens_speak_vietnamese(users: dict[str, Any], screens: Screens,
                                                 client_for: Any) -> None:
    found = english_on_screens(client_for(users["publisher"]),
                               screens.common() + screens.publisher_only())
    assert not found, json.dumps(found, ensure_ascii=False, indent=1)


def test_the_administrators_screens_speak_vietnamese(users: dict[str, Any], screens: Screens,
                                                     client_for: Any) -> None:
    admin = users["system_admin"]
    admin.full_name = "Trần Thị Quản"  # not a word of the catalogues ("Admin")
    admin.save(update_fields=["full_name"])
    found = english_on_screens(client_for(admin),
                               screens.common() + screens.publisher_only()
                               + screens.administrator_only())
    assert not found, json.dumps(found, ensure_ascii=False, indent=1)


def english_after(client: Client, url: str, data: dict[str, Any]) -> list[str]:
    """Post as the screen does, follow the redirect, and return the English texts of the
    screen that answers (with its messages)."""
    response = client.post(url, data, follow=True)
    if response.status_code != 200:
        return [f"HTTP {response.status_code}"]
    return sorted({t for t in visible_texts(response) if is_english(t)})


def edit_form(page: ArticlePage, **extra: str) -> dict[str, str]:
    return {**admin_form(page.title, page.slug), **extra}


def test_the_workflow_actions_answer_in_vietnamese(users: dict[str, Any], screens: Screens,
                                                   client_for: Any) -> None:
    """Save, submit, approve with a comment, request changes, publish, schedule, unpublish,
    lock, a form with errors, an upload: each answer, message and next screen in Vietnamese."""
    editor, publisher = client_for(users["editor"]), client_for(users["publisher"])
    s = screens
    add = reverse("wagtailadmin_pages:add", args=("portal", "articlepage", s.section.pk))
    found: dict[str, list[str]] = {}

    response = editor.post(add, admin_form("Bài mới", "bai-moi"), follow=True)
    assert "Đã tạo trang &#x27;Bài mới&#x27;." in response.content.decode()
    found["editor saves a draft"] = sorted({t for t in visible_texts(response) if is_english(t)})
    new = ArticlePage.objects.get(slug="bai-moi")
    edit_new = reverse("wagtailadmin_pages:edit", args=(new.pk,))
    response = editor.post(edit_new, edit_form(new, title=""), follow=True)
    assert "Chưa lưu được trang vì có lỗi nhập liệu." in response.content.decode()
    found["editor leaves the title empty"] = sorted({t for t in visible_texts(response)
                                                     if is_english(t)})
    found["editor submits"] = english_after(editor, edit_new,
                                            edit_form(new, **{"action-submit": "1"}))
    state = WorkflowState.objects.get(object_id=str(new.pk), status="in_progress")
    found["publisher requests changes"] = english_after(publisher, reverse(
        "wagtailadmin_pages:workflow_action", args=(new.pk, "reject", state.current_task_state_id)
    ), {"comment": "Cần sửa đoạn dẫn."})
    found["editor resubmits"] = english_after(editor, edit_new,
                                              edit_form(new, **{"action-submit": "1"}))
    state = WorkflowState.objects.get(object_id=str(new.pk), status="in_progress")
    found["publisher approves"] = english_after(publisher, reverse(
        "wagtailadmin_pages:workflow_action",
        args=(new.pk, "approve", state.current_task_state_id)), {"comment": "Đồng ý."})
    new.refresh_from_db()
    assert new.live
    draft_edit = reverse("wagtailadmin_pages:edit", args=(s.draft.pk,))
    found["publisher publishes"] = english_after(publisher, draft_edit,
                                                 edit_form(s.draft, **{"action-publish": "1"}))
    soon = (timezone.localtime() + dt.timedelta(days=3)).strftime("%Y-%m-%d %H:%M")
    s.draft.refresh_from_db()
    assert s.draft.live
    found["publisher schedules"] = english_after(
        publisher, reverse("wagtailadmin_pages:edit", args=(s.revised.pk,)),
        edit_form(s.revised, go_live_at=soon, **{"action-publish": "1"}))
    revision = ArticlePage.objects.get(pk=s.revised.pk).get_latest_revision()
    assert revision is not None and revision.approved_go_live_at is not None
    found["publisher unpublishes"] = english_after(
        publisher, reverse("wagtailadmin_pages:unpublish", args=(s.live.pk,)), {})
    s.live.refresh_from_db()
    assert not s.live.live
    found["publisher locks"] = english_after(
        publisher, reverse("wagtailadmin_pages:lock", args=(new.pk,)), {})
    new.refresh_from_db()
    assert new.locked
    found["editor uploads an image"] = english_after(editor, reverse("wagtailimages:add"), {
        "title": "Ảnh tập huấn", "collection": "1", "tags": "",
        "file": ContentFile(png_bytes(), name="tap-huan.png")})
    assert get_image_model().objects.filter(title="Ảnh tập huấn").exists()
    found = {k: v for k, v in found.items() if v}
    assert not found, json.dumps(found, ensure_ascii=False, indent=1)


def png_bytes() -> bytes:
    from ctip.demo.files import png_poster

    return png_poster(width=640, height=360)


def test_the_admin_scripts_speak_vietnamese(users: dict[str, Any], client_for: Any) -> None:
    """The strings of Wagtail's admin JavaScript (the page editor's blocks, comments,
    Draftail, the sidebar): every one in the catalogue the admin loads is Vietnamese."""
    response = client_for(users["editor"]).get(reverse("wagtailadmin_javascript_catalog"))
    assert response.status_code == 200
    match = re.search(r"const newcatalog = (\{.*?\});\n", response.content.decode(), re.S)
    assert match
    catalog = json.loads(match.group(1))
    po = WAGTAIL / "admin" / "locale" / "en" / "LC_MESSAGES" / "djangojs.po"
    missing = [m for m in _po_msgids(po, plurals=False)
               if m not in catalog and _pattern(m) is not None]
    assert not missing, missing


@pytest.mark.parametrize("query", ["bai", "Tiêu đề đã sửa"])
def test_the_page_search_says_what_it_found_in_vietnamese(users: dict[str, Any],
                                                           screens: Screens, query: str,
                                                           client_for: Any) -> None:
    """The header of the page search's results names what it counts ("1–1 trong số 1
    trang"), never Python's ``None`` (Wagtail's search gives the column no model name;
    decision 0069)."""
    response = client_for(users["editor"]).get(reverse("wagtailadmin_pages:search"),
                                               {"q": query})
    assert response.status_code == 200
    texts = [" ".join(t.split()) for t in visible_texts(response)]
    counted = [t for t in texts if "trong số" in t]
    assert counted, texts
    assert all(t.endswith("trang") for t in counted), counted
    assert not [t for t in texts if "None" in t.split()], texts


@pytest.mark.parametrize("prefix", [False, True])
@pytest.mark.parametrize("by", ["", "Xuatban"])
@pytest.mark.parametrize("when", [dt.timedelta(minutes=1), dt.timedelta(days=1, hours=2)])
def test_every_form_of_the_time_of_a_change_speaks_vietnamese(prefix: bool, by: str,
                                                               when: dt.timedelta) -> None:
    """Wagtail writes when a page was changed in one of six forms, by whether it was today (in
    the reader's time zone), whether the screen puts "at" before a time and whether it names
    who did it. The screens above show those the clock of the run gives them; each is checked
    here, so a form is never left in English until a run happens after midnight."""
    from wagtail.admin.templatetags.wagtailadmin_tags import timesince_last_update

    now = timezone.localtime()
    # a minute ago, but within today; or a day and two hours ago
    moment = max(now - when, now.replace(hour=0, minute=0, second=0, microsecond=0)) \
        if when < dt.timedelta(hours=1) else now - when
    with translation.override("vi"):
        text = str(timesince_last_update(moment, show_time_prefix=prefix, user_display_name=by))
    english_words = {"ago", "by", "at", "day", "days", "hour", "hours", "minute", "minutes"}
    assert not english_words & set(re.findall(r"[a-z]+", text.replace(by, ""))), text
    if by:
        assert f"bởi {by}" in text, text
    if when > dt.timedelta(days=1):
        assert "trước" in text and "1 ngày" in text.replace("\xa0", " "), text
