"""C2SP tlog-checkpoint note text (c2sp.org/tlog-checkpoint): the log's tree head as
`<origin>\\n<size>\\n<base64 root>\\n`, then optional extension lines. Signing and opening the
note is projections.signed_note's job; this is only the text, written and read strictly, so
that one tree head has exactly one text."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

from projections.signed_note import decode_base64

DEFAULT_ORIGIN = "verachain/audit/v1"
ROOT_SIZE = 32
MAX_TREE_SIZE = 2**63 - 1  # what the store's bigint columns hold
_DECIMAL = re.compile(r"0|[1-9][0-9]{0,18}")  # ASCII only, no leading zeros, no sign or '_'
_CONTROL = re.compile("[\x00-\x1f]")


class CheckpointError(ValueError):
    """Not a checkpoint text, or a checkpoint that cannot be written as one."""


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_line("origin", self.origin)
        if isinstance(self.size, bool) or not 0 <= self.size <= MAX_TREE_SIZE:
            msg = f"tree size {self.size!r} is not in 0..2^63-1"
            raise CheckpointError(msg)
        if len(self.root) != ROOT_SIZE:
            msg = f"a root hash is {ROOT_SIZE} bytes, not {len(self.root)}"
            raise CheckpointError(msg)
        for line in self.extensions:
            _check_line("extension line", line)

    def body(self) -> str:
        """The note text: what the log signs."""
        lines = (self.origin, str(self.size), base64.b64encode(self.root).decode())
        return "".join(f"{line}\n" for line in (*lines, *self.extensions))


def parse_checkpoint(text: str) -> Checkpoint:
    """The checkpoint a (verified) note text holds; CheckpointError for anything else."""
    if not text.endswith("\n"):
        msg = "a checkpoint ends with a newline"
        raise CheckpointError(msg)
    lines = text[:-1].split("\n")
    if len(lines) < 3:  # origin, size, root
        msg = "a checkpoint has an origin, a size and a root line"
        raise CheckpointError(msg)
    origin, size_text, root_text, *extensions = lines
    if not _DECIMAL.fullmatch(size_text):
        msg = f"tree size {size_text[:40]!r} is not a decimal without leading zeros"
        raise CheckpointError(msg)
    try:
        root = decode_base64(root_text)
    except ValueError as error:
        msg = f"root hash: {error}"
        raise CheckpointError(msg) from None
    return Checkpoint(origin, int(size_text), root, tuple(extensions))


def _check_line(what: str, line: str) -> None:
    if not line or _CONTROL.search(line) or not _is_unicode(line):
        msg = f"{what} {line[:40]!r} must be non-empty text without newlines or control characters"
        raise CheckpointError(msg)


def _is_unicode(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:  # a lone surrogate: no UTF-8 form to sign
        return False
    return True
