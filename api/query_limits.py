"""Refuse GraphQL documents that are too big or too nested to be worth running, before any
resolver does: a token budget enforced by the parser while it reads, and validation rules
for depth and aliases. Every refusal is a GraphQL error coded QUERY_TOO_COMPLEX.

Strawberry's QueryDepthLimiter, MaxAliasesLimiter and MaxTokensLimiter report errors
without a code, so this module has its own rules. They also expand each fragment once
(memoised): the stock ones walk a fragment again at every spread, so a chain of fragments
each spread twice costs 2^n steps, a denial of service of its own.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from functools import partial
from typing import Any

from graphql import GraphQLError, GraphQLSyntaxError, ValidationRule
from graphql.language import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    Node,
    OperationDefinitionNode,
    SelectionSetNode,
)
from graphql.validation.rules.max_introspection_depth_rule import MAX_LIST_DEPTH
from strawberry.extensions import SchemaExtension

QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"

# graphql-core's messages for the parser limits (language/parser.py, lexer.py).
_TOO_MANY_TOKENS = re.compile(r"Document contains more than \d+ tokens")
_NESTED_TOO_DEEPLY = "Document is nested too deeply"
# ... and of its MaxIntrospectionDepthRule (one of strawberry's default rules), which bounds
# the nesting of introspection lists: introspection types refer to each other in cycles, so
# a deep introspection query fans out without end. This module's depth rule skips
# introspection fields (as strawberry's does: the standard introspection query that
# GraphiQL and code generators send is 14 deep), so that rule is the one that holds.
_INTROSPECTION_TOO_DEEP = "Maximum introspection depth exceeded"


def query_limit_extensions(
    max_depth: int = 10, max_tokens: int = 2000, max_aliases: int = 30
) -> list[Callable[[], SchemaExtension]]:
    """Extension factories for `strawberry.Schema(extensions=...)`: a new extension per
    operation, since strawberry keeps per-operation state on extension instances."""
    for name, value in (
        ("max_depth", max_depth),
        ("max_tokens", max_tokens),
        ("max_aliases", max_aliases),
    ):
        if value < 0:
            raise ValueError(f"{name} must be >= 0, got {value}")
    rules = (depth_rule(max_depth), alias_rule(max_aliases))
    return [partial(QueryLimits, max_depth=max_depth, max_tokens=max_tokens, rules=rules)]


def too_complex(message: str, limit: str, maximum: int, nodes: Node | None = None) -> GraphQLError:
    return GraphQLError(
        f"Query too complex: {message}",
        nodes,
        extensions={"code": QUERY_TOO_COMPLEX, "limit": limit, "maximum": maximum},
    )


class QueryLimits(SchemaExtension):
    """Adds the token budget to the parser and the depth and alias rules to validation."""

    def __init__(
        self, *, max_depth: int, max_tokens: int, rules: tuple[type[ValidationRule], ...]
    ) -> None:
        self.max_depth = max_depth
        self.max_tokens = max_tokens
        self.rules = rules

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        # graphql-core counts tokens as it lexes (comments included) and aborts past the
        # budget, so an oversized document is never fully read, let alone kept in memory.
        context.parse_options["max_tokens"] = self.max_tokens
        context.validation_rules = (*context.validation_rules, *self.rules)
        yield

    def on_parse(self) -> Iterator[None]:
        yield
        # The parser's refusal is an ordinary syntax error, already on its way to the client
        # as the same object: give it our code and message in place.
        for error in self.execution_context.pre_execution_errors or ():
            if not isinstance(error, GraphQLSyntaxError):
                continue
            if _TOO_MANY_TOKENS.search(error.message):
                replacement = too_complex(
                    f"more than {self.max_tokens} tokens", "tokens", self.max_tokens
                )
            elif _NESTED_TOO_DEEPLY in error.message:
                replacement = too_complex(
                    f"nested deeper than the parser allows (max depth {self.max_depth})",
                    "depth",
                    self.max_depth,
                )
            else:
                continue
            error.message = replacement.message
            error.extensions = replacement.extensions

    def on_validate(self) -> Iterator[None]:
        yield
        for error in self.execution_context.pre_execution_errors or ():
            if error.message == _INTROSPECTION_TOO_DEEP and not error.extensions:
                replacement = too_complex(
                    f"introspection lists nested more than {MAX_LIST_DEPTH} deep",
                    "introspection_depth",
                    MAX_LIST_DEPTH,
                )
                error.message = replacement.message
                error.extensions = replacement.extensions


def depth_rule(max_depth: int) -> type[ValidationRule]:
    """A rule refusing operations nested deeper than max_depth. Depth counts the fields
    above a field, as strawberry and graphql-depth-limit do: `{ a }` is 0, `{ a { b } }` 1.
    Introspection fields (`__schema`, `__type`) are not counted (see above)."""

    class QueryDepthRule(ValidationRule):
        def enter_document(self, node: DocumentNode, *_args: Any) -> None:
            measure = _Depths(_fragments(node))
            for operation in _operations(node):
                depth = measure.of(operation.selection_set)
                if depth > max_depth:
                    message = f"depth {depth} exceeds the maximum of {max_depth}"
                    self.report_error(too_complex(message, "depth", max_depth, operation))

    return QueryDepthRule


def alias_rule(max_aliases: int) -> type[ValidationRule]:
    """A rule refusing operations with more than max_aliases aliased fields (each spread of
    a fragment counts its aliases again: that is how often they are resolved)."""

    class QueryAliasRule(ValidationRule):
        def enter_document(self, node: DocumentNode, *_args: Any) -> None:
            count = _Aliases(_fragments(node))
            for operation in _operations(node):
                aliases = count.of(operation.selection_set)
                if aliases > max_aliases:
                    message = f"{aliases} aliases exceed the maximum of {max_aliases}"
                    self.report_error(too_complex(message, "aliases", max_aliases, operation))

    return QueryAliasRule


def _fragments(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}


def _operations(document: DocumentNode) -> list[OperationDefinitionNode]:
    return [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]


class _Depths:
    """Depth of selection sets, fragments expanded, introspection fields skipped."""

    def __init__(self, fragments: Mapping[str, FragmentDefinitionNode]) -> None:
        self._fragments = fragments
        self._memo: dict[str, int] = {}

    def of(self, selection_set: SelectionSetNode) -> int:
        depth = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                if selection.selection_set is not None and not _introspection(selection):
                    depth = max(depth, self.of(selection.selection_set) + 1)
            elif isinstance(selection, InlineFragmentNode):
                depth = max(depth, self.of(selection.selection_set))
            elif isinstance(selection, FragmentSpreadNode):
                depth = max(depth, self._fragment(selection.name.value))
        return depth

    def _fragment(self, name: str) -> int:
        if name not in self._memo:
            fragment = self._fragments.get(name)
            # Unknown fragments and cycles count nothing here: graphql-core's own rules
            # (KnownFragmentNames, NoFragmentCycles) refuse those documents.
            self._memo[name] = 0
            if fragment is not None:
                self._memo[name] = self.of(fragment.selection_set)
        return self._memo[name]


def _introspection(field: FieldNode) -> bool:
    return field.name.value.startswith("__")


class _Aliases:
    """Aliased fields in selection sets, fragments expanded (each counted per spread)."""

    def __init__(self, fragments: Mapping[str, FragmentDefinitionNode]) -> None:
        self._fragments = fragments
        self._memo: dict[str, int] = {}

    def of(self, selection_set: SelectionSetNode) -> int:
        count = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                count += selection.alias is not None
                if selection.selection_set is not None:
                    count += self.of(selection.selection_set)
            elif isinstance(selection, InlineFragmentNode):
                count += self.of(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                count += self._fragment(selection.name.value)
        return count

    def _fragment(self, name: str) -> int:
        if name not in self._memo:
            fragment = self._fragments.get(name)
            self._memo[name] = 0  # unknown fragments and cycles: see _Depths._fragment
            if fragment is not None:
                self._memo[name] = self.of(fragment.selection_set)
        return self._memo[name]
