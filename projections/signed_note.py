"""C2SP signed notes (c2sp.org/signed-note) with Ed25519: text, a blank line, then one line per
signature, `— <key name> base64(key ID ‖ signature)`. The same format as Go's
golang.org/x/mod/sumdb/note, so the log's checkpoints verify with the ecosystem's tools."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ED25519 = 0x01  # the spec's signature type byte for Ed25519
KEY_ID_SIZE = 4
SIGNATURE_SIZE = 64
# The spec has verifiers accept at least 16 signatures and bound the rest; Go allows 100.
MAX_SIGNATURES = 100
_SIGNATURE_PREFIX = "— "  # em dash (U+2014), space
_CONTROL = re.compile("[\x00-\x09\x0b-\x1f]")  # ASCII controls but newline: never in a note


class NoteError(ValueError):
    """A note or key that cannot be trusted; the subclass says why."""


class MalformedNote(NoteError):
    """Not a signed note: bad framing, characters or signature lines."""


class MissingSignature(NoteError):
    """Well formed, but not signed by the expected key."""


class BadSignature(NoteError):
    """Signed under the expected key's name and ID, but the signature does not verify."""


class MalformedKey(NoteError):
    """A key name or verifier key the spec does not allow."""


@dataclass(frozen=True)
class VerifierKey:
    name: str
    key_id: bytes
    public_key: Ed25519PublicKey


def decode_base64(text: str) -> bytes:
    """Standard base64 (RFC 4648 §4), in its one canonical spelling only, so that a signed or
    hashed value has exactly one text form. ValueError otherwise."""
    try:
        decoded = base64.b64decode(text, validate=True)
    except binascii.Error as error:
        raise ValueError(str(error)) from None
    if base64.b64encode(decoded).decode() != text:
        msg = "non-canonical base64"
        raise ValueError(msg)
    return decoded


def _encode_base64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _check_name(name: str) -> None:
    # Spaces and '+' would make signature lines and verifier keys ambiguous.
    if not name or "+" in name or any(char.isspace() for char in name) or _CONTROL.search(name):
        msg = f"{name!r} is not a key name: non-empty, no spaces, '+' or control characters"
        raise MalformedKey(msg)
    try:
        name.encode()
    except UnicodeEncodeError:
        msg = f"{name!r} is not a key name: lone surrogate"
        raise MalformedKey(msg) from None


def key_id(name: str, public_key: Ed25519PublicKey) -> bytes:
    """SHA-256(name ‖ 0x0A ‖ 0x01 ‖ 32-byte public key)[:4], the spec's Ed25519 key ID."""
    material = name.encode() + bytes([0x0A, ED25519]) + public_key.public_bytes_raw()
    return hashlib.sha256(material).digest()[:KEY_ID_SIZE]


def verifier_key(name: str, public_key: Ed25519PublicKey) -> str:
    """`<name>+<key ID hex>+<base64(0x01 ‖ public key)>`, the key's shareable form."""
    _check_name(name)
    encoded = _encode_base64(bytes([ED25519]) + public_key.public_bytes_raw())
    return f"{name}+{key_id(name, public_key).hex()}+{encoded}"


def parse_verifier_key(vkey: str) -> VerifierKey:
    """The key of a verifier key string; MalformedKey unless every part, including the key ID
    derived from name and key, checks out."""
    parts = vkey.split("+", 2)  # the base64 part may itself hold '+'
    if len(parts) != 3:  # name, key ID, key
        msg = "a verifier key is <name>+<key ID>+<key>"
        raise MalformedKey(msg)
    name, id_hex, encoded = parts
    _check_name(name)
    if len(id_hex) != 2 * KEY_ID_SIZE or not all(c in "0123456789abcdefABCDEF" for c in id_hex):
        msg = f"key ID {id_hex!r} is not 8 hex digits"
        raise MalformedKey(msg)
    try:
        typed_key = decode_base64(encoded)
    except ValueError as error:
        msg = f"verifier key: {error}"
        raise MalformedKey(msg) from None
    if len(typed_key) != 33 or typed_key[0] != ED25519:  # type byte and key
        msg = "not an Ed25519 verifier key (type 0x01 and 32 bytes)"
        raise MalformedKey(msg)
    public_key = Ed25519PublicKey.from_public_bytes(typed_key[1:])
    derived = key_id(name, public_key)
    if derived != bytes.fromhex(id_hex):
        msg = f"key ID {id_hex} is not the ID of this name and key ({derived.hex()})"
        raise MalformedKey(msg)
    return VerifierKey(name, derived, public_key)


