"""A certificate verifies offline with nothing but files and keys: issued through the bus,
appended and checkpointed by the audit log, its credential read from the read model and its
tlog-proof from the functions behind the API, then `verachain cert verify` run as a separate
process. Forgeries and mix-ups exit 1 with the reason; unreadable input exits 2."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from redis.asyncio import Redis

from api.certificate_credentials import issuance_proof
from api.read_models import ReadModels
from commands.actor import Actor, Role
from commands.bus import CommandBus
from commands.store import EventStore
from domain.statuses import Verdict
from infra.credentials.issuer import certificate_issuer
from infra.scenario import certified_product
from infra.settings import Settings
from streams.audit_log import AuditLog
from streams.audit_schema import ensure_audit_schema
from streams.audit_signer import DEFAULT_ORIGIN, CheckpointSigner
from streams.rebuild import rebuild_read_models
from tests.integration.audit.conftest import Pool
from tests.support.database import TestDatabase

ROOT = Path(__file__).resolve().parents[3]
MAKER = Actor.of("maker-offline", Role.MANUFACTURER)


@pytest.fixture
def settings(own_database: TestDatabase, tmp_path: Path) -> Settings:
    """The issuer key lives in this test's own data directory (created on first use)."""
    return own_database.settings(data_dir=tmp_path / "data")


@dataclass
class Downloaded:
    """What a buyer keeps: the credential and proof files, the log's and issuer's keys."""

    credential: Path
    proof: Path
    log_key: str
    issuer: str


def cert_verify(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`verachain cert verify`, as a buyer runs it: no database or data dir in its env."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VERACHAIN_")}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "infra.cli", "cert", "verify", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def issue(bus: CommandBus) -> UUID:
    serial = f"SN-{uuid.uuid4().hex}"
    _, certificate_id = await certified_product(
        bus, MAKER, sku="WATCH-1", serial=serial, name="Chronograph", verdict=Verdict.AUTHENTIC
    )
    assert certificate_id is not None
    return certificate_id


async def download(
    store: EventStore, pool: Pool, redis_url: str, certificate_id: UUID
) -> tuple[str, str]:
    """The credential from the read model and the proof, as the API would serve them."""
    redis = Redis.from_url(redis_url)
    try:
        rows = await ReadModels(pool, redis).rows_by_id("certificates", [str(certificate_id)])
    finally:
        await redis.aclose()
    credential = rows[str(certificate_id)]["credential"]
    proof = await issuance_proof(store, pool, certificate_id)
    assert isinstance(credential, str)
    assert proof is not None
    return credential, proof


@pytest.fixture
async def downloaded(
    settings: Settings,
    bus: CommandBus,
    store: EventStore,
    pool: Pool,
    audit_log: AuditLog,
    signer: CheckpointSigner,
    redis_url: str,
    tmp_path: Path,
) -> tuple[Downloaded, UUID]:
    await ensure_audit_schema(pool)
    await audit_log.resume()
    certificate_id = await issue(bus)
    other_id = await issue(bus)
    # Nothing covers the issuance until the log has appended it and signed a checkpoint.
    assert await issuance_proof(store, pool, certificate_id) is None
    await audit_log.step()
    await asyncio.to_thread(rebuild_read_models, settings, store, sql=True, workers=1)

    credential, proof = await download(store, pool, redis_url, certificate_id)
    files = tmp_path / "buyer"
    files.mkdir()
    (files / "certificate.vc.json").write_text(credential)
    (files / "certificate.tlog-proof").write_text(proof)
    _, other_proof = await download(store, pool, redis_url, other_id)
    (files / "other.tlog-proof").write_text(other_proof)
    kept = Downloaded(
        files / "certificate.vc.json",
        files / "certificate.tlog-proof",
        signer.verifier_key,
        certificate_issuer(settings).did,
    )
    return kept, certificate_id


async def test_a_certificate_verifies_offline_and_forgeries_do_not(
    downloaded: tuple[Downloaded, UUID], tmp_path: Path
) -> None:
    kept, certificate_id = downloaded
    files = kept.credential.parent
    with_proof = ["--proof", str(kept.proof), "--log-key", kept.log_key]

    valid = cert_verify(str(kept.credential), *with_proof, "--issuer-key", kept.issuer, cwd=files)
    assert valid.returncode == 0, valid.stderr
    assert f"OK: certificate {certificate_id} signed by {kept.issuer}" in valid.stdout
    assert "issued as leaf" in valid.stdout

    tampered = json.loads(kept.credential.read_text())
    tampered["credentialSubject"]["serialNumber"] = "SN-FORGED"
    (files / "tampered.vc.json").write_text(json.dumps(tampered))
    forged = cert_verify(str(files / "tampered.vc.json"), *with_proof, cwd=files)
    assert forged.returncode == 1
    assert "INVALID: credential: signature does not verify" in forged.stderr
    assert len(forged.stderr.strip().splitlines()) == 1

    mixed_up = cert_verify(
        str(kept.credential),
        "--proof",
        str(files / "other.tlog-proof"),
        "--log-key",
        kept.log_key,
        cwd=files,
    )
    assert mixed_up.returncode == 1
    assert "the logged issuance is of certificate" in mixed_up.stderr
    assert f"not {certificate_id}" in mixed_up.stderr

    stranger = CheckpointSigner(DEFAULT_ORIGIN, Ed25519PrivateKey.generate()).verifier_key
    wrong_key = cert_verify(
        str(kept.credential), "--proof", str(kept.proof), "--log-key", stranger, cwd=files
    )
    assert wrong_key.returncode == 1
    assert "INVALID: checkpoint: no signature by verachain/audit/v1" in wrong_key.stderr

    missing = cert_verify(str(files / "no-such.vc.json"), *with_proof, cwd=files)
    assert missing.returncode == 2
    assert "cannot read the credential file" in missing.stderr


async def test_the_issuer_pin_and_the_log_key_are_required_where_they_matter(
    downloaded: tuple[Downloaded, UUID],
) -> None:
    kept, _ = downloaded
    files = kept.credential.parent
    other_issuer = certificate_issuer(Settings(data_dir=files / "elsewhere")).did

    unpinned = cert_verify(str(kept.credential), cwd=files)
    assert unpinned.returncode == 0, unpinned.stderr
    assert "issuer not pinned" in unpinned.stdout

    pinned_elsewhere = cert_verify(str(kept.credential), "--issuer-key", other_issuer, cwd=files)
    assert pinned_elsewhere.returncode == 1
    assert "not the expected" in pinned_elsewhere.stderr

    no_key = cert_verify(str(kept.credential), "--proof", str(kept.proof), cwd=files)
    assert no_key.returncode == 2
    assert "--log-key" in no_key.stderr
