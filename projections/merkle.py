"""RFC 9162 §2.1 Merkle tree math (SHA-256) for the audit log, pure: no I/O.

The log persists every perfect subtree ("node") once, addressed by NodeId = (level, index):
the subtree over leaves [index·2^level, (index+1)·2^level), level 0 being the leaf hashes. A
node never changes once complete, so the store only ever inserts. Any hash the RFC's
recursions need, MTH(D[start:end]), is the right fold of at most log2(n) such nodes, so a
proof or root is planned here as lists of NodeIds, fetched in one query, then assembled."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()  # MTH({}), the root of the empty tree

NodeId = tuple[int, int]
"""(level, index): the perfect subtree over leaves [index·2^level, (index+1)·2^level)."""

Plan = list[list[NodeId]]
"""One entry per hash of a proof, in the RFC's order: the nodes whose fold is that hash."""


class ProofRequestError(ValueError):
    """A proof or range that cannot exist (index past the tree, a shrinking tree, ...)."""


class MissingNodeError(LookupError):
    """`assemble` was not given a node its plan needs."""

    def __init__(self, node: NodeId) -> None:
        super().__init__(f"no hash for node {node}")
        self.node = node


def leaf_hash(data: bytes) -> bytes:
    """MTH({d}) = SHA-256(0x00 ‖ d); the prefix keeps a leaf from passing for a node."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 ‖ left ‖ right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def fold(hashes: Sequence[bytes]) -> bytes:
    """node_hash(h0, node_hash(h1, ... hn)): MTH of the range those perfect subtrees make up,
    largest first (the RFC splits off the largest power of two on the left each time)."""
    if not hashes:
        return EMPTY_ROOT
    folded = hashes[-1]
    for left in reversed(hashes[:-1]):
        folded = node_hash(left, folded)
    return folded


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH(D_n) of the given leaf hashes."""
    frontier = Frontier()
    frontier.extend(leaf_hashes)
    return frontier.root()


def range_nodes(start: int, end: int) -> list[NodeId]:
    """The perfect subtrees making up leaves [start, end), largest first: one per set bit of
    end - start. The RFC's recursions only ever ask for ranges whose start is a multiple of
    their largest piece, which is what makes every piece an addressable node."""
    if not 0 <= start <= end:
        msg = f"[{start}, {end}) is not a range of leaves"
        raise ProofRequestError(msg)
    count = end - start
    nodes: list[NodeId] = []
    position = start
    for level in range(count.bit_length() - 1, -1, -1):
        if count >> level & 1:
            if position % (1 << level):
                msg = f"[{start}, {end}) is not aligned to perfect subtrees"
                raise ProofRequestError(msg)
            nodes.append((level, position >> level))
            position += 1 << level
    return nodes


def root_plan(size: int) -> list[NodeId]:
    """The nodes whose fold is the root of the tree of `size` leaves ([] for the empty tree,
    whose fold is EMPTY_ROOT)."""
    if size < 0:
        msg = f"tree size {size} is negative"
        raise ProofRequestError(msg)
    return range_nodes(0, size)


def _split(count: int) -> int:
    """k of the RFC: the largest power of two smaller than count (count > 1)."""
    return 1 << ((count - 1).bit_length() - 1)


def inclusion_plan(index: int, size: int) -> Plan:
    """PATH(index, D_size) of RFC 9162 §2.1.3.1: the leaf's sibling first, the root's child
    last. Walks the RFC's recursion top-down, then reverses it."""
    if not 0 <= index < size:
        msg = f"leaf {index} is not in a tree of {size} leaves"
        raise ProofRequestError(msg)
    path: Plan = []
    low, high = 0, size
    while high - low > 1:
        middle = low + _split(high - low)
        if index < middle:
            path.append(range_nodes(middle, high))
            high = middle
        else:
            path.append(range_nodes(low, middle))
            low = middle
    path.reverse()
    return path


