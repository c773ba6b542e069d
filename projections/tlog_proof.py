"""C2SP tlog-proof (c2sp.org/tlog-proof): an offline-verifiable proof that an entry is in the
log, shipped with each certificate. Its text:

    c2sp.org/tlog-proof@v1
    extra <base64>          (optional, unauthenticated)
    index <leaf index>
    <base64 hash>           (zero or more: the RFC 9162 inclusion path, leaf's sibling first)

    <the signed checkpoint note, verbatim>

This module only writes and reads that text, strictly. Trusting it takes three more steps:
open the note with the log's key (signed_note.open_note), parse its checkpoint
(checkpoint.parse_checkpoint), and verify the path against its root
(merkle_verify.verify_inclusion)."""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from dataclasses import dataclass

from projections.signed_note import decode_base64

HEADER = "c2sp.org/tlog-proof@v1"
HASH_SIZE = 32
MAX_INDEX = 2**63 - 1
_DECIMAL = re.compile(r"0|[1-9][0-9]{0,18}")  # ASCII only, no leading zeros, no sign or '_'
_CONTROL = re.compile("[\x00-\x09\x0b-\x1f]")


class TlogProofError(ValueError):
    """Not a tlog-proof text, or a proof that cannot be written as one."""


@dataclass(frozen=True)
class TlogProof:
    index: int
    hashes: Sequence[bytes]  # stored as a tuple
    checkpoint_note: str
    extra: bytes | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "hashes", tuple(self.hashes))
        if isinstance(self.index, bool) or not 0 <= self.index <= MAX_INDEX:
            msg = f"leaf index {self.index!r} is not in 0..2^63-1"
            raise TlogProofError(msg)
        for digest in self.hashes:
            if len(digest) != HASH_SIZE:
                msg = f"an inclusion proof hash is {HASH_SIZE} bytes, not {len(digest)}"
                raise TlogProofError(msg)
        _check_note(self.checkpoint_note)

    def format(self) -> str:
        """The proof's text (a `.tlog-proof` file's content)."""
        lines = [HEADER]
        if self.extra is not None:
            lines.append(f"extra {_encode(self.extra)}")
        lines.append(f"index {self.index}")
        lines.extend(_encode(digest) for digest in self.hashes)
        lines.append("")
        return "\n".join(lines) + "\n" + self.checkpoint_note


def parse_tlog_proof(text: str) -> TlogProof:
    """The proof a tlog-proof text holds; TlogProofError for anything else."""
    lines = iter(text.split("\n"))
    if next(lines) != HEADER:
        msg = f"a tlog-proof starts with {HEADER!r}"
        raise TlogProofError(msg)
    line = next(lines, "")
    extra = None
    if line.startswith("extra "):
        extra = _decode(line.removeprefix("extra "), "extra data")
        line = next(lines, "")
    if not line.startswith("index "):
        msg = "a tlog-proof has an index line after its header (and extra data)"
        raise TlogProofError(msg)
    index_text = line.removeprefix("index ")
    if not _DECIMAL.fullmatch(index_text):
        msg = f"leaf index {index_text[:40]!r} is not a decimal without leading zeros"
        raise TlogProofError(msg)
    hashes: list[bytes] = []
    for line in lines:
        if not line:  # the empty line before the checkpoint
            note = "\n".join(lines)
            return TlogProof(int(index_text), hashes, note, extra)
        hashes.append(_decode(line, "inclusion proof hash"))
    msg = "no empty line and checkpoint after the inclusion proof"
    raise TlogProofError(msg)


def _encode(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _decode(text: str, what: str) -> bytes:
    try:
        return decode_base64(text)
    except ValueError as error:
        msg = f"{what}: {error}"
        raise TlogProofError(msg) from None


def _check_note(note: str) -> None:
    """The shape of a signed note (text, a blank line, signature lines, a final newline);
    checking its signatures needs the log's key, which is the caller's."""
    split = note.rfind("\n\n")
    if (
        note.startswith("\n")
        or not note.endswith("\n")
        or split < 0
        or split + 2 == len(note)
        or _CONTROL.search(note)
    ):
        msg = "the checkpoint is not a signed note: text, blank line, signatures, newline"
        raise TlogProofError(msg)