def _check_text(text: str) -> bytes:
    if not text.endswith("\n"):
        msg = "note text must end with a newline"
        raise MalformedNote(msg)
    if _CONTROL.search(text):
        msg = "note text holds control characters"
        raise MalformedNote(msg)
    try:
        return text.encode()
    except UnicodeEncodeError:
        msg = "note text is not valid Unicode (lone surrogate)"
        raise MalformedNote(msg) from None


def signature_line(text: str, name: str, private_key: Ed25519PrivateKey) -> str:
    """One signature line over `text`; appending it to a signed note cosigns it."""
    _check_name(name)
    signature = private_key.sign(_check_text(text))
    blob = key_id(name, private_key.public_key()) + signature
    return f"{_SIGNATURE_PREFIX}{name} {_encode_base64(blob)}\n"


def sign_note(text: str, name: str, private_key: Ed25519PrivateKey) -> str:
    """The note of `text` (lines, each ending in a newline) signed by `name`'s key."""
    return f"{text}\n{signature_line(text, name, private_key)}"


def open_note(note: str, verifier: VerifierKey) -> str:
    """The text of a note that `verifier` signed. Signatures by other keys are ignored, as the
    spec requires; a failing one by this key rejects the whole note."""
    if not note.endswith("\n"):
        msg = "a note ends with a newline"
        raise MalformedNote(msg)
    if _CONTROL.search(note):
        msg = "a note holds no control characters but newlines"
        raise MalformedNote(msg)
    # The last blank line separates text and signatures; the text may hold blank lines too.
    split = note.rfind("\n\n")
    if split < 0:
        msg = "no blank line before the signatures"
        raise MalformedNote(msg)
    text = note[: split + 1]
    message = _check_text(text)
    lines = note[split + 2 : -1].split("\n") if split + 2 < len(note) else []
    if not lines:
        msg = "a note has at least one signature"
        raise MalformedNote(msg)
    if len(lines) > MAX_SIGNATURES:
        msg = f"more than {MAX_SIGNATURES} signatures"
        raise MalformedNote(msg)
    signatures = [
        blob[KEY_ID_SIZE:]
        for name, blob in map(_parse_signature_line, lines)
        if name == verifier.name and blob[:KEY_ID_SIZE] == verifier.key_id
    ]
    described = f"{verifier.name} ({verifier.key_id.hex()})"
    if not signatures:
        msg = f"no signature by {described}"
        raise MissingSignature(msg)
    if len(signatures) > 1:
        msg = f"{len(signatures)} signatures by {described}"
        raise MalformedNote(msg)
    try:
        if len(signatures[0]) != SIGNATURE_SIZE:
            raise InvalidSignature
        verifier.public_key.verify(signatures[0], message)
    except InvalidSignature:
        msg = f"the signature by {described} does not verify"
        raise BadSignature(msg) from None
    return text


def _parse_signature_line(line: str) -> tuple[str, bytes]:
    """(key name, key ID ‖ signature) of one signature line."""
    fields = line.removeprefix(_SIGNATURE_PREFIX).split(" ")
    if not line.startswith(_SIGNATURE_PREFIX) or len(fields) != 2:
        msg = f"not a signature line: {line[:80]!r}"
        raise MalformedNote(msg)
    name, encoded = fields
    try:
        _check_name(name)
        blob = decode_base64(encoded)
    except ValueError as error:  # MalformedKey is a ValueError too
        msg = f"bad signature line: {error}"
        raise MalformedNote(msg) from None
    if len(blob) <= KEY_ID_SIZE:
        msg = "a signature holds a key ID and at least one byte"
        raise MalformedNote(msg)
    return name, blob
