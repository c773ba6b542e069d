"""Verifying RFC 9162 proofs: §2.1.3.2 (inclusion) and §2.1.4.2 (consistency), step by step as
the RFC writes them. Deliberately shares no code with projections.merkle, which builds the
proofs: a bug in one cannot be mirrored in the other and cancel out in the tests.

Every function returns False/None for a proof that does not verify, never raises: proofs
come from outside and a bad one is an answer, not an error."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

_HASH_SIZE = 32
_EMPTY_ROOT = hashlib.sha256(b"").digest()


def _hash_children(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _all_hashes(*hashes: bytes) -> bool:
    return all(len(digest) == _HASH_SIZE for digest in hashes)


def root_from_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes]
) -> bytes | None:
    """The root `proof` leads to from `leaf_hash` at `index` in a tree of `size` leaves, or
    None when the proof cannot be one for that position (wrong length, index past the end)."""
    # Step 1: the leaf must be in the tree.
    if not 0 <= index < size or not _all_hashes(leaf_hash, *proof):
        return None
    # Steps 2-3. fn walks the leaf's position up the tree, sn the last leaf's.
    fn, sn = index, size - 1
    r = leaf_hash
    # Step 4.
    for p in proof:
        if sn == 0:  # 4a: more hashes than the tree is high
            return None
        if fn & 1 or fn == sn:  # 4b: p is a left sibling (or fn is a lone right edge)
            r = _hash_children(p, r)
            if not fn & 1:
                # Skip the levels where fn, the rightmost node, had no sibling.
                while not (fn & 1 or fn == 0):
                    fn >>= 1
                    sn >>= 1
        else:
            r = _hash_children(r, p)
        fn >>= 1  # 4c
        sn >>= 1
    # Step 5: the proof must have reached the root exactly.
    return r if sn == 0 else None


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """Whether `proof` shows `leaf_hash` is leaf `index` of the tree of `size` with `root`."""
    computed = root_from_inclusion(leaf_hash, index, size, proof)
    return computed is not None and hmac.compare_digest(computed, root)


def verify_consistency(
    old_size: int, new_size: int, proof: Sequence[bytes], old_root: bytes, new_root: bytes
) -> bool:
    """Whether `proof` shows the tree of `new_size` with `new_root` extends the tree of
    `old_size` with `old_root` (appends only)."""
    if not 0 <= old_size <= new_size or not _all_hashes(old_root, new_root, *proof):
        return False
    # The RFC's algorithm needs 0 < old_size < new_size; the two trivial cases have no proof.
    if old_size == 0:
        # Every tree extends the empty one, whose root is known. A new tree of size 0 is
        # the empty one too.
        return not proof and old_root == _EMPTY_ROOT and (new_size > 0 or new_root == _EMPTY_ROOT)
    if old_size == new_size:
        return not proof and hmac.compare_digest(old_root, new_root)
    # Step 1.
    if not proof:
        return False
    path = list(proof)
    # Step 2: an old tree of 2^k leaves is a perfect node of the new one; the proof leaves out
    # its hash, the old root, which the verifier has.
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    # Step 3.
    fn, sn = old_size - 1, new_size - 1
    # Step 4: climb to the perfect subtree the old tree's last leaf ends.
    while fn & 1:
        fn >>= 1
        sn >>= 1
    # Step 5.
    fr = sr = path[0]
    # Step 6: fr rebuilds the old root, sr the new one, from the same hashes.
    for c in path[1:]:
        if sn == 0:  # 6a
            return False
        if fn & 1 or fn == sn:  # 6b
            fr = _hash_children(c, fr)
            sr = _hash_children(c, sr)
            if not fn & 1:
                while not (fn & 1 or fn == 0):
                    fn >>= 1
                    sn >>= 1
        else:
            sr = _hash_children(sr, c)
        fn >>= 1
        sn >>= 1
    # Step 7.
    return sn == 0 and hmac.compare_digest(fr, old_root) and hmac.compare_digest(sr, new_root)
