"""canonical_json is RFC 8785 exactly: the standard library's fast path writes the same bytes
as the rfc8785 reference wherever it is taken, and everything else goes to the reference."""

from __future__ import annotations

import json
from enum import IntEnum, StrEnum
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from projections.jcs import canonical_json

SAFE = 2**53 - 1
# Characters where JSON encoders tend to differ: controls and their short escapes, quote and
# backslash, DEL, the JavaScript line terminators, a BMP private-use char, astral chars.
TRICKY = st.sampled_from(
    [
        *("\x00", "\x01", "\x1f", "\b", "\t", "\n", "\f", "\r", '"', "\\", "/", "\x7f"),
        *("\u2028", "\u2029", "\ue000", "\uffff", "\U0001f600", "\U00010000", "\U0010ffff"),
    ]
)
# Valid Unicode only (codec="utf-8" leaves out lone surrogates, tested on their own below).
STRINGS = st.text(st.one_of(st.characters(codec="utf-8"), TRICKY))
BMP_KEYS = st.text(
    st.one_of(st.characters(codec="utf-8", max_codepoint=0xFFFF), TRICKY.filter(str.isascii))
)
SAFE_INTS = st.one_of(st.integers(-SAFE, SAFE), st.sampled_from([0, -1, SAFE, -SAFE, 2**31]))


def json_values(keys: st.SearchStrategy[str], scalars: st.SearchStrategy[Any]) -> Any:
    return st.recursive(
        scalars,
        lambda children: st.one_of(
            st.lists(children, max_size=6), st.dictionaries(keys, children, max_size=6)
        ),
        max_leaves=25,
    )


FAST_SUBSET = json_values(BMP_KEYS, st.one_of(st.none(), st.booleans(), SAFE_INTS, STRINGS))
ANY_JSON = json_values(
    STRINGS,
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        STRINGS,
        st.floats(allow_nan=False, allow_infinity=False),
    ),
)


def stdlib_form(value: object) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@settings(max_examples=200)
@given(FAST_SUBSET)
def test_the_stdlib_form_is_jcs_for_bmp_keys_safe_ints_and_no_floats(value: Any) -> None:
    assert stdlib_form(value) == rfc8785.dumps(value) == canonical_json(value)


@settings(max_examples=200)
@given(ANY_JSON)
def test_canonical_json_equals_the_reference_on_any_json(value: Any) -> None:
    try:
        expected = rfc8785.dumps(value)
    except rfc8785.CanonicalizationError as error:
        with pytest.raises(type(error)):
            canonical_json(value)
    else:
        assert canonical_json(value) == expected


def test_an_envelope_takes_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    envelope: dict[str, Any] = {
        "event_id": "0d7c5a5e-1c44-5b8a-9d1e-8a1b2c3d4e5f",
        "type": "BidPlaced",
        "schema_version": 1,
        "position": 123456,
        "data": {"amount": "125.50", "note": "naïve “quoted” \u2028 😀", "tags": ["a", None]},
        "metadata": {"actor": "user-42", "ok": True},
    }
    expected = rfc8785.dumps(envelope)

    def reference_not_expected(_: object) -> bytes:
        raise AssertionError

    monkeypatch.setattr(rfc8785, "dumps", reference_not_expected)
    assert canonical_json(envelope) == expected


def test_floats_go_to_the_reference_which_formats_them_like_ecmascript() -> None:
    assert canonical_json({"n": 1.0}) == b'{"n":1}'
    assert canonical_json([1e21, 1e-7, 0.1, -0.0]) == b"[1e+21,1e-7,0.1,0]"
    assert json.dumps([1e21, 1e-7, 1.0]) == "[1e+21, 1e-07, 1.0]"  # why floats cannot go fast


def test_integers_beyond_what_a_double_holds_exactly_are_refused_like_the_reference() -> None:
    assert canonical_json([SAFE, -SAFE]) == b"[9007199254740991,-9007199254740991]"
    for n in (SAFE + 1, -(SAFE + 1), 2**64):
        with pytest.raises(rfc8785.IntegerDomainError):
            canonical_json({"n": n})


def test_astral_keys_are_sorted_by_utf16_code_units_via_the_reference() -> None:
    # U+1F600 is the surrogate pair D83D DE00 in UTF-16, so it sorts before U+E000 there,
    # although its code point is larger (and Python would sort it after).
    value = {"\ue000": 1, "\U0001f600": 2, "a": 3}
    assert canonical_json(value) == '{"a":3,"\U0001f600":2,"\ue000":1}'.encode()
    assert canonical_json(value) == rfc8785.dumps(value)
    assert stdlib_form(value) != canonical_json(value)


@pytest.mark.parametrize("value", ["\ud800", ["ok", "\udfff"], {"\ud83d": 1}, {"k": "a\ud800b"}])
def test_lone_surrogates_are_refused(value: object) -> None:
    with pytest.raises(rfc8785.CanonicalizationError):
        canonical_json(value)


@pytest.mark.parametrize("value", [{1: "a"}, {None: "a"}, {(1, 2): "a"}, {True: 1}])
def test_non_string_keys_are_refused_not_stringified(value: object) -> None:
    with pytest.raises(rfc8785.CanonicalizationError):
        canonical_json(value)


def test_other_types_are_refused() -> None:
    with pytest.raises(rfc8785.CanonicalizationError):
        canonical_json({"when": object()})


def test_tuples_are_arrays_and_enum_members_are_their_values() -> None:
    class Level(IntEnum):
        HIGH = 3

    class Kind(StrEnum):
        BID = "bid"

    assert canonical_json((1, (2, "x"))) == b'[1,[2,"x"]]'
    assert canonical_json({"kind": Kind.BID, "level": Level.HIGH}) == b'{"kind":"bid","level":3}'


def test_control_characters_use_the_jcs_escapes() -> None:
    assert canonical_json("\b\t\n\f\r\x00\x1f\x7f") == b'"\\b\\t\\n\\f\\r\\u0000\\u001f\x7f"'
