"""RFC 8785 (JCS) canonical JSON: the bytes an audit leaf hashes, so anyone holding the event's
envelope can recompute its leaf.

`rfc8785.dumps` is the reference but costs ~26 µs an envelope in pure Python, and every event
is hashed. For the values envelopes actually hold, the standard library's C encoder writes
the very same bytes: ~7 µs with the check that the value is in that subset (~2.5 µs of it).
Anything outside the subset goes to the reference."""

from __future__ import annotations

import json

import rfc8785

# JCS serialises numbers as IEEE 754 doubles; rfc8785 accepts exactly the integers a double
# holds without rounding, |n| <= 2^53 - 1 (I-JSON's safe range), and raises beyond.
_SAFE_INT = 2**53 - 1
_FIRST_ASTRAL = "\U00010000"


def canonical_json(value: object) -> bytes:
    """The JCS form of a JSON value (dict/list/str/int/bool/None, or floats via rfc8785).

    Raises rfc8785.CanonicalizationError for what JCS cannot represent (integers past 2^53 - 1,
    NaN, lone surrogates, non-string keys, other types)."""
    if _stdlib_is_canonical(value):
        text = json.dumps(
            value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, check_circular=False
        )
        try:
            return text.encode()
        except UnicodeEncodeError:
            pass  # a lone surrogate: JCS rejects it, and rfc8785 says so below
    try:
        return rfc8785.dumps(value)  # type: ignore[arg-type]  # rfc8785 checks types itself
    except UnicodeEncodeError as error:
        # rfc8785 0.1.4 sorts keys by their UTF-16 form before checking them: a lone surrogate
        # in a key escapes as a bare UnicodeEncodeError. Same refusal, one exception type.
        msg = "input contains non-UTF-8 codepoints"
        raise rfc8785.CanonicalizationError(msg) from error


def _stdlib_is_canonical(value: object) -> bool:
    """Whether json.dumps(sort_keys, compact separators, ensure_ascii=False) equals JCS here.

    It does when the value holds only dicts with str keys, lists, tuples, str, int, bool and
    None, and:
    - ints within ±(2^53 - 1): both print them as plain decimal digits (JCS via the
      ECMAScript Number-to-string of the same, exactly held, double);
    - no floats: Python's repr and ECMAScript's number formatting differ (1e+16, 1e-07, ...);
    - dict keys free of astral characters: JCS sorts keys by UTF-16 code units and Python by
      code points, which is the same order for BMP-only strings. An astral char becomes a
      surrogate pair (0xD800-0xDBFF) and would sort below U+E000-U+FFFF in UTF-16 only.
    Strings escape identically: both escape '"', '\\' and U+0000-U+001F only, as \\b \\t \\n \\f
    \\r or lowercase \\u00xx, and write everything else (U+007F, U+2028, astral) as UTF-8.
    Lone surrogates are the one string difference; they make the UTF-8 encode fail."""
    # Exact types only: a subclass (an Enum, say) goes to rfc8785, which is right for it too.
    if type(value) is dict:
        for key, item in value.items():
            if type(key) is not str or not (key.isascii() or max(key) < _FIRST_ASTRAL):
                return False
            kind = type(item)
            if kind is str or kind is bool or item is None:
                continue  # most envelope fields: checked inline, saving a call each
            if not _stdlib_is_canonical(item):
                return False
        return True
    if type(value) is list or type(value) is tuple:
        return all(map(_stdlib_is_canonical, value))
    if type(value) is int:
        return -_SAFE_INT <= value <= _SAFE_INT
    return type(value) is str or type(value) is bool or value is None
