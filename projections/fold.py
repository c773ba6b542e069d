"""The whole read model folded in memory from envelopes in store order: every SQL row (child
rows included) and, per aggregate, what Redis holds. The rebuild writes it out; the check
compares the live read models with it.

Rows come from read_rows.project and Redis fields from live_model.live_update, the same
functions the live projections call, so a fold and a live projection cannot disagree."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from projections.live_model import (
    PREFIX,
    TOP_BIDS_KEPT,
    auction_bids_key,
    auction_key,
    cents,
    live_update,
    product_key,
    top_bid_entry,
    verification_key,
)
from projections.read_rows import TABLE_BY_AGGREGATE, Envelope, Projected, Row, project
from projections.sql_schema import TABLES

# The aggregates Redis holds a hash for, and how its key is named.
LIVE_KEYS: dict[str, Callable[[str, str], str]] = {
    "Auction": auction_key,
    "Product": product_key,
    "Verification": verification_key,
}


@dataclass(frozen=True)
class LiveState:
    """What Redis holds for one aggregate: its hash and, for an auction, its top bids
    (sorted-set member -> score in cents, at most TOP_BIDS_KEPT)."""

    aggregate_type: str
    aggregate_id: str
    fields: dict[str, str]
    top_bids: dict[str, int]

    @property
    def version(self) -> int:
        return int(self.fields["version"])

    def key(self, prefix: str = PREFIX) -> str:
        return LIVE_KEYS[self.aggregate_type](self.aggregate_id, prefix)

    def bids_key(self, prefix: str = PREFIX) -> str | None:
        """The top-bids key (auctions only), whether or not it has members."""
        if self.aggregate_type != "Auction":
            return None
        return auction_bids_key(self.aggregate_id, prefix)


class ReadModelFold:
    """Rows per table keyed by id, and enough per aggregate to derive its Redis state.

    Envelopes must come in store order; a redelivered one is skipped (by version) and one
    that skips a version raises read_rows.VersionGap, exactly as in the live projection."""

    def __init__(self) -> None:
        self._rows: dict[str, dict[str, Row]] = {table.name: {} for table in TABLES}
        self._last: dict[str, Envelope] = {}  # latest applied envelope per live aggregate
        self._type: dict[str, str] = {}  # aggregate id -> aggregate type (live aggregates)
        # Candidate top bids per auction, (score, BidPlaced data), trimmed lazily by score.
        self._bids: dict[str, list[tuple[int, dict[str, Any]]]] = {}
        self.position = 0  # the last global position seen
        self.seen = 0  # envelopes seen
        self.applied = 0  # envelopes that changed a row

    def apply(self, envelope: Envelope) -> Projected | None:
        """Fold one envelope; return what it changed, or None for a redelivery."""
        aggregate_type = envelope["aggregate_type"]
        aggregate_id = envelope["aggregate_id"]
        rows = self._rows[TABLE_BY_AGGREGATE[aggregate_type]]
        self.seen += 1
        self.position = max(self.position, int(envelope["position"]))
        projected = project(envelope, rows.get(aggregate_id))
        if projected is None:
            return None
        rows[aggregate_id] = projected.row
        for child_table, child in projected.children:
            self._rows[child_table][str(child["id"])] = child
        for update in projected.child_updates:
            rows_of = self._rows[update.table]
            rows_of[update.row_id] = {**rows_of[update.row_id], **update.changes}
        if aggregate_type in LIVE_KEYS:
            self._last[aggregate_id] = envelope
            self._type[aggregate_id] = aggregate_type
        if envelope["type"] == "BidPlaced":
            self._add_bid(aggregate_id, envelope["data"])
        self.applied += 1
        return projected

    def rows(self, table: str) -> Mapping[str, Row]:
        """Every row of a table (read_rows' Python values: ids as strings), by id."""
        return self._rows[table]

    def row(self, table: str, row_id: str) -> Row | None:
        return self._rows[table].get(row_id)

    def live_ids(self) -> Iterator[str]:
        """The ids of every aggregate that has Redis keys."""
        return iter(self._last)

    def live_state(self, aggregate_id: str) -> LiveState | None:
        """The aggregate's Redis state, as the live projection leaves it after its latest
        event: the hash fields of that event's LiveUpdate (each update of a type writes the
        same fields), and the highest TOP_BIDS_KEPT bids."""
        envelope = self._last.get(aggregate_id)
        if envelope is None:
            return None
        aggregate_type = self._type[aggregate_id]
        row = self._rows[TABLE_BY_AGGREGATE[aggregate_type]][aggregate_id]
        update = live_update(envelope, row)
        if update is None:
            return None
        return LiveState(
            aggregate_type, aggregate_id, dict(update.fields), self._top_bids(aggregate_id)
        )

    def live_states(self) -> Iterator[LiveState]:
        for aggregate_id in self._last:
            state = self.live_state(aggregate_id)
            if state is not None:
                yield state

    def _add_bid(self, auction_id: str, data: dict[str, Any]) -> None:
        candidates = self._bids.setdefault(auction_id, [])
        candidates.append((cents(Decimal(data["amount"])), data))
        if len(candidates) > 2 * TOP_BIDS_KEPT:
            self._bids[auction_id] = _highest_by_score(candidates)

    def _top_bids(self, auction_id: str) -> dict[str, int]:
        """Redis trims with ZREMRANGEBYRANK after every ZADD, keeping the highest members by
        (score, member bytes). Trimming once at the end keeps the same members, because a
        member it drops is below TOP_BIDS_KEPT others under that same total order."""
        candidates = self._bids.get(auction_id, [])
        if len(candidates) > TOP_BIDS_KEPT:
            candidates = _highest_by_score(candidates)
        entries = [top_bid_entry(data) for _, data in candidates]
        entries.sort(key=lambda entry: (entry[1], entry[0]))
        return dict(entries[-TOP_BIDS_KEPT:])


def _highest_by_score(
    candidates: list[tuple[int, dict[str, Any]]],
) -> list[tuple[int, dict[str, Any]]]:
    """The TOP_BIDS_KEPT highest-scoring candidates, plus any tied with the lowest of them
    (the member decides among ties, and it is only computed at the end)."""
    ordered = sorted(candidates, key=lambda candidate: candidate[0], reverse=True)
    floor = ordered[TOP_BIDS_KEPT - 1][0]
    return [candidate for candidate in ordered if candidate[0] >= floor]
