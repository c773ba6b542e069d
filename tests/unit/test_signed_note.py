"""Signed notes: the Go sumdb/note example reproduced byte for byte (key IDs, signatures, a
cosigned note), round trips, and each way a note or key can be wrong."""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from projections.signed_note import (
    BadSignature,
    MalformedKey,
    MalformedNote,
    MissingSignature,
    NoteError,
    VerifierKey,
    decode_base64,
    key_id,
    open_note,
    parse_verifier_key,
    sign_note,
    signature_line,
    verifier_key,
)

# golang.org/x/mod/sumdb/note: the package documentation's example and example_test.go.
GO_SIGNER = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VERIFIER = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_SIGNATURE = (
    "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotp"
    "RZb6KE6RyyBwJnAM=\n"
)
GO_NOTE = GO_TEXT + "\n" + GO_SIGNATURE
# ExampleSign_add_signatures: "EnochRoot", generated from an all-zero seed, cosigns GO_NOTE.
ENOCH_VERIFIER = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
ENOCH_SIGNATURE = (
    "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33"
    "WWd1RvMc+QQ=\n"
)

ORIGIN = "verachain.example/audit"
KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
VERIFIER = parse_verifier_key(verifier_key(ORIGIN, KEY.public_key()))
TEXT = "verachain.example/audit\n42\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"


def go_private_key() -> Ed25519PrivateKey:
    typed_seed = base64.b64decode(GO_SIGNER.split("+", 4)[4])  # the base64 itself holds a '+'
    assert typed_seed[0] == 0x01
    return Ed25519PrivateKey.from_private_bytes(typed_seed[1:])


def test_the_go_example_key_has_the_published_key_id_and_verifier_key() -> None:
    key = go_private_key()
    assert key_id("PeterNeumann", key.public_key()).hex() == "c74f20a3"
    assert verifier_key("PeterNeumann", key.public_key()) == GO_VERIFIER
    parsed = parse_verifier_key(GO_VERIFIER)
    assert (parsed.name, parsed.key_id) == ("PeterNeumann", bytes.fromhex("c74f20a3"))
    assert parsed.public_key == key.public_key()


def test_signing_the_go_example_text_gives_the_published_note() -> None:
    assert sign_note(GO_TEXT, "PeterNeumann", go_private_key()) == GO_NOTE


def test_the_go_example_note_opens_with_its_verifier_key() -> None:
    assert open_note(GO_NOTE, parse_verifier_key(GO_VERIFIER)) == GO_TEXT


def test_the_go_cosigned_note_is_reproduced_and_opens_with_either_key() -> None:
    enoch = Ed25519PrivateKey.from_private_bytes(bytes(32))
    assert verifier_key("EnochRoot", enoch.public_key()) == ENOCH_VERIFIER
    assert signature_line(GO_TEXT, "EnochRoot", enoch) == ENOCH_SIGNATURE
    cosigned = GO_NOTE + ENOCH_SIGNATURE
    assert open_note(cosigned, parse_verifier_key(GO_VERIFIER)) == GO_TEXT
    assert open_note(cosigned, parse_verifier_key(ENOCH_VERIFIER)) == GO_TEXT


def test_a_signed_note_round_trips() -> None:
    note = sign_note(TEXT, ORIGIN, KEY)
    assert note.startswith(TEXT + "\n— verachain.example/audit ")
    assert open_note(note, VERIFIER) == TEXT


def test_a_text_may_hold_blank_lines_the_last_one_separates_the_signatures() -> None:
    text = "first\n\nthird\n\n"
    assert open_note(sign_note(text, ORIGIN, KEY), VERIFIER) == text


def test_signatures_by_unknown_keys_are_ignored_even_under_the_same_name() -> None:
    impostor = Ed25519PrivateKey.from_private_bytes(bytes([7] * 32))
    note = (
        sign_note(TEXT, ORIGIN, impostor)
        + signature_line(TEXT, "witness.example", impostor)
        + "— other.example AAAAAAE=\n"  # another key's ID and a 1-byte signature
        + signature_line(TEXT, ORIGIN, KEY)
    )
    assert open_note(note, VERIFIER) == TEXT


@pytest.mark.parametrize(
    "tamper",
    [
        lambda note: note.replace("42", "43", 1),
        lambda note: note.replace("verachain", "Verachain", 1),
        lambda note: "x" + note,
        lambda note: note.replace("\n\n", "\n\n\n"),  # the text gains a blank line
    ],
    ids=["size", "origin", "prefix", "blank line"],
)
def test_a_tampered_text_does_not_open(tamper: Callable[[str], str]) -> None:
    note = sign_note(TEXT, ORIGIN, KEY)
    with pytest.raises(BadSignature):
        open_note(tamper(note), VERIFIER)


def test_a_tampered_signature_does_not_open() -> None:
    text_part, signature = sign_note(TEXT, ORIGIN, KEY).split("— ")
    name, encoded = signature.split(" ")
    blob = bytearray(base64.b64decode(encoded))
    blob[10] ^= 1
    forged = f"{text_part}— {name} {base64.b64encode(bytes(blob)).decode()}\n"
    with pytest.raises(BadSignature, match="does not verify"):
        open_note(forged, VERIFIER)


def test_a_signature_of_the_wrong_length_by_the_key_is_a_bad_signature() -> None:
    blob = VERIFIER.key_id + bytes(63)
    note = f"{TEXT}\n— {ORIGIN} {base64.b64encode(blob).decode()}\n"
    with pytest.raises(BadSignature):
        open_note(note, VERIFIER)


