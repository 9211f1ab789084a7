from __future__ import annotations

from typing import Any

import pytest
from django.core.management import CommandError, call_command

from ctip.core.errors import ActionError
from ctip.org.models import Unit
from ctip.units.provinces import import_province


@pytest.mark.django_db
def test_import_tay_ninh_creates_96_communes_and_wards() -> None:
    result = import_province(actor=None, code=80)
    province = result.province
    assert province.name == "Tỉnh Tây Ninh" and province.gso_code == "80"
    communes = Unit.objects.filter(parent=province)
    assert communes.count() == 96 == len(result.created) - 1
    assert communes.filter(name="Xã Đức Hòa").exists()
    assert communes.filter(name="Phường Tân An").exists()
    assert all(c.depth == 2 and c.path.startswith(province.path) for c in communes)


@pytest.mark.django_db
def test_import_is_idempotent_and_updates_renamed_units(capsys: Any) -> None:
    import_province(actor=None, code=80)
    count = Unit.objects.count()
    ward = Unit.objects.get(name="Phường Tân An")
    Unit.objects.filter(pk=ward.pk).update(name="Phường Tân An (tên cũ)")
    call_command("units", "import", "--province", "80")
    assert Unit.objects.count() == count
    ward.refresh_from_db()
    assert ward.name == "Phường Tân An"
    assert ward.name_folded == "phuong tan an"
    result = import_province(actor=None, code=80)
    assert not result.changed and result.unchanged == 97


@pytest.mark.django_db
@pytest.mark.parametrize("code", ["99", "abc", "2"])
def test_unknown_province_code_is_refused(code: str) -> None:
    with pytest.raises(ActionError) as err:
        import_province(actor=None, code=code)
    assert code in err.value.message
    with pytest.raises(CommandError):
        call_command("units", "import", "--province", code)
    assert not Unit.objects.exists()
