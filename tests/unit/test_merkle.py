"""RFC 9162 tree math: published Certificate Transparency answers, and every proof of every
tree up to 64 leaves assembled from stored nodes, compared with the RFC's own recursive
definitions (written again here, from the RFC text) and checked by the separate verifier."""

from __future__ import annotations

import hashlib
import itertools
import random
from collections.abc import Sequence

import pytest

from projections.merkle import (
    EMPTY_ROOT,
    Frontier,
    MissingNodeError,
    NodeId,
    ProofRequestError,
    assemble,
    consistency_plan,
    fold,
    inclusion_plan,
    leaf_hash,
    node_hash,
    nodes_of,
    range_nodes,
    root,
    root_plan,
)
from projections.merkle_verify import verify_consistency, verify_inclusion

# The leaf inputs of the Certificate Transparency test suites (RFC 6962 reference tests).
CT_LEAVES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
# Published roots for sizes 0..8 (transparency-dev/merkle testonly/constants.go RootHashes).
CT_ROOTS = [
    bytes.fromhex(h)
    for h in (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    )
]
# Published hashes of every perfect subtree of the 8-leaf tree, by (level, index)
# (transparency-dev/merkle testonly/constants.go NodeHashes).
CT_NODES: dict[NodeId, bytes] = {
    (level, index): bytes.fromhex(h)
    for level, row in enumerate(
        (
            (
                "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
                "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
                "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
                "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
            ),
            (
                "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            ),
            (
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ),
            ("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",),
        )
    )
    for index, h in enumerate(row)
}
# Published proofs over CT_LEAVES (transparency-dev/merkle proof/verify_test.go), 0-based.
CT_INCLUSION = {
    (0, 8): ["96a296d2", "5f083f0a", "6b47aaf2"],
    (5, 8): ["bc1a0643", "ca854ea1", "d37ee418"],
    (2, 3): ["fac54203"],
    (1, 5): ["6e340b9c", "5f083f0a", "bc1a0643"],
}
CT_CONSISTENCY = {
    (1, 8): ["96a296d2", "5f083f0a", "6b47aaf2"],
    (6, 8): ["0ebc5d34", "ca854ea1", "d37ee418"],
    (2, 5): ["5f083f0a", "bc1a0643"],
    (6, 7): ["0ebc5d34", "b08693ec", "d37ee418"],
}

SIZE = 64


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def split_point(n: int) -> int:
    """k of the RFC: the largest power of two smaller than n."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(d: Sequence[bytes]) -> bytes:
    """RFC 9162 §2.1.1 MTH over leaf hashes (MTH({d0}) being d0's leaf hash)."""
    if not d:
        return sha256(b"")
    if len(d) == 1:
        return d[0]
    k = split_point(len(d))
    return sha256(b"\x01" + ref_mth(d[:k]) + ref_mth(d[k:]))


def ref_path(m: int, d: Sequence[bytes]) -> list[bytes]:
    """RFC 9162 §2.1.3.1 PATH(m, D_n)."""
    if len(d) == 1:
        return []
    k = split_point(len(d))
    if m < k:
        return [*ref_path(m, d[:k]), ref_mth(d[k:])]
    return [*ref_path(m - k, d[k:]), ref_mth(d[:k])]


def ref_subproof(m: int, d: Sequence[bytes], b: bool) -> list[bytes]:
    """RFC 9162 §2.1.4.1 SUBPROOF(m, D_n, b); PROOF(m, D_n) = SUBPROOF(m, D_n, true)."""
    if m == len(d):
        return [] if b else [ref_mth(d)]
    k = split_point(len(d))
    if m <= k:
        return [*ref_subproof(m, d[:k], b), ref_mth(d[k:])]
    return [*ref_subproof(m - k, d[k:], False), ref_mth(d[:k])]


def all_nodes(leaves: Sequence[bytes]) -> dict[NodeId, bytes]:
    """Every perfect subtree's hash, built level by level from the leaf hashes."""
    nodes: dict[NodeId, bytes] = {(0, i): h for i, h in enumerate(leaves)}
    level, width = 0, len(leaves)
    while width > 1:
        for index in range(width // 2):
            left, right = nodes[level, 2 * index], nodes[level, 2 * index + 1]
            nodes[level + 1, index] = sha256(b"\x01" + left + right)
        level, width = level + 1, width // 2
    return nodes


LEAVES = [leaf_hash(i.to_bytes(2, "big")) for i in range(SIZE)]
NODES = all_nodes(LEAVES)
CT_LEAF_HASHES = [leaf_hash(data) for data in CT_LEAVES]


def assert_inside(plan: list[list[NodeId]], size: int) -> None:
    """A proof for a tree of `size` leaves only needs nodes that are complete at that size."""
    for level, index in (node for part in plan for node in part):
        assert (index + 1) << level <= size


def test_the_hash_primitives_prefix_leaves_and_nodes_apart() -> None:
    assert sha256(b"") == EMPTY_ROOT == CT_ROOTS[0]
    assert leaf_hash(b"") == CT_ROOTS[1]
    assert leaf_hash(b"\x00") == CT_NODES[0, 1]
    assert node_hash(CT_NODES[0, 0], CT_NODES[0, 1]) == CT_NODES[1, 0]
    assert node_hash(b"a", b"b") == sha256(b"\x01ab")


@pytest.mark.parametrize("size", range(9))
def test_roots_of_the_ct_leaves_are_the_published_ones(size: int) -> None:
    assert root(CT_LEAF_HASHES[:size]) == CT_ROOTS[size]
    assert ref_mth(CT_LEAF_HASHES[:size]) == CT_ROOTS[size]
    assert fold([CT_NODES[node] for node in root_plan(size)]) == CT_ROOTS[size]


def test_every_perfect_subtree_of_the_ct_tree_is_the_published_hash() -> None:
    assert all_nodes(CT_LEAF_HASHES) == CT_NODES
    completed = dict(Frontier().extend(CT_LEAF_HASHES))
    assert completed == CT_NODES


@pytest.mark.parametrize(("index", "size"), sorted(CT_INCLUSION))
def test_inclusion_proofs_of_the_ct_tree_are_the_published_ones(index: int, size: int) -> None:
    proof = assemble(inclusion_plan(index, size), CT_NODES)
    assert [h.hex()[:8] for h in proof] == CT_INCLUSION[index, size]
    assert verify_inclusion(CT_LEAF_HASHES[index], index, size, proof, CT_ROOTS[size])


@pytest.mark.parametrize(("old", "new"), sorted(CT_CONSISTENCY))
def test_consistency_proofs_of_the_ct_tree_are_the_published_ones(old: int, new: int) -> None:
    proof = assemble(consistency_plan(old, new), CT_NODES)
    assert [h.hex()[:8] for h in proof] == CT_CONSISTENCY[old, new]
    assert verify_consistency(old, new, proof, CT_ROOTS[old], CT_ROOTS[new])


def test_range_nodes_split_a_range_into_perfect_subtrees_largest_first() -> None:
    assert range_nodes(0, 0) == []
    assert range_nodes(0, 1) == [(0, 0)]
    assert range_nodes(0, 7) == [(2, 0), (1, 2), (0, 6)]
    assert range_nodes(4, 7) == [(1, 2), (0, 6)]
    assert range_nodes(8, 16) == [(3, 1)]
    assert range_nodes(32, 45) == [(3, 4), (2, 10), (0, 44)]


@pytest.mark.parametrize(("start", "end"), [(5, 7), (2, 6), (1, 3), (3, 2), (-1, 1)])
def test_range_nodes_refuse_ranges_that_are_not_perfect_subtrees_in_order(
    start: int, end: int
) -> None:
    with pytest.raises(ProofRequestError):
        range_nodes(start, end)


def test_every_aligned_range_folds_to_its_mth() -> None:
    for start in range(SIZE):
        for end in range(start + 1, SIZE + 1):
            if start % split_point(2 * (end - start)) == 0:
                assert fold(assemble([range_nodes(start, end)], NODES)) == ref_mth(
                    LEAVES[start:end]
                )


@pytest.mark.parametrize("size", range(1, SIZE + 1))
def test_every_inclusion_proof_is_the_rfc_path_and_verifies(size: int) -> None:
    tree_root = ref_mth(LEAVES[:size])
    assert fold(assemble([root_plan(size)], NODES)) == tree_root
    for index in range(size):
        plan = inclusion_plan(index, size)
        assert_inside(plan, size)
        proof = assemble(plan, NODES)
        assert proof == ref_path(index, LEAVES[:size])
        assert verify_inclusion(LEAVES[index], index, size, proof, tree_root)


@pytest.mark.parametrize("new", range(SIZE + 1))
def test_every_consistency_proof_is_the_rfc_proof_and_verifies(new: int) -> None:
    new_root = ref_mth(LEAVES[:new])
    for old in range(new + 1):
        plan = consistency_plan(old, new)
        assert_inside(plan, new)
        proof = assemble(plan, NODES)
        assert proof == (ref_subproof(old, LEAVES[:new], True) if old else [])
        assert verify_consistency(old, new, proof, ref_mth(LEAVES[:old]), new_root)


def test_proofs_in_a_large_tree_verify() -> None:
    """Sampled well past the exhaustive sizes, where the paths are ~11 hashes deep."""
    leaves = [leaf_hash(i.to_bytes(4, "big")) for i in range(1500)]
    frontier = Frontier()
    nodes = dict(frontier.extend(leaves))
    roots = {}
    rng = random.Random(9162)
    sizes = sorted({1, 2, 1023, 1024, 1025, 1500, *rng.sample(range(1, 1501), 40)})
    for size in sizes:
        roots[size] = Frontier.from_nodes(size, nodes).root()
        assert roots[size] == fold(assemble([root_plan(size)], nodes))
    assert roots[1500] == frontier.root() == ref_mth(leaves)
    for size in sizes:
        for index in {0, size - 1, rng.randrange(size)}:
            proof = assemble(inclusion_plan(index, size), nodes)
            assert verify_inclusion(leaves[index], index, size, proof, roots[size])
    for old, new in itertools.pairwise(sizes):
        proof = assemble(consistency_plan(old, new), nodes)
        assert verify_consistency(old, new, proof, roots[old], roots[new])


@pytest.mark.parametrize(("index", "size"), [(0, 0), (3, 3), (4, 3), (-1, 3)])
def test_an_inclusion_proof_for_a_leaf_outside_the_tree_is_refused(index: int, size: int) -> None:
    with pytest.raises(ProofRequestError, match="not in a tree"):
        inclusion_plan(index, size)


@pytest.mark.parametrize(("old", "new"), [(5, 4), (1, 0), (-1, 3)])
def test_a_consistency_proof_for_a_shrinking_tree_is_refused(old: int, new: int) -> None:
    with pytest.raises(ProofRequestError, match="cannot grow"):
        consistency_plan(old, new)


def test_trivial_consistency_proofs_are_empty_and_the_empty_root_needs_no_nodes() -> None:
    assert consistency_plan(0, 0) == consistency_plan(0, 9) == consistency_plan(9, 9) == []
    assert root_plan(0) == []
    assert fold([]) == EMPTY_ROOT
    with pytest.raises(ProofRequestError):
        root_plan(-1)


def test_nodes_of_lists_each_needed_node_once_and_assemble_names_a_missing_one() -> None:
    plan = consistency_plan(3, 7)
    wanted = nodes_of(plan)
    assert len(wanted) == len(set(wanted)) == sum(len(part) for part in plan)
    fetched = {node: NODES[node] for node in wanted}
    assert assemble(plan, fetched) == assemble(plan, NODES)
    missing = wanted[-1]
    del fetched[missing]
    with pytest.raises(MissingNodeError) as raised:
        assemble(plan, fetched)
    assert raised.value.node == missing


def test_the_frontier_completes_each_node_once_and_tracks_the_root() -> None:
    leaves = [leaf_hash(i.to_bytes(2, "big")) for i in range(200)]
    frontier = Frontier()
    assert frontier.root() == EMPTY_ROOT
    completed: dict[NodeId, bytes] = {}
    for size, leaf in enumerate(leaves, start=1):
        new_nodes = frontier.append(leaf)
        assert new_nodes[0] == ((0, size - 1), leaf)
        assert [level for (level, _), _ in new_nodes] == list(range(len(new_nodes)))
        assert not completed.keys() & dict(new_nodes).keys()
        completed.update(new_nodes)
        assert frontier.size == size
        assert frontier.root() == ref_mth(leaves[:size])
        assert [node for node, _ in frontier.nodes()] == root_plan(size)
    assert completed == all_nodes(leaves)


@pytest.mark.parametrize("size", [*range(34), 63, 64, 65, 127, 128, 129, 199])
def test_a_frontier_resumed_from_stored_nodes_continues_like_the_original(size: int) -> None:
    leaves = [leaf_hash(i.to_bytes(2, "big")) for i in range(200)]
    original = Frontier()
    stored = dict(original.extend(leaves[:size]))
    resumed = Frontier.from_nodes(size, stored)
    rebuilt = Frontier(size, original.hashes)
    assert resumed.hashes == rebuilt.hashes == original.hashes
    for leaf in leaves[size:]:
        expected = original.append(leaf)
        assert resumed.append(leaf) == expected
        assert rebuilt.append(leaf) == expected
        assert resumed.root() == original.root()
    assert resumed.root() == ref_mth(leaves)


def test_a_frontier_refuses_hashes_that_cannot_be_its_edge() -> None:
    with pytest.raises(ValueError, match="frontier hashes"):
        Frontier(3, [LEAVES[0]])
    with pytest.raises(ValueError, match="frontier hashes"):
        Frontier(-1)
    with pytest.raises(ValueError, match="32 bytes"):
        Frontier(1, [b"short"])
    with pytest.raises(ValueError, match="32 bytes"):
        Frontier().append(b"leaf data, not a leaf hash")
    with pytest.raises(MissingNodeError):
        Frontier.from_nodes(3, {(1, 0): LEAVES[0]})
