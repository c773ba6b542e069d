"""Every field a cached answer can contain has been reviewed for the response cache
(api/response_cache.py): a field added under `auction`, `product` or `certificate` fails
this test until someone decides how its answer stays correct when kept."""

from __future__ import annotations

from graphql import GraphQLObjectType, get_named_type

from api.response_cache import CACHEABLE_ROOTS
from api.schema import build_schema

# Fields that read beyond their own row, and why a kept answer holding them is still right:
# - covered by a version: read through a versioned loader (api/loaders.py _versioned), or
#   written in the same transaction as their aggregate's row (an auction's bids);
# - forbid: the resolver calls `dependencies.forbid()`, so the answer is never kept;
# - live: Redis hot fields, updated inside the transaction that moves the SQL row.
REVIEWED_READS = {
    "Auction.bids": "covered: bids are written with the auction row's version",
    "Auction.product": "covered: products loader",
    "Auction.status": "live",
    "Auction.endsAt": "live",
    "Auction.bidCount": "live",
    "Auction.highestBid": "live",
    "Certificate.product": "covered: products loader",
    "Certificate.proof": "forbid: the audit log moves without a row version",
    "Product.certificates": "forbid: a list no single row version covers",
    "Product.latestVerification": "covered: verifications loader",
    "Product.openAuction": "covered: auctions loader",
    "Product.priceEstimate": "forbid: other auctions' sales move it",
}
# Every field reachable from the cacheable roots when this was last reviewed (the rest are
# plain values of an already-read row).
REVIEWED_FIELDS = {
    "Auction": frozenset(
        {
            "bidCount",
            "bids",
            "closedAt",
            "currency",
            "endsAt",
            "flaggedBidCount",
            "highestBid",
            "id",
            "minIncrement",
            "openedAt",
            "position",
            "product",
            "productId",
            "reservePrice",
            "sellerId",
            "startsAt",
            "status",
            "version",
            "winnerId",
        }
    ),
    "Bid": frozenset(
        {"amount", "bidderId", "flagReason", "flagScore", "flagged", "id", "placedAt", "position"}
    ),
    "Certificate": frozenset(
        {
            "aiScore",
            "credential",
            "credentialSha256",
            "id",
            "inspectorId",
            "issuedAt",
            "issuerDid",
            "manufacturer",
            "position",
            "product",
            "productId",
            "productName",
            "proof",
            "revocationReason",
            "revokedAt",
            "serialNumber",
            "sku",
            "status",
            "verdict",
            "verificationId",
            "version",
        }
    ),
    "HighestBid": frozenset({"amount", "bidderId"}),
    "ModelInfo": frozenset({"name", "sha256", "version"}),
    "Money": frozenset({"amount", "currency"}),
    "Product": frozenset(
        {
            "category",
            "certificates",
            "id",
            "latestVerification",
            "manufacturedOn",
            "manufacturer",
            "name",
            "openAuction",
            "ownerId",
            "position",
            "priceEstimate",
            "registeredAt",
            "serialNumber",
            "sku",
            "verificationStatus",
            "version",
        }
    ),
    "Verification": frozenset(
        {
            "aiModelName",
            "aiModelVersion",
            "aiScore",
            "concludedAt",
            "id",
            "imageHashes",
            "inputHashes",
            "inspectorId",
            "models",
            "notes",
            "ocrText",
            "position",
            "productId",
            "qualityGrade",
            "requestedAt",
            "serialMatch",
            "stage",
            "verdict",
            "version",
        }
    ),
}


def reachable_fields() -> dict[str, set[str]]:
    schema = build_schema()._schema
    found: dict[str, set[str]] = {}

    def walk(kind: GraphQLObjectType) -> None:
        if kind.name in found:
            return
        found[kind.name] = set(kind.fields)
        for field in kind.fields.values():
            named = get_named_type(field.type)
            if isinstance(named, GraphQLObjectType):
                walk(named)

    query = schema.query_type
    assert query is not None
    for root in CACHEABLE_ROOTS:
        named = get_named_type(query.fields[root].type)
        assert isinstance(named, GraphQLObjectType), root
        walk(named)
    return found


def test_every_field_under_a_cacheable_root_was_reviewed() -> None:
    found = reachable_fields()
    new = sorted(
        f"{kind}.{name}"
        for kind, names in found.items()
        for name in names - REVIEWED_FIELDS.get(kind, frozenset())
    )
    assert not new, (
        f"new fields under a cached root: {new}. If one reads more than its own row, make it "
        "read through a versioned loader or call `info.context.loaders.dependencies.forbid()`"
        " (api/response_cache.py), note it in REVIEWED_READS, then add it to REVIEWED_FIELDS"
    )


def test_every_reviewed_read_still_exists() -> None:
    found = reachable_fields()
    for field in REVIEWED_READS:
        kind, name = field.split(".")
        assert name in found.get(kind, set()), field
