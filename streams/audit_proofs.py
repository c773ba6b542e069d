"""Inclusion and consistency proofs, and roots, served from the persisted nodes: each is the
RFC 9162 proof assembled from one indexed read of O(log n) complete-subtree hashes."""

from __future__ import annotations

from projections.merkle import (
    EMPTY_ROOT,
    NodeId,
    assemble,
    consistency_plan,
    fold,
    inclusion_plan,
    root_plan,
)
from streams.audit_store import AuditStore


class AuditProofs:
    def __init__(self, store: AuditStore) -> None:
        self.store = store

    async def inclusion(self, leaf_index: int, tree_size: int) -> list[bytes]:
        return await self._assembled(inclusion_plan(leaf_index, tree_size))

    async def consistency(self, old_size: int, new_size: int) -> list[bytes]:
        return await self._assembled(consistency_plan(old_size, new_size))

    async def root(self, tree_size: int) -> bytes:
        if tree_size == 0:
            return EMPTY_ROOT
        plan = root_plan(tree_size)
        hashes = await self.store.nodes(plan)
        return fold([hashes[node] for node in plan])

    async def _assembled(self, plan: list[list[NodeId]]) -> list[bytes]:
        wanted = list(dict.fromkeys(node for part in plan for node in part))
        return assemble(plan, await self.store.nodes(wanted))
