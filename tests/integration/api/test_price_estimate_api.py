"""`product { priceEstimate }` through GraphQL: the price_estimate model's suggestion, as
Money (a decimal string with a currency), for a product the read model holds."""

from __future__ import annotations

import uuid
from decimal import Decimal

from commands.actor import Role
from tests.integration.api.conftest import RunningApi
from tests.integration.api.test_graphql_flow import REGISTER, data

PRODUCT = """query($id: ID!, $pos: Int) { product(id: $id, minPosition: $pos) {
  priceEstimate { amount currency } } }"""


async def test_a_product_has_a_positive_price_estimate(running_api: RunningApi) -> None:
    api = running_api
    maker = api.token("aurelia", Role.MANUFACTURER)
    product = {
        "sku": "W-42",
        "serialNumber": f"SN-{uuid.uuid4().hex[:10]}",
        "name": "Chronograph watch",
        "manufacturer": "Aurelia",
    }
    registered = data(await api.graphql(REGISTER, {"input": product}, maker))["registerProduct"]

    body = data(
        await api.graphql(
            PRODUCT, {"id": registered["productId"], "pos": registered["position"]}, maker
        )
    )

    estimate = body["product"]["priceEstimate"]
    assert isinstance(estimate["amount"], str)
    assert Decimal(estimate["amount"]) > 0
    assert Decimal(estimate["amount"]) == Decimal(estimate["amount"]).quantize(Decimal("0.01"))
    assert estimate["currency"] == "EUR"
