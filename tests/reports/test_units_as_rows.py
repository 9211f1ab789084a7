"""A table over many units lists the units as rows (issue 15.5): a province's communes make
the table grow down, not across a phone's screen."""

from __future__ import annotations

import re
from typing import Any

from django.urls import reverse

from ctip.org.models import UnitType
from ctip.units.actions import create_unit


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
