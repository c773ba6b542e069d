"""The verifier rejects every tampered proof: each bit flip, wrong position, wrong size, extra or
missing hash, for every proof of every tree up to 64 leaves; and the RFC's edge cases."""

from __future__ import annotations

import hashlib

import pytest

from projections.merkle import Frontier, assemble, consistency_plan, inclusion_plan, leaf_hash
from projections.merkle_verify import root_from_inclusion, verify_consistency, verify_inclusion

SIZE = 64
LEAVES = [leaf_hash(i.to_bytes(2, "big")) for i in range(SIZE)]
NODES = dict(Frontier().extend(LEAVES))
ROOTS = [Frontier.from_nodes(size, NODES).root() for size in range(SIZE + 1)]
EMPTY = hashlib.sha256(b"").digest()
OTHER = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")


def flipped(digest: bytes, bit: int = 3) -> bytes:
    return bytes([digest[0] ^ (1 << bit)]) + digest[1:]


def inclusion_probes(
    index: int, size: int, proof: list[bytes], root: bytes, leaf: bytes
) -> dict[str, tuple[bytes, int, int, list[bytes], bytes]]:
    """Claims that must not verify, by what was tampered with."""
    probes = {
        "index - 1": (leaf, index - 1, size, proof, root),
        "index + 1": (leaf, index + 1, size, proof, root),
        "index ^ 2": (leaf, index ^ 2, size, proof, root),
        "size * 2": (leaf, index, size * 2, proof, root),
        "size // 2": (leaf, index, size // 2, proof, root),
        "other leaf": (OTHER, index, size, proof, root),
        "flipped leaf": (flipped(leaf), index, size, proof, root),
        "flipped root": (leaf, index, size, proof, flipped(root)),
        "empty root": (leaf, index, size, proof, EMPTY),
        "trailing root": (leaf, index, size, [*proof, root], root),
        "trailing hash": (leaf, index, size, [*proof, OTHER], root),
        "trailing empty": (leaf, index, size, [*proof, b""], root),
        "preceding root": (leaf, index, size, [root, *proof], root),
        "preceding leaf": (leaf, index, size, [leaf, *proof], root),
    }
    for i in range(len(proof)):
        probes[f"flipped proof[{i}]"] = (
            leaf,
            index,
            size,
            [*proof[:i], flipped(proof[i]), *proof[i + 1 :]],
            root,
        )
    if proof:
        probes["truncated"] = (leaf, index, size, proof[:-1], root)
        probes["inserted"] = (leaf, index, size, [proof[0], OTHER, *proof[1:]], root)
    return probes


def consistency_probes(
    old: int, new: int, proof: list[bytes], old_root: bytes, new_root: bytes
) -> dict[str, tuple[int, int, list[bytes], bytes, bytes]]:
    probes = {
        "old - 1": (old - 1, new, proof, old_root, new_root),
        "old + 1": (old + 1, new, proof, old_root, new_root),
        "old ^ 2": (old ^ 2, new, proof, old_root, new_root),
        "new * 2": (old, new * 2, proof, old_root, new_root),
        "new // 2": (old, new // 2, proof, old_root, new_root),
        "flipped old root": (old, new, proof, flipped(old_root, 4), new_root),
        "flipped new root": (old, new, proof, old_root, flipped(new_root, 4)),
        "swapped roots": (old, new, proof, new_root, old_root),
        "empty proof": (old, new, [], old_root, new_root),
        "trailing old root": (old, new, [*proof, old_root], old_root, new_root),
        "trailing new root": (old, new, [*proof, new_root], old_root, new_root),
        "trailing empty": (old, new, [*proof, b""], old_root, new_root),
        "preceding old root": (old, new, [old_root, *proof], old_root, new_root),
        "preceding new root": (old, new, [new_root, *proof], old_root, new_root),
        "preceding proof[0]": (old, new, [proof[0], *proof], old_root, new_root),
        "truncated": (old, new, proof[:-1], old_root, new_root),
    }
    for i in range(len(proof)):
        probes[f"flipped proof[{i}]"] = (
            old,
            new,
            [*proof[:i], flipped(proof[i], 4), *proof[i + 1 :]],
            old_root,
            new_root,
        )
    return probes


@pytest.mark.parametrize("size", range(1, SIZE + 1))
def test_no_tampered_inclusion_proof_verifies(size: int) -> None:
    for index in range(size):
        proof = assemble(inclusion_plan(index, size), NODES)
        assert root_from_inclusion(LEAVES[index], index, size, proof) == ROOTS[size]
        for what, claim in inclusion_probes(index, size, proof, ROOTS[size], LEAVES[index]).items():
            assert not verify_inclusion(*claim), f"leaf {index} of {size}: {what}"


@pytest.mark.parametrize("new", range(2, SIZE + 1))
def test_no_tampered_consistency_proof_verifies(new: int) -> None:
    for old in range(1, new):
        proof = assemble(consistency_plan(old, new), NODES)
        assert verify_consistency(old, new, proof, ROOTS[old], ROOTS[new])
        for what, claim in consistency_probes(old, new, proof, ROOTS[old], ROOTS[new]).items():
            assert not verify_consistency(*claim), f"{old} -> {new}: {what}"


def test_a_one_leaf_tree_proves_its_leaf_with_no_hashes() -> None:
    leaf = leaf_hash(b"data")
    assert verify_inclusion(leaf, 0, 1, [], leaf)
    assert not verify_inclusion(leaf, 0, 1, [], OTHER)
    assert not verify_inclusion(leaf, 0, 1, [], b"")
    assert not verify_inclusion(b"", 0, 1, [], b"")  # not hashes at all
    assert not verify_inclusion(leaf, 0, 1, [leaf], leaf)


@pytest.mark.parametrize(("index", "size"), [(0, 0), (1, 0), (1, 1), (2, 1), (-1, 4), (4, 4)])
def test_a_leaf_outside_the_tree_never_verifies(index: int, size: int) -> None:
    assert root_from_inclusion(OTHER, index, size, []) is None
    for root in (OTHER, EMPTY):
        assert not verify_inclusion(OTHER, index, size, [], root)
        assert not verify_inclusion(OTHER, index, size, [OTHER], root)


def test_root_from_inclusion_is_none_for_a_proof_of_the_wrong_length() -> None:
    proof = assemble(inclusion_plan(5, 13), NODES)
    assert root_from_inclusion(LEAVES[5], 5, 13, proof) == ROOTS[13]
    assert root_from_inclusion(LEAVES[5], 5, 13, proof[:-1]) is None
    assert root_from_inclusion(LEAVES[5], 5, 13, [*proof, OTHER]) is None


@pytest.mark.parametrize(
    ("old", "new", "proof", "old_root", "new_root", "consistent"),
    [
        # Nothing to prove: a tree and itself, the empty tree and any tree.
        (0, 0, [], EMPTY, EMPTY, True),
        (0, 5, [], EMPTY, ROOTS[5], True),
        (5, 5, [], ROOTS[5], ROOTS[5], True),
        # ... but the roots must still be right, and the proof empty.
        (0, 0, [], EMPTY, OTHER, False),
        (0, 0, [], OTHER, OTHER, False),
        (0, 5, [], OTHER, ROOTS[5], False),
        (5, 5, [], ROOTS[5], ROOTS[4], False),
        (0, 0, [EMPTY], EMPTY, EMPTY, False),
        (0, 1, [EMPTY], EMPTY, ROOTS[1], False),
        (5, 5, [ROOTS[5]], ROOTS[5], ROOTS[5], False),
        # Time travel to the past.
        (1, 0, [], ROOTS[1], EMPTY, False),
        (5, 4, [], ROOTS[5], ROOTS[4], False),
        (-1, 4, [], EMPTY, ROOTS[4], False),
        # A real extension needs a proof (RFC 9162 §2.1.4.2 step 1).
        (1, 2, [], ROOTS[1], ROOTS[2], False),
        # Roots that are not hashes.
        (5, 5, [], b"x", b"x", False),
    ],
)
def test_consistency_edge_cases(
    old: int, new: int, proof: list[bytes], old_root: bytes, new_root: bytes, consistent: bool
) -> None:
    assert verify_consistency(old, new, proof, old_root, new_root) is consistent


def test_an_old_tree_of_a_power_of_two_is_proved_without_its_own_root() -> None:
    """Step 2 of the RFC: the verifier supplies the old root itself."""
    proof = assemble(consistency_plan(4, 7), NODES)
    assert ROOTS[4] not in proof
    assert verify_consistency(4, 7, proof, ROOTS[4], ROOTS[7])
    assert not verify_consistency(4, 7, [ROOTS[4], *proof], ROOTS[4], ROOTS[7])
