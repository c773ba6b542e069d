"""Ed25519 signing keys kept as PKCS#8 PEM files in the data directory, created on first use."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)

from infra.durable import sync_directory

# File names in VERACHAIN_DATA_DIR.
AUDIT_LOG_KEY_FILE = "audit-log.ed25519.pem"  # signs the audit log's checkpoints
CERTIFICATE_ISSUER_KEY_FILE = "certificate-issuer.ed25519.pem"  # signs the credentials

_OWNER_ONLY = 0o600


class KeyFileError(Exception):
    """The key file exists but does not hold an unencrypted Ed25519 PKCS#8 PEM private key."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


def load_or_create_ed25519(path: Path) -> Ed25519PrivateKey:
    """The key in `path`; a new one is written there (mode 0600) if there is none yet."""
    try:
        return load_ed25519(path)
    except FileNotFoundError:
        return _create(path)


def load_ed25519(path: Path) -> Ed25519PrivateKey:
    """The key in `path`, for tools that must never create one (FileNotFoundError if absent)."""
    pem = path.read_bytes()
    try:
        key = load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as e:  # TypeError: the PEM is encrypted
        raise KeyFileError(path, f"not an unencrypted PKCS#8 PEM private key ({e})") from e
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(path, f"holds a {type(key).__name__}, not an Ed25519 key")
    return key


def _create(path: Path) -> Ed25519PrivateKey:
    """Write the whole key to a private temporary file, then hard-link it into place. The link
    fails if the name exists, so when two processes start together exactly one key is ever
    visible under `path`, always complete; the loser drops its own and loads the winner's.
    (A rename would silently replace the winner's file: each racer would keep its own key.)"""
    path.parent.mkdir(parents=True, exist_ok=True)
    key = _generate()
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(8)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _OWNER_ONLY)
    try:
        with os.fdopen(fd, "wb") as file:
            os.fchmod(file.fileno(), _OWNER_ONLY)  # whatever the umask left
            file.write(pem)
            file.flush()
            os.fsync(file.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            return load_ed25519(path)
        _sync_directory(path.parent)
        return key
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()


def _generate() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def _sync_directory(directory: Path) -> None:
    """Make the new name durable, so a crash cannot lose a key that already signed."""
    sync_directory(directory)
