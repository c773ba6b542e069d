"""serial_match: the registered serial against a label's OCR text, forgiving OCR's usual
confusions and layout, never a different serial."""

from __future__ import annotations

import pytest

from infra.ocr import normalize_serial, serial_match


def test_the_serial_on_its_own_line_is_found() -> None:
    match = serial_match("ACME Wristwatch\nSERIAL: AB12-3456-XY", "AB12-3456-XY")
    assert match.found
    assert match.best_candidate == "AB12-3456-XY"
    assert match.distance == 0


@pytest.mark.parametrize(
    "read",
    [
        "ab12-3456-xy",  # case
        "AB12 3456 XY",  # printed in groups
        "A812-3456-XY",  # B read as 8
        "AB12-34S6-XY",  # 5 read as S
        "ABI2-3456-XY",  # 1 read as I
        "ABl2-3456-XY",  # 1 read as lowercase l
        "AB12.3456/XY",  # other separators
        "\uff21\uff22\uff11\uff12\uff0d\uff13\uff14\uff15\uff16\uff0d\uff38\uff39",  # full-width
    ],
)
def test_common_ocr_confusions_still_match(read: str) -> None:
    assert serial_match(f"Serial No. {read}", "AB12-3456-XY").found


def test_o_and_zero_are_the_same() -> None:
    assert serial_match("S/N: X0O7", "XO07").found


def test_a_serial_next_to_chinese_or_korean_text_is_found() -> None:
    assert serial_match("序列号AB123456\n精工机械手表", "AB123456").found
    assert serial_match("일련번호 AB123456", "AB123456").found


def test_a_different_serial_is_not_a_match() -> None:
    match = serial_match("SERIAL: AB12-3456-XZ", "AB12-3456-XY")
    assert not match.found
    assert match.best_candidate == "AB12-3456-XZ"
    assert match.distance == 1


def test_a_longer_serial_that_contains_the_registered_one_is_not_a_match() -> None:
    match = serial_match("SERIAL: AB1234567", "AB123456")
    assert not match.found
    assert match.distance == 1


def test_groups_are_only_joined_within_one_line() -> None:
    assert not serial_match("AB12\n3456", "AB12-3456").found


def test_a_label_without_latin_text_has_no_candidate() -> None:
    assert serial_match("精工机械手表", "AB123456") == serial_match("", "AB123456")
    assert serial_match("", "AB123456").best_candidate is None
    assert serial_match("", "AB123456").distance is None


def test_a_serial_without_letters_or_digits_is_refused() -> None:
    with pytest.raises(ValueError, match="no letters or digits"):
        serial_match("anything", " - ")


def test_normalized_form() -> None:
    assert normalize_serial(" ab-12 os ") == "A81205"
