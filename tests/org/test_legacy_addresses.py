"""Pre-2025 addresses resolved to today's communes (issue 18, point 1).

Every old commune of Long An (code 80 before 2025) and Tây Ninh (72), both now Tây Ninh,
is written the way old spreadsheets write it (full, without accents, abbreviated, without the
district) and must resolve to what the ``vietnamadminunits`` conversion table gives: one unit,
or, for a commune divided in 2025, "ambiguous" with every candidate.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.management import call_command

from ctip.core.text import fold
from ctip.org.legacy_addresses import (
    AMBIGUOUS,
    EXACT,
    UNKNOWN,
    abbreviated,
    expected_conversion,
    old_communes,
    resolve_address,
)
from ctip.org.models import Unit
from ctip.units.provinces import import_province

OLD_COMMUNES = old_communes("80") + old_communes("72")

def test_both_old_provinces_are_complete() -> None:
    provinces = {p for p, _d, _c in OLD_COMMUNES}
    assert provinces == {"Tỉnh Long An", "Tỉnh Tây Ninh"}
    assert sum(1 for p, _d, _c in OLD_COMMUNES if p == "Tỉnh Long An") == 186
    assert sum(1 for p, _d, _c in OLD_COMMUNES if p == "Tỉnh Tây Ninh") == 94


@pytest.mark.django_db
def test_every_old_commune_of_long_an_and_tay_ninh_resolves_as_the_package_says() -> None:
    divided = exact = 0
    failures = []
    for province, district, commune in OLD_COMMUNES:
        expected = sorted(expected_conversion(province, district, commune))
        assert expected, (province, district, commune)
        written = [
            f"{commune}, {district}, {province}",
            fold(f"{commune}, {district}, {province}"),  # no accents
            ", ".join(abbreviated(x) for x in (commune, district, province)),
            f"Ấp 2, {commune}, {district}, {province}",  # with a hamlet in front
        ]
        for address in written:
            answer = resolve_address(address)
            codes = sorted(c.code for c in answer.candidates)
            status = EXACT if len(expected) == 1 else AMBIGUOUS
            if answer.status != status or codes != expected:
                failures.append((address, answer.status, codes, expected))
        if len(expected) > 1:
            divided += 1
        else:
            exact += 1
    assert not failures, failures[:10]
    assert divided == 24 and exact == 256


@pytest.mark.django_db
def test_divided_commune_lists_candidates_and_names_the_old_commune() -> None:
    answer = resolve_address("ấp 3, xã Đức Hòa Thượng, huyện Đức Hòa, tỉnh Long An")
    assert answer.status == AMBIGUOUS
    assert {c.name for c in answer.candidates} == {"Xã Đức Lập", "Xã Mỹ Hạnh"}
    assert [o.name for o in answer.old] == ["Xã Đức Hòa Thượng"]
    assert "Đức Hòa Thượng" in answer.message and answer.unit_id is None


@pytest.mark.django_db
@pytest.mark.parametrize(("address", "code"), [
    ("Xã Mỹ Lộc, Huyện Cần Giuộc, Tỉnh Long An", "28177"),
    ("X. My Loc, H. Can Giuoc, Long An", "28177"),
    ("xa my loc huyen can giuoc tinh long an", "28177"),
    ("Mỹ Lộc, Long An", "28177"),  # without the district
    ("TT. Đức Hòa, H. Đức Hòa, Long An", "27937"),
    ("Phuong 1, TP Tan An, Long An", "27694"),
    ("P.3, TP. Tây Ninh, Tây Ninh", "25459"),
    ("Xa Duc Hoa", "27937"),  # today's name, without accents
    ("Xã Đức Hòa, Tỉnh Tây Ninh", "27937"),
    ("Phường Long An, Tây Ninh", "27694"),  # today's ward, not the old province
    ("27937", "27937"),  # a code
])
def test_written_forms(address: str, code: str) -> None:
    answer = resolve_address(address)
    assert answer.status == EXACT, answer
    assert [c.code for c in answer.candidates] == [code]


@pytest.mark.django_db
@pytest.mark.parametrize("address", ["", "   ", "Long An", "hello world", "99999",
                                     "Q.1, TP. Hồ Chí Minh", "x" * 5000])
def test_unknown(address: str) -> None:
    answer = resolve_address(address)
    assert answer.status == UNKNOWN and not answer.candidates
    assert "xã" in answer.message  # said in Vietnamese


@pytest.mark.django_db
def test_candidates_name_the_installed_units() -> None:
    import_province(actor=None, code=80)
    answer = resolve_address("Xã Mỹ Lộc, Huyện Cần Giuộc, Tỉnh Long An")
    unit = Unit.objects.get(gso_code="28177")
    assert answer.unit_id == unit.pk
    divided = resolve_address("xã Đức Hòa Thượng, huyện Đức Hòa, tỉnh Long An")
    installed = Unit.objects.filter(gso_code__in=[c.code for c in divided.candidates])
    assert {c.unit_id for c in divided.candidates} == set(installed.values_list("pk", flat=True))
    assert divided.unit_id is None  # ambiguous: never a unit by itself


def _run(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("units", "resolve", *args, stdout=out)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue()
    return 0, out.getvalue()


@pytest.mark.django_db
def test_command_prints_status_codes_and_names() -> None:
    status, text = _run("Xã Mỹ Lộc, Huyện Cần Giuộc, Tỉnh Long An")
    assert status == 0
    lines = text.splitlines()
    assert lines[0] == "exact" and "28177 Xã Mỹ Lộc, Tỉnh Tây Ninh" in text
    assert "before 2025: 28177 Xã Mỹ Lộc, Huyện Cần Giuộc, Tỉnh Long An" in text

    status, text = _run("xa Duc Hoa Thuong, huyen Duc Hoa, Long An")
    assert status == 0 and text.splitlines()[0] == "ambiguous"
    assert "27964 Xã Đức Lập" in text and "27976 Xã Mỹ Hạnh" in text

    status, text = _run("nowhere at all")
    assert status == 1 and text.splitlines()[0] == "unknown"


@pytest.mark.django_db
def test_command_json() -> None:
    status, text = _run("X. My Loc, H. Can Giuoc, Long An", "--json")
    data: dict[str, Any] = json.loads(text)
    assert status == 0 and data["status"] == "exact" and data["source"] == "old"
    assert data["candidates"][0]["code"] == "28177"
    assert data["candidates"][0]["name"] == "Xã Mỹ Lộc"
    assert data["old_units"][0]["district"] == "Huyện Cần Giuộc"
    status, text = _run("???", "--json")
    assert status == 1 and json.loads(text)["status"] == "unknown"
