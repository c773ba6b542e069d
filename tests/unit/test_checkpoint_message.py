"""What analysts receive on verachain.audit.checkpoints validates against the committed
schema, and its note is the signed checkpoint it claims to be."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime

import jsonschema
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from infra.audit_runner import CHECKPOINT_SCHEMA, checkpoint_message
from projections.checkpoint import parse_checkpoint
from projections.signed_note import open_note, parse_verifier_key
from streams.audit_signer import DEFAULT_ORIGIN, CheckpointSigner
from streams.audit_store import StoredCheckpoint


def test_a_published_checkpoint_validates_and_its_note_opens() -> None:
    signer = CheckpointSigner(DEFAULT_ORIGIN, Ed25519PrivateKey.generate())
    root = hashlib.sha256(b"a root").digest()
    stored = StoredCheckpoint(41, root, signer.sign(41, root), datetime(2026, 11, 27, tzinfo=UTC))

    message = json.loads(checkpoint_message(stored, DEFAULT_ORIGIN))

    schema = json.loads(CHECKPOINT_SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(message)
    assert message["signed_at"] == "2026-11-27T00:00:00.000000Z"
    opened = parse_checkpoint(open_note(message["note"], parse_verifier_key(signer.verifier_key)))
    assert (opened.origin, opened.size, opened.root) == (DEFAULT_ORIGIN, 41, root)
    assert base64.b64decode(message["root_hash"]) == root


def test_the_schema_refuses_a_checkpoint_without_its_note() -> None:
    schema = json.loads(CHECKPOINT_SCHEMA.read_text())
    message = {
        "schema_version": 1,
        "origin": DEFAULT_ORIGIN,
        "tree_size": 1,
        "root_hash": base64.b64encode(bytes(32)).decode(),
        "signed_at": "2026-11-27T00:00:00.000000Z",
    }
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(message))
    assert [e.validator for e in errors] == ["required"]
