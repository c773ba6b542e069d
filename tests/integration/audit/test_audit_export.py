"""`audit export` then `audit verify --from-export`: the directory alone (no database) proves
the history; an envelope edited in the export is named by its leaf."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from commands.bus import CommandBus
from infra.audit_export import export_audit
from infra.audit_tools import export_verifier_key, verify_export
from infra.settings import Settings
from projections.merkle_verify import verify_inclusion
from streams.audit_log import AuditLog
from streams.audit_schema import ensure_audit_schema
from streams.audit_signer import CheckpointSigner
from tests.integration.audit.conftest import Pool
from tests.integration.rebuild.support import traffic


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


async def _exported(
    bus: CommandBus,
    pool: Pool,
    audit_log: AuditLog,
    signer: CheckpointSigner,
    settings: Settings,
    path: Path,
) -> int:
    await ensure_audit_schema(pool)
    await audit_log.resume()
    bidding = await traffic(bus, auctions=2, rounds=1)
    await audit_log.step()
    await bidding.rounds(bus, 2)
    await audit_log.step()
    return await export_audit(settings, path, signer.verifier_key, inclusion_proofs=True)


async def test_an_export_verifies_on_its_own(
    bus: CommandBus,
    pool: Pool,
    audit_log: AuditLog,
    signer: CheckpointSigner,
    settings: Settings,
    tmp_path: Path,
) -> None:
    export = tmp_path / "export"
    written = await _exported(bus, pool, audit_log, signer, settings, export)
    assert written == audit_log.frontier.size

    report = await verify_export(export, export_verifier_key(export, None))
    assert report.problems == []
    assert (report.leaves, report.checkpoints) == (written, 2)

    # The inclusion proofs in the export check against the latest checkpoint's root.
    latest = _jsonl(export / "checkpoints.jsonl")[-1]
    events = _jsonl(export / "events.jsonl")
    proofs = _jsonl(export / "inclusion.jsonl")
    assert len(proofs) == latest["tree_size"]
    root = base64.b64decode(latest["root_hash"])
    for proof in proofs[:: max(1, len(proofs) // 10)]:
        leaf = base64.b64decode(events[proof["leaf_index"]]["leaf_hash"])
        hashes = [base64.b64decode(h) for h in proof["hashes"]]
        assert verify_inclusion(leaf, proof["leaf_index"], proof["tree_size"], hashes, root)


async def test_an_envelope_edited_in_the_export_is_named(
    bus: CommandBus,
    pool: Pool,
    audit_log: AuditLog,
    signer: CheckpointSigner,
    settings: Settings,
    tmp_path: Path,
) -> None:
    export = tmp_path / "export"
    await _exported(bus, pool, audit_log, signer, settings, export)
    lines = (export / "events.jsonl").read_text().splitlines()
    row = json.loads(lines[5])
    row["envelope"]["metadata"]["actor"] = "mallory"
    lines[5] = json.dumps(row)
    (export / "events.jsonl").write_text("\n".join(lines) + "\n")

    report = await verify_export(export, export_verifier_key(export, None))
    assert not report.ok
    assert report.problems[0].startswith("leaf 5 ")
