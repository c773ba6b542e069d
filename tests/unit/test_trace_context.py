"""The `traceparent` header: W3C trace-context syntax, and one trace per correlation."""

from __future__ import annotations

import re
import uuid

from streams.trace_context import traceparent

W3C = re.compile(r"^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-01$")


def test_the_trace_is_the_correlation_and_the_parent_the_causation() -> None:
    correlation = uuid.UUID("4bf92f35-77b3-4da6-a3ce-929d0e0e4736")
    causation = uuid.UUID("00000000-0000-4000-8000-00f067aa0ba9")
    assert traceparent(correlation, causation) == (
        "00-4bf92f3577b34da6a3ce929d0e0e4736-800000f067aa0ba9-01"
    )


def test_events_of_one_command_share_a_trace_with_their_own_parents() -> None:
    correlation = uuid.uuid4()
    first, second = traceparent(correlation, uuid.uuid4()), traceparent(correlation, uuid.uuid4())
    assert first.split("-")[1] == second.split("-")[1] == correlation.hex
    assert first.split("-")[2] != second.split("-")[2]


def test_random_ids_always_give_a_valid_header() -> None:
    for _ in range(1000):
        assert W3C.match(traceparent(uuid.uuid4(), uuid.uuid4()))


def test_all_zero_ids_never_reach_the_header() -> None:
    zero = uuid.UUID(int=0)
    assert W3C.match(traceparent(zero, zero))
    assert W3C.match(traceparent(uuid.uuid4(), uuid.UUID(int=1 << 64)))
