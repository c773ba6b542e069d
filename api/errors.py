"""GraphQL errors carry CONTRACT.md's codes in `extensions.code`; anything unexpected is
answered as `INTERNAL` with a fixed message, never a stack trace or an exception's text."""

from __future__ import annotations

from collections.abc import Iterator

from graphql.error import GraphQLError
from strawberry.extensions import SchemaExtension

from domain.errors import DomainError

INTERNAL_MESSAGE = "internal error; it was logged"


def graphql_error(error: DomainError) -> GraphQLError:
    return GraphQLError(error.message, extensions={"code": error.code})


def coded(message: str, code: str, **extensions: object) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code, **extensions})


class CodedErrors(SchemaExtension):
    """Give every error a code: domain errors their own, GraphQL's validation errors (unknown
    fields, bad arguments) VALIDATION_FAILED, and anything else INTERNAL, masked."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors = getattr(result, "errors", None) if result is not None else None
        if result is not None and errors:
            result.errors = [_with_code(error) for error in errors]


def _with_code(error: GraphQLError) -> GraphQLError:
    original = error.original_error
    if isinstance(original, DomainError):
        return GraphQLError(
            original.message,
            nodes=error.nodes,
            path=error.path,
            extensions={"code": original.code},
        )
    if error.extensions and "code" in error.extensions:
        return error
    if original is None or error.path is None:  # the query or its variables: the client's
        return GraphQLError(
            error.message,
            nodes=error.nodes,
            path=error.path,
            extensions={"code": "VALIDATION_FAILED"},
        )
    if isinstance(original, GraphQLError) and (original.extensions or {}).get("code"):
        return original
    return GraphQLError(
        INTERNAL_MESSAGE, nodes=error.nodes, path=error.path, extensions={"code": "INTERNAL"}
    )
