"""Vietnamese alphabetical order (issue 15.6): one key in Python, one collation name in the
database, the same order on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from ctip.core.collation import tree_sorted, vi_order, vi_sorted
from ctip.org.models import Unit, UnitType
from ctip.units.actions import create_unit

ALPHABETICAL = ["An Bình", "Ăn Lương", "Ấp Mới", "Ba", "Bà", "Bả", "Bã", "Bá", "Bạ",
                "Bà Đen", "Bến Cầu", "Bình Minh", "Châu Thành", "Dương Minh Châu",
                "Đức Hòa", "Gò Dầu", "O Lé", "Ô Môn", "Ơn Thanh", "Tân", "Tân An", "Úc Kỳ",
                "Uy Nỗ", "Ưu Điềm"]


def test_the_python_key_follows_the_vietnamese_alphabet() -> None:
    shuffled = sorted(ALPHABETICAL, key=lambda s: s[::-1])
    assert vi_sorted(shuffled) == ALPHABETICAL
    # code point order gets it wrong: "Bến" after "Bình", "Đ" at the end
    assert sorted(ALPHABETICAL) != ALPHABETICAL


def test_the_database_orders_alike(tree: Any) -> None:
    commune = UnitType.objects.get(code="commune")
    for name in sorted(ALPHABETICAL, key=len):
        create_unit(actor=None, parent=tree.other_province, name=f"Xã {name}",
                    unit_type=commune)
    names = list(Unit.objects.filter(parent=tree.other_province)
                 .exclude(pk=tree.other_commune.pk).order_by(vi_order("name"))
                 .values_list("name", flat=True))
    assert names == [f"Xã {n}" for n in ALPHABETICAL]
    assert vi_sorted(names) == names


def test_units_in_tree_order_with_siblings_alphabetical(tree: Any) -> None:
    units = list(Unit.objects.filter(path__subtree=tree.province.path))
    ordered = [u.name for u in tree_sorted(units)]
    assert ordered == ["Tỉnh Tây Ninh", "Phường Tân An", "Chi hội khu phố 3", "Xã Đức Hòa",
                       "Chi hội ấp Mỹ Lộc", "Tổ phụ nữ số 1", "Chi hội ấp Rạch Sen"]


def test_unit_selects_and_the_public_form_use_it(tree: Any, users: Any) -> None:
    from ctip.accounts.forms import GrantRoleForm
    from ctip.portal.forms import commune_choices

    form = GrantRoleForm(viewer=users["province_officer"])
    labels = [str(label).lstrip("— ") for value, label in form.fields["unit"].choices
              if value != ""]
    assert labels.index("Phường Tân An") < labels.index("Xã Đức Hòa")
    groups = dict(commune_choices())
    assert [n for _pk, n in groups["Tỉnh Tây Ninh"]] == ["Phường Tân An", "Xã Đức Hòa"]


def test_no_select_shows_dashes(tree: Any, users: Any) -> None:
    from django import forms as dj

    from ctip.accounts.forms import UnitChoiceField

    field = UnitChoiceField(queryset=Unit.objects.all(), required=False)
    assert "---------" not in str(list(field.choices)[0][1])
    char = dj.ModelChoiceField(queryset=Unit.objects.all())
    assert "---------" not in str(list(char.choices)[0][1])


def test_sqlite_collation_computes_each_names_key_once(monkeypatch: Any) -> None:
    """A sort compares about n log n pairs; the key of each name is computed once."""
    import functools

    from ctip.core import collation

    names = [f"{family} Thị {given} {i}" for i, (family, given) in enumerate(
        (f, g) for f in ("Nguyễn", "Trần", "Lê", "Phạm", "Đặng", "Ánh", "Bùi", "Hồ")
        for g in ("Lan", "Hoa", "Mai", "Thu", "Ngọc", "Hồng", "Tuyết", "Nga", "Ánh", "Ơn"))]
    calls = []
    real = collation.vi_key

    def counted(text: str | None) -> Any:
        calls.append(text)
        return real(text)

    monkeypatch.setattr(collation, "vi_key", counted)
    collation._known_key.cache_clear()
    ordered = sorted(reversed(names), key=functools.cmp_to_key(collation._compare))
    assert ordered == vi_sorted(names, key=lambda n: n)
    assert len(calls) - len(names) == len(names)   # once in the sort, once in vi_sorted
