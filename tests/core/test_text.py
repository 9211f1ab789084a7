import unicodedata

import pytest

from ctip.core.text import fold, nfc


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Tân An", "tan an"),
        ("Đức Hòa", "duc hoa"),
        ("ĐẮK LẮK", "dak lak"),
        ("  Xã   Hưng  Điền ", "xa hung dien"),
        ("mua bán người", "mua ban nguoi"),
    ],
)
def test_fold_drops_marks_and_case(text: str, key: str) -> None:
    assert fold(text) == key


def test_fold_treats_composed_and_decomposed_alike() -> None:
    composed = "Hòa Thành"
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    assert fold(composed) == fold(decomposed) == "hoa thanh"
    assert nfc(decomposed) == composed
