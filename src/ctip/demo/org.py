from __future__ import annotations

from typing import Any

from ctip.org.models import Unit, UnitType
from ctip.units.actions import create_unit, update_unit
from ctip.units.provinces import import_province

DEMO_PROVINCE = 80  # Tây Ninh (since 1 July 2025 it includes the former Long An)

# Communes that get demo branches and groups; the villages are invented for the demo.
DEMO_BRANCHES: dict[str, list[tuple[str, str, list[str]]]] = {
    "Xã Đức Hòa": [
        ("Chi hội ấp Mỹ Lộc", "Ấp Mỹ Lộc", ["Tổ phụ nữ số 1", "Tổ phụ nữ số 2"]),
        ("Chi hội ấp Tân Phước", "Ấp Tân Phước", ["Tổ phụ nữ số 1"]),
        ("Chi hội ấp Rạch Sen", "Ấp Rạch Sen", []),
    ],
    "Phường Tân An": [
        ("Chi hội khu phố 3", "Khu phố 3", ["Tổ phụ nữ tự quản 1", "Tổ phụ nữ tự quản 2"]),
        ("Chi hội khu phố Bình Yên", "Khu phố Bình Yên", []),
    ],
    "Xã Hưng Điền": [
        ("Chi hội ấp Biên Thùy", "Ấp Biên Thùy", ["Tổ liên kết trồng lúa", "Tổ tiết kiệm"]),
        ("Chi hội ấp Cây Dương", "Ấp Cây Dương", ["Tổ phụ nữ số 1"]),
    ],
    "Xã Hậu Nghĩa": [
        ("Chi hội ấp Hòa Bình", "Ấp Hòa Bình", ["Tổ phụ nữ số 1"]),
    ],
}
BORDER_COMMUNES = {"Xã Hưng Điền", "Xã Vĩnh Thạnh", "Xã Tân Hưng"}
# Communes with Khmer, Stiêng and Tà Mun communities, flagged as ethnic minority areas.
MINORITY_COMMUNES = {"Xã Tân Đông", "Xã Tân Hòa"}


def build_org(stdout: Any = None) -> Unit:
    result = import_province(actor=None, code=DEMO_PROVINCE)
    province = result.province
    if stdout is not None:
        stdout.write(f"{province.name}: {Unit.objects.filter(parent=province).count()} "
                     "communes and wards")
    for commune in Unit.objects.filter(parent=province, name__in=BORDER_COMMUNES,
                                       is_border=False):
        update_unit(actor=None, unit=commune, is_border=True, is_remote=True)
    for commune in Unit.objects.filter(parent=province, name__in=MINORITY_COMMUNES,
                                       is_ethnic_minority=False):
        update_unit(actor=None, unit=commune, is_ethnic_minority=True)
    branch_type = UnitType.objects.get(code="branch")
    group_type = UnitType.objects.get(code="group")
    for commune_name, branches in DEMO_BRANCHES.items():
        commune = Unit.objects.get(parent=province, name=commune_name)
        for branch_name, village, groups in branches:
            branch = Unit.objects.filter(parent=commune, name=branch_name).first() or \
                create_unit(actor=None, parent=commune, name=branch_name,
                            unit_type=branch_type, village=village)
            for group_name in groups:
                if not Unit.objects.filter(parent=branch, name=group_name).exists():
                    create_unit(actor=None, parent=branch, name=group_name,
                                unit_type=group_type)
    return province
