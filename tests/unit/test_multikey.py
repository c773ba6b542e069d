"""Multikey and did:key: the spec's key pair, round trips, and malformed identifiers refused."""

from __future__ import annotations

import base58
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from infra.credentials.multikey import (
    MultikeyError,
    did_key,
    did_of,
    private_key_from_multibase,
    public_key_from_did,
    public_key_from_multibase,
    public_key_multibase,
    verification_method,
)

# W3C Data Integrity EdDSA Cryptosuites v1.0, TestVectors/keyPair.json.
SPEC_PUBLIC = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
SPEC_SECRET = "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq"
# The same spec's "An Ed25519 public key encoded as a Multikey" example.
SPEC_OTHER_PUBLIC = "z6Mkf5rGMoatrSj1f4CyvuHBeXJELe9RPdzo2PKGNCKVtZxP"


def raw(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def test_the_spec_secret_key_gives_its_public_key_did_and_method() -> None:
    public_key = private_key_from_multibase(SPEC_SECRET).public_key()

    assert public_key_multibase(public_key) == SPEC_PUBLIC
    assert did_key(public_key) == f"did:key:{SPEC_PUBLIC}"
    assert verification_method(public_key) == f"did:key:{SPEC_PUBLIC}#{SPEC_PUBLIC}"


def test_a_public_multikey_encodes_back_to_the_same_text() -> None:
    for value in (SPEC_PUBLIC, SPEC_OTHER_PUBLIC):
        assert public_key_multibase(public_key_from_multibase(value)) == value


def test_the_multikey_is_z_then_base58btc_of_0xed01_and_the_key() -> None:
    public_key = Ed25519PrivateKey.generate().public_key()

    encoded = public_key_multibase(public_key)

    assert encoded.startswith("z6Mk")
    assert base58.b58decode(encoded[1:]) == b"\xed\x01" + raw(public_key)


@pytest.mark.parametrize("form", ["did", "method"])
def test_a_key_comes_back_from_its_did_or_its_verification_method(form: str) -> None:
    public_key = Ed25519PrivateKey.generate().public_key()
    identifier = did_key(public_key) if form == "did" else verification_method(public_key)

    assert raw(public_key_from_did(identifier)) == raw(public_key)
    assert did_of(identifier) == did_key(public_key)


def pub_with_length(length: int) -> str:
    return "z" + base58.b58encode(b"\xed\x01" + b"\x07" * length).decode()


@pytest.mark.parametrize(
    ("identifier", "reason"),
    [
        ("did:web:vc.example", "not a did:key"),
        (SPEC_PUBLIC, "not a did:key"),
        ("", "not a did:key"),
        ("did:key:", "not multibase base58btc"),
        (f"did:key:{SPEC_PUBLIC[1:]}", "not multibase base58btc"),
        (f"did:key:{SPEC_PUBLIC.replace('V', '0')}", "not valid base58btc"),
        (f"did:key:{SPEC_PUBLIC}é", "not valid base58btc"),
        (f"did:key:{SPEC_SECRET}", "multicodec header 8026"),
        (f"did:key:{pub_with_length(31)}", "31 bytes, not 32"),
        (f"did:key:{pub_with_length(33)}", "33 bytes, not 32"),
        (f"did:key:{SPEC_PUBLIC}#key-1", "fragment is not the key's"),
        (f"did:key:{SPEC_PUBLIC}#{SPEC_OTHER_PUBLIC}", "fragment is not the key's"),
    ],
)
def test_a_malformed_did_key_is_refused_with_its_reason(identifier: str, reason: str) -> None:
    with pytest.raises(MultikeyError) as refused:
        public_key_from_did(identifier)

    assert reason in refused.value.reason
    assert refused.value.value == identifier


def test_a_public_key_is_not_taken_for_a_secret_one_nor_the_reverse() -> None:
    with pytest.raises(MultikeyError, match="header ed01"):
        private_key_from_multibase(SPEC_PUBLIC)
    with pytest.raises(MultikeyError, match="header 8026"):
        public_key_from_multibase(SPEC_SECRET)
