"""The committed SDL (api/schema.graphql) is the schema the code builds: regenerate it with
`python -m api.schema` when this fails. And CONTRACT.md's fixed operations are all there."""

from __future__ import annotations

from api.schema import SDL_PATH, sdl

CONTRACT_OPERATIONS = (
    "product(id: ID!, minPosition: Int = null)",
    "products(first: Int",
    "auction(id: ID!, minPosition: Int = null)",
    "auctions(status: AuctionStatus",
    "certificate(id: ID!, minPosition: Int = null)",
    "registerProduct(input: RegisterProductInput!)",
    "requestVerification(productId: ID!, evidence: EvidenceInput!)",
    "recordInspection(verificationId: ID!, verdict: Verdict!",
    "issueCertificate(productId: ID!)",
    "revokeCertificate(certificateId: ID!, reason: String!)",
    "openAuction(input: OpenAuctionInput!)",
    "placeBid(auctionId: ID!, amount: Decimal!",
    "closeAuction(auctionId: ID!)",
    "auctionUpdates(auctionId: ID!)",
    "verificationUpdates(productId: ID!)",
    "eventHistory(aggregateId: ID!, asOf: DateTime = null, upToVersion: Int = null)",
    "auditCheckpoint: Checkpoint!",
    "inclusionProof(leafIndex: Int!, treeSize: Int = null)",
    "consistencyProof(fromSize: Int!, toSize: Int = null)",
)


def test_the_committed_sdl_is_current() -> None:
    assert SDL_PATH.read_text() == sdl(), "stale api/schema.graphql: run python -m api.schema"


def test_every_fixed_operation_of_the_contract_exists() -> None:
    text = sdl()
    missing = [op for op in CONTRACT_OPERATIONS if op not in text]
    assert not missing


async def test_production_mode_answers_no_introspection() -> None:
    from api.schema import build_schema

    query = "{ __schema { queryType { name } } }"
    assert (await build_schema().execute(query)).errors is None
    refused = await build_schema(production=True).execute(query)
    assert refused.errors
    assert refused.data is None
