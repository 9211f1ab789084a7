"""Forms that help (issue 15.4) and the public form's contact rule and receipt (15.7)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ctip.cases import actions
from ctip.cases.models import Situation
from tests.portal.test_report import URL, form_data


def summary(html: str) -> str:
    match = re.search(r'<div class="form-error error-summary"[^>]*data-error-summary[^>]*>'
                      r"(.*?)</div>", html, re.S)
    assert match, "no error summary"
    return match.group(1)


def test_an_empty_note_answers_with_a_summary_at_the_form(tree: Any, users: Any,
                                                          client_for: Any) -> None:
    situation = actions.create_situation(actor=users["commune_officer"], unit=tree.commune_a,
                                         category="recruitment", source="officer",
                                         description="Tin tuyển dụng lạ.")
    officer = client_for(users["commune_officer"])
    detail = officer.get(reverse("cases:situation_detail", args=[situation.pk]))
    # without JavaScript the browser opens the answer at the form itself
    url = reverse("cases:situation_note", args=[situation.pk])
    assert f'action="{url}#note"' in detail.content.decode()
    response = officer.post(url, {"note-note": "   "})
    assert response.status_code == 200
    html = response.content.decode()
    box = summary(html)
    assert 'href="#id_note-note"' in box  # a link to the field
    assert 'id="id_note-note"' in html
    assert "forms.js" in html  # moves the focus to the summary


def test_every_error_at_once_and_what_was_typed_is_kept(tree: Any, users: Any,
                                                        client_for: Any) -> None:
    client = client_for(users["branch_head"])
    response = client.post(reverse("cases:situation_create"), {
        "category": "", "urgency": "normal", "unit": tree.branch_a1.pk,
        "description": "", "source": "member", "occurred_on": "ngày mai",
        "address": "Ấp Mỹ Lộc, gần chợ"})
    html = response.content.decode()
    links = re.findall(r'<a href="#(id_[a-z_]+)"', summary(html))
    assert {"id_category", "id_description", "id_occurred_on"} <= set(links)
    assert "Ấp Mỹ Lộc, gần chợ" in html
    assert not Situation.objects.exists()


def test_no_framework_leftovers(tree: Any, users: Any, client_for: Any) -> None:
    html = client_for(users["commune_officer"]).get(reverse("cases:situation_create"))
    assert "---------" not in html.content.decode()
    from django import forms
    from django.utils.translation import override

    field = forms.IntegerField(min_value=0)
    with override("vi"), pytest.raises(forms.ValidationError) as err:
        field.clean(-1)
    assert " ." not in err.value.messages[0] and "bằng với" not in err.value.messages[0]


def test_the_contact_rule_is_said_before_typing(client: Client, tree: Any) -> None:
    html = client.get(URL).content.decode()
    label = html.index('for="id_contact"')
    rule = html.find("Chỉ cần ghi nếu bạn chọn")
    field = html.index('id="id_contact"')
    assert label < rule < field
    assert "(không bắt buộc)" not in html[label:field]


def test_the_receipt_says_what_happens_next_and_by_when(client: Client, tree: Any) -> None:
    response = client.post(URL, form_data(tree.commune_a), REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 302
    situation = Situation.objects.get()
    html = client.get("/bao-tin/da-gui/").content.decode()
    assert "Việc tiếp theo" in html
    due = timezone.localtime(situation.due_at).strftime("%H:%M %d/%m/%Y")
    assert due in html and tree.commune_a.name in html
    assert "giấu tên" in html


def _framework_messages() -> list[str]:
    """Every message Django's own fields and validators give for the inputs people get wrong,
    in the active language."""
    from django import forms
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    cases: list[tuple[Any, Any]] = [
        (forms.IntegerField(min_value=0), "-1"), (forms.IntegerField(max_value=10), "11"),
        (forms.IntegerField(), "abc"), (forms.IntegerField(step_size=5), "3"),
        (forms.CharField(max_length=3), "abcd"), (forms.CharField(min_length=3), "a"),
        (forms.CharField(), ""), (forms.DateField(), "x"), (forms.EmailField(), "x"),
        (forms.DecimalField(max_digits=3, decimal_places=1), "123.45"),
        (forms.DecimalField(max_digits=5, decimal_places=1), "1.25"),
        (forms.DecimalField(max_digits=3, decimal_places=2), "12.5"),
        (forms.DecimalField(), "x"), (forms.ChoiceField(choices=[("a", "a")]), "b"),
        (forms.MultipleChoiceField(choices=[("a", "a")]), ["b"]),
    ]
    messages = []
    for field, value in cases:
        with pytest.raises(ValidationError) as err:
            field.clean(value)
        messages += err.value.messages
    for password in ("1", "password"):
        with pytest.raises(ValidationError) as err:
            validate_password(password)
        messages += err.value.messages
    return messages


def test_no_framework_message_is_left_in_english_or_half_translated() -> None:
    from django.utils.translation import override

    with override("en"):
        english = _framework_messages()
    with override("vi"):
        vietnamese = _framework_messages()
    assert len(english) == len(vietnamese)
    for source, shown in zip(english, vietnamese, strict=True):
        assert shown != source, f"left in English: {shown}"
        assert not shown.startswith("Đảm bảo rằng"), shown  # a word-for-word "Ensure that"
        assert shown.rstrip().endswith((".", "!", ":")) and " ." not in shown, shown
