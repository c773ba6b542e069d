"""Ed25519 keys as Multikey values and `did:key` identifiers (W3C Controller Documents 1.0,
did:key method v0.7).

A public key is written `z` + base58btc(0xed 0x01 ‖ 32 key bytes): `z` is the multibase
header for base58btc and 0xed 0x01 the varint of the multicodec `ed25519-pub` (0xed). Its
did:key is `did:key:<multibase>`, and the verification method that signs is that DID with the
same multibase value as fragment.
"""

from __future__ import annotations

import base58
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

BASE58BTC_HEADER = "z"
DID_KEY_PREFIX = "did:key:"
ED25519_PUB_HEADER = b"\xed\x01"  # varint(0xed), multicodec ed25519-pub
ED25519_PRIV_HEADER = b"\x80\x26"  # varint(0x1300), multicodec ed25519-priv
_KEY_LENGTH = 32


class MultikeyError(ValueError):
    """A multibase key, did:key or verification method that is not a well-formed Ed25519 one."""

    def __init__(self, value: str, reason: str) -> None:
        super().__init__(f"{reason}: {value!r}")
        self.value = value
        self.reason = reason


def public_key_multibase(public_key: Ed25519PublicKey) -> str:
    """The key's `publicKeyMultibase` form, `z6Mk...`."""
    raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return BASE58BTC_HEADER + base58.b58encode(ED25519_PUB_HEADER + raw).decode("ascii")


def did_key(public_key: Ed25519PublicKey) -> str:
    """The key's DID, `did:key:z6Mk...`."""
    return DID_KEY_PREFIX + public_key_multibase(public_key)


def verification_method(public_key: Ed25519PublicKey) -> str:
    """The id of the key's verification method in its did:key document, `did:key:z...#z...`."""
    multibase = public_key_multibase(public_key)
    return f"{DID_KEY_PREFIX}{multibase}#{multibase}"


def public_key_from_multibase(value: str) -> Ed25519PublicKey:
    """Decode a `publicKeyMultibase`; any header but ed25519-pub is refused (the spec says a
    Multikey prefix other than 0xed01 is an error, so a secret key is never taken for one)."""
    raw = _decode(value, ED25519_PUB_HEADER, "Ed25519 public key")
    return Ed25519PublicKey.from_public_bytes(raw)


def private_key_from_multibase(value: str) -> Ed25519PrivateKey:
    """Decode a `secretKeyMultibase` (header ed25519-priv, 32-byte seed), as in the spec's
    test vectors. Our own keys live in PKCS#8 files (infra.keys), never in this form."""
    raw = _decode(value, ED25519_PRIV_HEADER, "Ed25519 secret key")
    return Ed25519PrivateKey.from_private_bytes(raw)


def did_of(did_or_vm: str) -> str:
    """The DID part of a did:key or of one of its verification methods (checked well formed)."""
    public_key_from_did(did_or_vm)
    return did_or_vm.partition("#")[0]


def public_key_from_did(did_or_vm: str) -> Ed25519PublicKey:
    """The Ed25519 key named by `did:key:z...` or by its verification method `did:key:z...#z...`
    (whose fragment must repeat the key: a did:key document has no other method)."""
    did, has_fragment, fragment = did_or_vm.partition("#")
    if not did.startswith(DID_KEY_PREFIX):
        raise MultikeyError(did_or_vm, "not a did:key")
    multibase = did.removeprefix(DID_KEY_PREFIX)
    if has_fragment and fragment != multibase:
        raise MultikeyError(did_or_vm, "did:key fragment is not the key's multibase value")
    try:
        return public_key_from_multibase(multibase)
    except MultikeyError as e:
        raise MultikeyError(did_or_vm, e.reason) from e


def _decode(value: str, header: bytes, what: str) -> bytes:
    if not value.startswith(BASE58BTC_HEADER):
        raise MultikeyError(value, f"{what} is not multibase base58btc ('z' prefix)")
    try:
        decoded = base58.b58decode(value[1:])
    except ValueError as e:
        raise MultikeyError(value, f"{what} is not valid base58btc") from e
    if decoded[: len(header)] != header:
        raise MultikeyError(value, f"{what} has multicodec header {decoded[:2].hex()}")
    raw = decoded[len(header) :]
    if len(raw) != _KEY_LENGTH:
        raise MultikeyError(value, f"{what} is {len(raw)} bytes, not {_KEY_LENGTH}")
    return raw
