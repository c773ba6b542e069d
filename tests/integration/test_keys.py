"""Signing key files: created once with mode 0600, reloaded the same, never two different keys
when processes start together, and a clear error for a file that is not an Ed25519 key."""

from __future__ import annotations

import multiprocessing
import stat
from multiprocessing.synchronize import Barrier
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    BestAvailableEncryption,
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from infra import keys
from infra.keys import (
    AUDIT_LOG_KEY_FILE,
    CERTIFICATE_ISSUER_KEY_FILE,
    KeyFileError,
    load_ed25519,
    load_or_create_ed25519,
)


def public_bytes(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def test_the_first_use_creates_a_private_pkcs8_file_and_its_directories(tmp_path: Path) -> None:
    path = tmp_path / "data" / "keys" / CERTIFICATE_ISSUER_KEY_FILE

    load_or_create_ed25519(path)

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text().startswith("-----BEGIN PRIVATE KEY-----\n")
    assert [p.name for p in path.parent.iterdir()] == [CERTIFICATE_ISSUER_KEY_FILE]


def test_a_reload_gives_the_same_key(tmp_path: Path) -> None:
    path = tmp_path / AUDIT_LOG_KEY_FILE

    created = load_or_create_ed25519(path)
    reloaded = load_or_create_ed25519(path)

    assert public_bytes(reloaded) == public_bytes(created)


def test_loading_alone_never_creates_a_key(tmp_path: Path) -> None:
    path = tmp_path / AUDIT_LOG_KEY_FILE

    with pytest.raises(FileNotFoundError):
        load_ed25519(path)
    assert not path.exists()
    created = load_or_create_ed25519(path)
    assert public_bytes(load_ed25519(path)) == public_bytes(created)


def test_the_two_project_keys_have_their_own_files() -> None:
    assert AUDIT_LOG_KEY_FILE == "audit-log.ed25519.pem"
    assert CERTIFICATE_ISSUER_KEY_FILE == "certificate-issuer.ed25519.pem"


def not_an_ed25519_key(kind: str) -> bytes:
    if kind == "p256":
        return ec.generate_private_key(ec.SECP256R1()).private_bytes(
            Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()
        )
    if kind == "encrypted":
        return Ed25519PrivateKey.generate().private_bytes(
            Encoding.PEM, PrivateFormat.PKCS8, BestAvailableEncryption(b"secret")
        )
    return {"empty": b"", "garbage": b"not a key at all\n"}[kind]


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("empty", "not an unencrypted PKCS#8 PEM private key"),
        ("garbage", "not an unencrypted PKCS#8 PEM private key"),
        ("p256", "not an Ed25519 key"),
        ("encrypted", "not an unencrypted PKCS#8 PEM private key"),
    ],
)
def test_a_file_that_is_not_an_ed25519_key_is_an_error(
    tmp_path: Path, kind: str, reason: str
) -> None:
    path = tmp_path / AUDIT_LOG_KEY_FILE
    content = not_an_ed25519_key(kind)
    path.write_bytes(content)

    with pytest.raises(KeyFileError) as refused:
        load_or_create_ed25519(path)

    assert reason in refused.value.reason
    assert refused.value.path == path
    assert path.read_bytes() == content  # never overwritten


def test_the_loser_of_a_creation_race_takes_the_winners_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / CERTIFICATE_ISSUER_KEY_FILE
    winner = Ed25519PrivateKey.generate()

    def generate_while_another_process_wins() -> Ed25519PrivateKey:
        path.write_bytes(winner.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
        return Ed25519PrivateKey.generate()

    monkeypatch.setattr(keys, "_generate", generate_while_another_process_wins)

    loaded = load_or_create_ed25519(path)

    assert public_bytes(loaded) == public_bytes(winner)
    assert [p.name for p in tmp_path.iterdir()] == [CERTIFICATE_ISSUER_KEY_FILE]


def create_after_barrier(
    paths: list[Path], barrier: Barrier, results: multiprocessing.Queue[bytes]
) -> None:
    for path in paths:
        barrier.wait()
        results.put(public_bytes(load_or_create_ed25519(path)))


@pytest.mark.slow
def test_processes_starting_together_end_up_with_one_key(tmp_path: Path) -> None:
    processes, rounds = 4, 20
    paths = [tmp_path / f"round-{i}" / AUDIT_LOG_KEY_FILE for i in range(rounds)]
    # spawn: a fresh interpreter per worker, as separate service processes would be.
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(processes)
    results: multiprocessing.Queue[bytes] = context.Queue()
    workers = [
        context.Process(target=create_after_barrier, args=(paths, barrier, results))
        for _ in range(processes)
    ]
    for worker in workers:
        worker.start()
    seen = [results.get(timeout=60) for _ in range(processes * rounds)]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0

    on_disk = {public_bytes(load_or_create_ed25519(path)) for path in paths}
    assert len(on_disk) == rounds
    assert set(seen) == on_disk  # every process saw, in every round, the key that stayed
    assert all(len(list(path.parent.iterdir())) == 1 for path in paths)  # no temporary left
