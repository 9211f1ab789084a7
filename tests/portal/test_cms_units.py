"""Unit choosers in the CMS show the tree and can be searched (issue #16 point 5): the unit in
charge of a section is chosen from the open units in tree order, each under its parent, from a
select that ``portal/cms-init.js`` gives a search box (browser test:
tests/e2e/test_cms_policy.py)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from ctip.org.models import Unit
from tests.portal.conftest import Bulletin

pytestmark = pytest.mark.django_db


def _options(html: str, name: str) -> list[str]:
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select is not None, name
    return [re.sub(r"\s+", " ", text).strip()
            for text in re.findall(r"<option[^>]*>(.*?)</option>", select.group(1), re.S)]


def test_the_section_unit_is_chosen_from_the_tree(users: dict[str, Any], bulletin: Bulletin,
                                                  tree: Any, client_for: Any) -> None:
    Unit.objects.filter(pk=tree.other_commune.pk).update(closed_on="2025-07-01")
    html = client_for(users["publisher"]).get(
        reverse("wagtailadmin_pages:edit", args=(bulletin.section.pk,))).content.decode()
    assert re.search(r'<select name="unit"[^>]*data-ctip-unit-search="Tìm đơn vị theo tên"', html)
    options = _options(html, "unit")[1:]  # after "— Chọn —"
    # tree order, brothers and sisters alphabetically, indented one step per level; open only
    assert options == ["Hội Liên hiệp Phụ nữ Việt Nam", "— Tỉnh Cao Bằng", "— Tỉnh Tây Ninh",
                       "— — Phường Tân An", "— — — Chi hội khu phố 3", "— — Xã Đức Hòa",
                       "— — — Chi hội ấp Mỹ Lộc", "— — — — Tổ phụ nữ số 1",
                       "— — — Chi hội ấp Rạch Sen"]
    assert not any("Quảng Uyên" in o for o in options)  # closed


def test_the_publishing_unit_uses_the_same_chooser(users: dict[str, Any], bulletin: Bulletin,
                                                   client_for: Any) -> None:
    html = client_for(users["publisher"]).get(
        reverse("wagtailadmin_pages:edit", args=(bulletin.articles[0].pk,))).content.decode()
    assert "— — Xã Đức Hòa" in _options(html, "publishing_unit")