def test_a_note_signed_by_another_key_is_missing_the_signature() -> None:
    note = sign_note(TEXT, "someone.else", KEY)
    with pytest.raises(MissingSignature, match=r"no signature by verachain\.example/audit"):
        open_note(note, VERIFIER)
    other = Ed25519PrivateKey.from_private_bytes(bytes([9] * 32))
    with pytest.raises(MissingSignature):
        open_note(sign_note(TEXT, ORIGIN, other), VERIFIER)


def test_two_signatures_by_the_key_make_the_note_malformed() -> None:
    note = sign_note(TEXT, ORIGIN, KEY)
    with pytest.raises(MalformedNote, match="2 signatures"):
        open_note(note + signature_line(TEXT, ORIGIN, KEY), VERIFIER)


SIGNED = sign_note(TEXT, ORIGIN, KEY)
SIGNATURE = SIGNED.removeprefix(TEXT + "\n")


@pytest.mark.parametrize(
    ("note", "reason"),
    [
        (SIGNED[:-1], "ends with a newline"),
        (TEXT + SIGNATURE, "no blank line"),
        (TEXT + "\n", "at least one signature"),
        (SIGNED.replace("— ", "- "), "not a signature line"),
        (SIGNED.replace("— ", "—"), "not a signature line"),
        (SIGNED.replace(f"{ORIGIN} ", f"{ORIGIN}  "), "not a signature line"),
        (TEXT + "\n" + SIGNATURE.replace("=\n", "= x\n"), "not a signature line"),
        (TEXT + "\n" + SIGNATURE.replace("=\n", "\n"), "bad signature line"),
        (TEXT + "\n" + SIGNATURE.replace("=\n", "=\r\n"), "control characters"),
        (SIGNED.replace(f"— {ORIGIN}", "— a+b"), "bad signature line"),
        (f"{TEXT}\n— {ORIGIN} AAAA\n", "key ID and at least one byte"),
        (TEXT.replace("42", "4\t2") + "\n" + SIGNATURE, "control characters"),
        (TEXT.replace("42", "4\ud8002") + "\n" + SIGNATURE, "lone surrogate"),
        (SIGNED + "— a AAAAAAE=\n" * 100, "more than 100 signatures"),
    ],
)
def test_malformed_notes_are_refused_with_the_reason(note: str, reason: str) -> None:
    with pytest.raises(MalformedNote, match=reason):
        open_note(note, VERIFIER)


def test_every_note_error_is_a_note_error_and_a_value_error() -> None:
    for error in (MalformedNote, MissingSignature, BadSignature, MalformedKey):
        assert issubclass(error, NoteError)
    assert issubclass(NoteError, ValueError)


@pytest.mark.parametrize("text", ["no final newline", "tab\there\n", "cr\r\n", ""])
def test_only_valid_note_text_is_signed(text: str) -> None:
    with pytest.raises(MalformedNote):
        sign_note(text, ORIGIN, KEY)


@pytest.mark.parametrize("name", ["", "a+b", "a b", "a\tb", "a\u00a0b", "a\u2003b", "a\x01b"])
def test_key_names_follow_the_spec(name: str) -> None:
    with pytest.raises(MalformedKey):
        verifier_key(name, KEY.public_key())
    with pytest.raises(MalformedKey):
        sign_note(TEXT, name, KEY)


def test_a_key_name_may_be_any_other_unicode() -> None:
    name = "logs.example/é/😀"
    parsed = parse_verifier_key(verifier_key(name, KEY.public_key()))
    assert parsed == VerifierKey(name, key_id(name, KEY.public_key()), KEY.public_key())
    assert open_note(sign_note(TEXT, name, KEY), parsed) == TEXT


@pytest.mark.parametrize(
    ("vkey", "reason"),
    [
        ("PeterNeumann", "<name>\\+<key ID>\\+<key>"),
        ("PeterNeumann+c74f20a3", "<name>\\+<key ID>\\+<key>"),
        ("+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "not a key name"),
        ("PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "8 hex digits"),
        ("PeterNeumann+0xc74f20+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "8 hex digits"),
        ("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "not the ID"),
        ("PeterNeumen+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "not the ID"),
        ("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T", "verifier key"),
        ("PeterNeumann+c74f20a3+Apc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "verifier key"),
        ("PeterNeumann+c74f20a3+AhpzZBw4PDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "not an Ed25519"),
        ("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy1A==", "not an Ed25519"),
    ],
)
def test_malformed_verifier_keys_are_refused_with_the_reason(vkey: str, reason: str) -> None:
    with pytest.raises(MalformedKey, match=reason):
        parse_verifier_key(vkey)


def test_uppercase_key_ids_are_accepted_as_go_does() -> None:
    assert parse_verifier_key(GO_VERIFIER.replace("c74f20a3", "C74F20A3")).key_id.hex() == (
        "c74f20a3"
    )


@pytest.mark.parametrize("text", ["", "AAAA", "AAAB", "AAA=", "AA==", "/+8="])
def test_canonical_standard_base64_decodes(text: str) -> None:
    assert base64.b64encode(decode_base64(text)).decode() == text


@pytest.mark.parametrize("text", ["AB==", "AAB=", "A===", "AAA", "AAAA\n", " AAAA", "_-8="])
def test_other_base64_spellings_are_refused(text: str) -> None:
    # AB== and AAB= set unused bits of their last character; _- is the URL alphabet.
    with pytest.raises(ValueError):  # noqa: PT011 - decode_base64 raises a plain ValueError
        decode_base64(text)
