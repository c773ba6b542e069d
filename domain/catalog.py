"""The catalogue of aggregates and event types: stable names, topics, schema versions."""

from __future__ import annotations

import functools

from domain.auction import Auction
from domain.certificate import Certificate
from domain.event_base import VeraEvent
from domain.product import Product
from domain.verification import Verification

# Which Kafka topic carries each aggregate type's events. Verifications travel with products:
# analysts read a product's whole verification story from one topic.
TOPIC_BY_AGGREGATE: dict[str, str] = {
    "Product": "verachain.product.events",
    "Verification": "verachain.product.events",
    "Auction": "verachain.auction.events",
    "Certificate": "verachain.certificate.events",
}


def event_types() -> list[type[VeraEvent]]:
    """Every concrete event class, in a stable order."""
    found: list[type[VeraEvent]] = []
    for aggregate in (Product, Verification, Certificate, Auction):
        for value in vars(aggregate).values():
            is_event = isinstance(value, type) and issubclass(value, VeraEvent)
            if is_event and value.__name__ != "Event":
                found.append(value)
    return found


def aggregate_type_of(event_type: type[VeraEvent]) -> str:
    """The aggregate type name an event class belongs to ('Auction' for BidPlaced)."""
    return event_type.__qualname__.split(".", 1)[0]


@functools.cache
def _event_types_by_name() -> dict[str, type[VeraEvent]]:
    return {t.TOPIC: t for t in event_types()}


def event_type_named(name: str) -> type[VeraEvent] | None:
    """The event class of an envelope's "type"; None for a name no class has."""
    return _event_types_by_name().get(name)
