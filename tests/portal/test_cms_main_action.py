"""One main action per role (issue #16 point 5): the big button of the page editor's action
bar is what the person is there to do. An editor submits her article for approval (again,
after a change request); a publisher approves and publishes what waits for her, else publishes
(or schedules, beside it). "Lưu bản nháp" stays in the menu next to the main button."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse
from wagtail.models import WorkflowState

from tests.portal.conftest import Bulletin, add_article

pytestmark = pytest.mark.django_db


def _text(fragment: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", fragment).split())


def action_bar(html: str) -> tuple[str, list[str]]:
    """The main button's label and the labels of the menu beside it."""
    start = html.index('<nav class="actions actions--primary footer__container"')
    bar = html[start:html.index("</nav>", start)]
    toggle = bar.find("w-dropdown__toggle")
    head = bar if toggle < 0 else bar[:toggle]
    main = re.search(r"<(button|a)\b[^>]*>(.*?)</\1>", head, re.S)
    assert main, bar
    menu = bar[bar.index("w-dropdown__content"):] if toggle >= 0 else ""
    others = [_text(m.group(2)) for m in re.finditer(r"<(button|a)\b[^>]*>(.*?)</\1>", menu,
                                                     re.S)]
    return _text(main.group(2)), others


def edit(client: Any, page: Any) -> tuple[str, list[str]]:
    response = client.get(reverse("wagtailadmin_pages:edit", args=(page.pk,)))
    assert response.status_code == 200
    return action_bar(response.content.decode())


def test_an_editor_submits_and_a_publisher_publishes(users: dict[str, Any], bulletin: Bulletin,
                                                     client_for: Any) -> None:
    editor, publisher = client_for(users["editor"]), client_for(users["publisher"])
    draft = add_article(bulletin.section, "Bài nháp", publish=False, user=users["editor"],
                        owner=users["editor"])
    main, others = edit(editor, draft)
    assert main.startswith("Gửi duyệt") and "Lưu bản nháp" in others
    main, others = edit(publisher, draft)
    assert main == "Xuất bản" and "Lưu bản nháp" in others and "Hẹn giờ xuất bản" in others

    add = reverse("wagtailadmin_pages:add", args=("portal", "articlepage", bulletin.section.pk))
    main, others = action_bar(editor.get(add).content.decode())
    assert main.startswith("Gửi duyệt") and "Lưu bản nháp" in others
    main, others = action_bar(publisher.get(add).content.decode())
    assert main == "Xuất bản" and "Lưu bản nháp" in others


def test_a_publisher_approves_what_waits_and_an_editor_resubmits(
        users: dict[str, Any], bulletin: Bulletin, client_for: Any) -> None:
    editor, publisher = client_for(users["editor"]), client_for(users["publisher"])
    page = add_article(bulletin.section, "Bài chờ duyệt", publish=False, user=users["editor"],
                       owner=users["editor"])
    state = page.get_workflow().start(page, users["editor"])
    main, others = edit(publisher, page)
    assert main == "Duyệt và xuất bản" and "Lưu bản nháp" in others
    assert "Yêu cầu sửa" in others

    state.current_task_state.task.specific.on_action(
        state.current_task_state, users["publisher"], "reject", comment="Thêm nguồn.")
    assert WorkflowState.objects.get(pk=state.pk).status == WorkflowState.STATUS_NEEDS_CHANGES
    main, others = edit(editor, page)
    assert main.startswith("Gửi duyệt") and "Lưu bản nháp" in others
