"""A table over many units lists the units as rows (issue 15.5): a province's communes make
the table grow down, not across a phone's screen."""

from __future__ import annotations

import re
from typing import Any

from django.core.cache import cache
from django.urls import reverse

from ctip.org.models import UnitType
from ctip.units.actions import create_unit
from tests.conftest import log_activity
from tests.reports.facts import record_facts


def test_many_units_are_rows_few_are_columns(tree: Any, users: Any, client_for: Any) -> None:
    client = client_for(users["other_officer"])
    url = f"{reverse('reports:indicators')}?unit={tree.other_province.pk}"
    few = client.get(url).content.decode()
    assert re.search(r'<th scope="col" class="num">(<a [^>]*>)?Xã Quảng Uyên', few)

    commune = UnitType.objects.get(code="commune")
    for name in ("Bảo Lạc", "Bảo Lâm", "Hà Quảng", "Hạ Lang", "Hòa An", "Nguyên Bình",
                 "Thạch An", "Trùng Khánh"):
        create_unit(actor=None, parent=tree.other_province, name=f"Xã {name}",
                    unit_type=commune)
    many = client.get(url).content.decode()
    rows = re.findall(r'<th scope="row"><a [^>]*>(Xã [^<]+)</a></th>', many)
    assert len(rows) == 9
    # in Vietnamese order: "Bảo Lạc" before "Bảo Lâm" (a before â), letters before tones
    assert rows == ["Xã Bảo Lạc", "Xã Bảo Lâm", "Xã Hạ Lang", "Xã Hà Quảng", "Xã Hòa An",
                    "Xã Nguyên Bình", "Xã Quảng Uyên", "Xã Thạch An", "Xã Trùng Khánh"]
    assert not re.search(r'<th scope="col" class="num">(<a [^>]*>)?Xã ', many)


def test_the_table_groups_thousands_and_looks_the_format_up_once_not_per_cell(
        tree: Any, users: Any, client_for: Any, formats: Any, monkeypatch: Any) -> None:
    """A nation's table writes thousands of numbers (34 provinces by a hundred and fifty
    rows): each in the records' format ("1.205" in either language), the language's format
    looked up for the page, not for each cell, so the numbers formatted one by one do not
    grow with the units."""
    from django.utils import numberformat

    log_activity(tree.commune_a, formats["meeting"], women=1200, men=5)
    client = client_for(users["province_officer"])
    url = f"{reverse('reports:indicators')}?unit={tree.province.pk}&period=year&year=2026"
    for language in ("vi", "en"):
        body = client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert re.search(r">\s*1\.\d{3}\s*<", body), language
        assert not re.search(r">\s*1,\d{3}\s*<", body), language
    formatted: list[Any] = []
    real = numberformat.format
    monkeypatch.setattr(numberformat, "format",
                        lambda *args, **kwargs: formatted.append(args) or real(*args, **kwargs))
    cache.clear()
    client.get(url)
    baseline = len(formatted)
    commune = UnitType.objects.get(code="commune")
    for i in range(8):
        create_unit(actor=None, parent=tree.province, name=f"Xã mới {i:02d}", unit_type=commune)
    cache.clear()
    formatted.clear()
    body = client.get(url).content.decode()
    assert body.count("Xã mới") >= 8
    assert len(formatted) <= baseline


def test_every_cell_in_its_place_escaped_and_marked_in_either_layout(
        tree: Any, users: Any, formats: Any, client_for: Any) -> None:
    """The cells are written in the view (decision 0082): in either layout each row has one
    cell per column, a suppressed figure carries its mark and class, the others a number or
    "—"."""
    from ctip.reports import privacy

    record_facts(tree, users, formats)
    client = client_for(users["viewer"])  # no case.view: person counts suppressed
    url = f"{reverse('reports:indicators')}?unit={tree.province.pk}&period=year&year=2026"
    commune = UnitType.objects.get(code="commune")
    layouts = []
    for step in range(2):
        if step:  # enough communes for the units to become rows
            for i in range(8):
                create_unit(actor=None, parent=tree.province, name=f"Xã <b>{i}</b>",
                            unit_type=commune)
            cache.clear()
        page = client.get(url).content.decode()
        body = page[page.index('<table class="matrix report-table">'):]
        body = body[:body.index("</table>")]
        columns = len(re.findall(r'<th scope="col"', body)) - 1
        rows = re.findall(r'<tr[^>]*><th scope="row">(.*?)</th>(.*?)</tr>', body, re.S)
        assert rows and columns
        layouts.append("units as rows" if any("Xã" in head for head, _ in rows) else "indicators")
        marked = 0
        for _head, cells in rows:
            found = re.findall(r'<td class="(num(?: suppressed)?)">([^<]*)</td>', cells)
            assert len(found) == columns and "".join(f"{c}{t}" for c, t in found)
            for kind, text in found:
                if kind == "num suppressed":
                    marked += 1
                    assert text == privacy.MARK
                else:
                    assert re.fullmatch(r"—|[\d.,]+( %)?", text), text
        assert marked
        assert "<b>" not in body  # the new communes' names escaped
    assert layouts == ["indicators", "units as rows"]
