"""Signs tree heads as C2SP tlog-checkpoint notes; the key name is the log's origin."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from projections.checkpoint import Checkpoint, parse_checkpoint
from projections.signed_note import open_note, parse_verifier_key, sign_note, verifier_key

DEFAULT_ORIGIN = "verachain/audit/v1"


@dataclass(frozen=True)
class CheckpointSigner:
    origin: str
    key: Ed25519PrivateKey

    @property
    def verifier_key(self) -> str:
        """`name+keyid+base64`, what `verachain audit key` prints for auditors."""
        return verifier_key(self.origin, self.key.public_key())

    def sign(self, tree_size: int, root: bytes) -> str:
        return sign_note(Checkpoint(self.origin, tree_size, root).body(), self.origin, self.key)

    def open(self, note: str) -> Checkpoint:
        """The checkpoint of a note signed by this key; NoteError/CheckpointError otherwise."""
        return parse_checkpoint(open_note(note, parse_verifier_key(self.verifier_key)))