def consistency_plan(old_size: int, new_size: int) -> Plan:
    """PROOF(old_size, D_new_size) of RFC 9162 §2.1.4.1. Empty when the sizes are equal or
    the old tree is empty: there is nothing to prove (the RFC defines no proof for those)."""
    if not 0 <= old_size <= new_size:
        msg = f"a tree of {old_size} leaves cannot grow into one of {new_size}"
        raise ProofRequestError(msg)
    if old_size in (0, new_size):
        return []
    proof: Plan = []
    low, high = 0, new_size
    # The RFC's flag b: whether [low, high) is still a prefix of the new tree, whose hash the
    # verifier already holds as the old root (so the proof leaves it out).
    prefix = True
    while old_size != high:
        middle = low + _split(high - low)
        if old_size <= middle:
            proof.append(range_nodes(middle, high))
            high = middle
        else:
            proof.append(range_nodes(low, middle))
            low = middle
            prefix = False
    if not prefix:
        proof.append(range_nodes(low, high))
    proof.reverse()
    return proof


def nodes_of(plan: Iterable[Iterable[NodeId]]) -> list[NodeId]:
    """Every node a plan needs, once each, in plan order: the one query's keys."""
    return list(dict.fromkeys(node for part in plan for node in part))


def assemble(plan: Iterable[Sequence[NodeId]], hashes: Mapping[NodeId, bytes]) -> list[bytes]:
    """The proof's hashes: each element of the plan folded from the fetched node hashes."""
    assembled: list[bytes] = []
    for part in plan:
        parts: list[bytes] = []
        for node in part:
            found = hashes.get(node)
            if found is None:
                raise MissingNodeError(node)
            parts.append(found)
        assembled.append(fold(parts))
    return assembled


class Frontier:
    """The right edge of a growing tree: the hashes of root_plan(size), largest first. That is
    all appending needs, so a restarted writer resumes from those stored nodes instead of
    rehashing the log."""

    __slots__ = ("_hashes", "_size")

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        if size < 0 or len(hashes) != size.bit_count():
            msg = f"a tree of {size} leaves has {max(size, 0).bit_count()} frontier hashes"
            raise ValueError(msg)
        for digest in hashes:
            _check_hash(digest)
        self._size = size
        self._hashes = list(hashes)

    @classmethod
    def from_nodes(cls, size: int, nodes: Mapping[NodeId, bytes]) -> Frontier:
        """Resume from stored nodes (at least those of root_plan(size))."""
        plan = root_plan(size)
        missing = [node for node in plan if node not in nodes]
        if missing:
            raise MissingNodeError(missing[0])
        return cls(size, [nodes[node] for node in plan])

    @property
    def size(self) -> int:
        return self._size

    @property
    def hashes(self) -> tuple[bytes, ...]:
        return tuple(self._hashes)

    def nodes(self) -> list[tuple[NodeId, bytes]]:
        return list(zip(root_plan(self._size), self._hashes, strict=True))

    def root(self) -> bytes:
        return fold(self._hashes)

    def append(self, leaf: bytes) -> list[tuple[NodeId, bytes]]:
        """Add a leaf hash; returns the leaf's node and every parent it completes, lowest
        first: exactly the rows the store inserts for this leaf."""
        _check_hash(leaf)
        index = self._size
        level = 0
        digest = leaf
        completed = [((0, index), digest)]
        # Each trailing 1 bit of the old size is a perfect subtree at the frontier's end
        # waiting for a right sibling of its own size; the new leaf completes them in turn.
        while index & 1:
            digest = node_hash(self._hashes.pop(), digest)
            index >>= 1
            level += 1
            completed.append(((level, index), digest))
        self._hashes.append(digest)
        self._size += 1
        return completed

    def extend(self, leaves: Iterable[bytes]) -> list[tuple[NodeId, bytes]]:
        """append() for each leaf hash; every completed node, in completion order."""
        completed: list[tuple[NodeId, bytes]] = []
        for leaf in leaves:
            completed.extend(self.append(leaf))
        return completed


def _check_hash(digest: bytes) -> None:
    if len(digest) != HASH_SIZE:
        msg = f"a SHA-256 hash is {HASH_SIZE} bytes, not {len(digest)}"
        raise ValueError(msg)
