"""Loading the official administrative units from the ``vietnam-provinces`` package."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from vietnam_provinces import Province, ProvinceCode, VietNamDivisionType, Ward

from ctip.audit.actions import record
from ctip.core.errors import ActionError
from ctip.core.text import fold
from ctip.org.models import Unit, UnitType
from ctip.units.actions import create_unit

CENTRAL_NAME = "Hội Liên hiệp Phụ nữ Việt Nam"


@dataclass
class ImportResult:
    province: Unit
    created: list[str] = field(default_factory=list)
    renamed: list[tuple[str, str]] = field(default_factory=list)
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.renamed)


def province_label(province: Province) -> str:
    if province.division_type == VietNamDivisionType.TINH:
        return f"Tỉnh {province.name}"
    return province.name


def lookup_province(code: int | str) -> Province:
    try:
        return Province.from_code(ProvinceCode(int(code)))
    except (ValueError, TypeError) as exc:
        raise ActionError(
            _("There is no province with code %(code)s in the official list of 34 provinces.")
            % {"code": code}
        ) from exc


def central_unit() -> Unit:
    central = Unit.objects.filter(parent__isnull=True, unit_type__code="central").first()
    if central is None:
        central = create_unit(actor=None, parent=None, name=CENTRAL_NAME,
                              unit_type=UnitType.objects.get(code="central"))
    return central


def _sync(parent: Unit, code: str, name: str, unit_type: UnitType,
          result: ImportResult) -> Unit:
    unit = Unit.objects.filter(gso_code=code).first()
    if unit is None:
        unit = create_unit(actor=None, parent=parent, name=name, unit_type=unit_type,
                           gso_code=code, audit=False)
        result.created.append(name)
    elif unit.name != name:
        result.renamed.append((unit.name, name))
        unit.name = name
        unit.name_folded = fold(name)
        unit.save(update_fields=["name", "name_folded"])
    else:
        result.unchanged += 1
    return unit


@transaction.atomic
def import_province(*, actor: Any, code: int | str) -> ImportResult:
    """Create or update a province and all its communes and wards. Safe to run again."""
    province = lookup_province(code)
    types = {t.code: t for t in UnitType.objects.filter(code__in=["province", "commune"])}
    root = central_unit()
    result = ImportResult(province=root)
    prov_unit = _sync(root, str(province.code.value), province_label(province),
                      types["province"], result)
    result.province = prov_unit
    for ward in sorted(Ward.iter_by_province(province.code), key=lambda w: w.code.value):
        _sync(prov_unit, str(ward.code.value), ward.name, types["commune"], result)
    if result.changed:
        record(actor=actor, action="unit.imported", target=prov_unit, unit_path=prov_unit.path,
               changes={"created": len(result.created), "renamed": result.renamed,
                        "source": "vietnam-provinces"})
    return result
