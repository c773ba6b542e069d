"""Depth, token and alias limits refuse a document with QUERY_TOO_COMPLEX before any resolver
runs; documents within the limits execute normally."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest
import strawberry
from graphql import get_introspection_query
from strawberry.types import ExecutionResult

from api.query_limits import QUERY_TOO_COMPLEX, query_limit_extensions

resolved: list[str] = []


@strawberry.type
class Node:
    name: str = "node"

    @strawberry.field
    def child(self) -> Node:
        return Node()


@strawberry.type
class Query:
    @strawberry.field
    def node(self) -> Node:
        resolved.append("node")
        return Node()


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def nodes(self) -> AsyncIterator[Node]:  # pragma: no cover - refused before it runs
        yield Node()


@pytest.fixture
def schema() -> strawberry.Schema:
    resolved.clear()
    return strawberry.Schema(Query, extensions=query_limit_extensions())


def nested(levels: int) -> str:
    """`node` with `levels` nested `child` selections below it: depth levels + 1."""
    return "{ node " + "{ child " * levels + "{ name }" + " }" * levels + " }"


def aliased(count: int) -> str:
    return "{ " + " ".join(f"a{i}: node {{ name }}" for i in range(count)) + " }"


def refusal(result: ExecutionResult) -> str:
    assert result.data is None
    assert result.errors is not None
    assert len(result.errors) == 1
    error = result.errors[0]
    assert error.extensions is not None
    assert error.extensions["code"] == QUERY_TOO_COMPLEX
    assert resolved == []
    return error.message


async def test_a_normal_query_runs(schema: strawberry.Schema) -> None:
    result = await schema.execute("query Ok { node { name child { name } } a: node { name } }")
    assert result.errors is None
    assert result.data == {
        "node": {"name": "node", "child": {"name": "node"}},
        "a": {"name": "node"},
    }


async def test_the_deepest_query_allowed_runs(schema: strawberry.Schema) -> None:
    result = await schema.execute(nested(9))  # depth 10
    assert result.errors is None


async def test_a_deep_query_is_refused_naming_the_depth_and_limit(
    schema: strawberry.Schema,
) -> None:
    message = refusal(await schema.execute(nested(10)))
    assert "depth 11" in message
    assert "maximum of 10" in message


async def test_depth_through_fragments_counts(schema: strawberry.Schema) -> None:
    query = (
        "{ node { ...A } } "
        "fragment A on Node { child { ... on Node { child { ...B } } } } "
        "fragment B on Node { child { child { child { child { child { child { child { "
        "child { name } } } } } } } } }"
    )
    assert "depth 11" in refusal(await schema.execute(query))


async def test_a_token_heavy_query_is_refused_naming_the_limit(
    schema: strawberry.Schema,
) -> None:
    query = "{" + " node { name }" * 500 + " }"  # 2002 tokens, shallow and alias-free
    message = refusal(await schema.execute(query))
    assert "more than 2000 tokens" in message


async def test_comments_count_as_tokens(schema: strawberry.Schema) -> None:
    query = "{ node { name } }\n" + "# padding\n" * 2500
    assert "2000 tokens" in refusal(await schema.execute(query))


async def test_nesting_beyond_the_parser_is_refused_as_too_deep(
    schema: strawberry.Schema,
) -> None:
    message = refusal(await schema.execute(nested(400)))
    assert "max depth 10" in message


async def test_an_alias_heavy_query_is_refused_naming_the_count_and_limit(
    schema: strawberry.Schema,
) -> None:
    assert (await schema.execute(aliased(30))).errors is None
    resolved.clear()
    message = refusal(await schema.execute(aliased(31)))
    assert "31 aliases" in message
    assert "maximum of 30" in message


async def test_aliases_count_once_per_fragment_spread(schema: strawberry.Schema) -> None:
    query = (
        "{ node { ...F ...F ...F ...F } } "
        "fragment F on Node { a: name b: name c: name d: name e: name f: name g: name h: name }"
    )
    assert "32 aliases" in refusal(await schema.execute(query))


async def test_fragments_spread_exponentially_are_measured_quickly(
    schema: strawberry.Schema,
) -> None:
    # Each fragment spreads the next twice: 2^40 paths, which the stock limiters walk.
    n = 40
    query = (
        "{ node { ...F0 } } "
        + " ".join(f"fragment F{i} on Node {{ ...F{i + 1} ...F{i + 1} }}" for i in range(n))
        + f" fragment F{n} on Node {{ x: name }}"
    )
    started = time.perf_counter()
    message = refusal(await schema.execute(query))
    assert time.perf_counter() - started < 1.0
    assert f"{2**n} aliases" in message


async def test_limits_are_configurable() -> None:
    schema = strawberry.Schema(
        Query, extensions=query_limit_extensions(max_depth=2, max_tokens=50, max_aliases=1)
    )
    assert "maximum of 2" in refusal(await schema.execute(nested(2)))
    assert "2 aliases" in refusal(await schema.execute(aliased(2)))
    assert "50 tokens" in refusal(await schema.execute(aliased(1) + "#\n" * 60))


async def test_the_standard_introspection_query_runs(schema: strawberry.Schema) -> None:
    result = await schema.execute(get_introspection_query())
    assert result.errors is None


async def test_deeply_nested_introspection_is_refused(schema: strawberry.Schema) -> None:
    # Introspection types nest cyclically; graphql-core's own rule bounds them, and its
    # refusal carries our code.
    levels = "{ fields { type " * 4
    query = "{ __schema { types " + levels + "{ name }" + " } }" * 4 + " } }"
    assert "introspection lists nested more than 3" in refusal(await schema.execute(query))


def test_the_synchronous_path_refuses_too() -> None:
    schema = strawberry.Schema(Query, extensions=query_limit_extensions())
    resolved.clear()
    refusal(schema.execute_sync(nested(10)))
    refusal(schema.execute_sync("{" + " node { name }" * 500 + " }"))


async def test_subscriptions_are_limited() -> None:
    schema = strawberry.Schema(
        Query, subscription=Subscription, extensions=query_limit_extensions(max_tokens=10)
    )
    stream = await schema.subscribe("subscription { nodes { name child { name } } }")
    try:
        first = await anext(stream)  # refused before the resolver yields anything
    finally:
        await stream.aclose()
    refusal(first)


async def test_an_ordinary_syntax_error_keeps_its_own_message(schema: strawberry.Schema) -> None:
    result = await schema.execute("{ node { name }")
    assert result.errors is not None
    assert "Syntax Error" in result.errors[0].message
    assert not result.errors[0].extensions
