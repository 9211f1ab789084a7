"""The tree and the users a test asks for (``tests/conftest.py``) are built once for the
consecutive tests of a file that want them, inside a transaction kept open around those tests
(decision record 0067). Each test must still see them exactly as built: what a test before it
changed, in the database or in its instances, is gone."""

from __future__ import annotations

from typing import Any

from ctip.accounts.models import User
from ctip.org.models import Unit
from tests.conftest import Tree

SEEN: dict[str, Any] = {}


def test_a_test_changes_the_tree_and_a_user(tree: Tree, users: dict[str, User]) -> None:
    SEEN["province"] = tree.province.pk
    Unit.objects.filter(pk=tree.province.pk).update(name="Tỉnh đã đổi tên")
    Unit.objects.filter(pk=tree.branch_b1.pk).update(village="Khu phố đã đổi")
    User.objects.filter(pk=users["viewer"].pk).update(is_active=False)
    tree.commune_a.name = "Đổi trong bộ nhớ"
    users["editor"].full_name = "Đổi trong bộ nhớ"
    assert Unit.objects.get(pk=tree.province.pk).name == "Tỉnh đã đổi tên"


def test_the_next_test_sees_them_as_built(tree: Tree, users: dict[str, User]) -> None:
    assert tree.province.pk == SEEN["province"]  # the same rows: built once for both
    assert tree.province.name == Unit.objects.get(pk=tree.province.pk).name == "Tỉnh Tây Ninh"
    assert Unit.objects.get(pk=tree.branch_b1.pk).village == ""
    assert tree.commune_a.name == "Xã Đức Hòa"
    assert users["viewer"].is_active and User.objects.get(pk=users["viewer"].pk).is_active
    assert users["editor"].full_name == "Bientap"
    assert users["branch_head"].home_unit == tree.branch_a1
    assert tree.group_a1.parent == tree.branch_a1
    assert Unit.objects.filter(path__startswith=tree.province.path).count() == 7


def test_a_test_with_the_tree_alone_sees_no_users(tree: Tree) -> None:
    assert not User.objects.filter(username__in=["admin", "tinh", "xa", "xem"]).exists()
    assert Unit.objects.count() == 10


def test_a_test_without_the_tree_sees_an_empty_one(db: Any) -> None:
    assert not Unit.objects.exists()
    assert not User.objects.filter(username="admin").exists()

