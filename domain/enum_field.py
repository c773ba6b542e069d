"""Enum-valued aggregate attributes that survive snapshots with their type.

A StrEnum is serialized as a plain JSON string, so a snapshot would hand it back as `str`.
These descriptors store the plain value and give the enum back on every read."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Generic, TypeVar, overload

E = TypeVar("E", bound=StrEnum)


class EnumField(Generic[E]):
    def __init__(self, enum: type[E]) -> None:
        self._enum = enum
        self._key = ""

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self._key = f"_{name}"

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> EnumField[E]: ...
    @overload
    def __get__(self, obj: object, owner: type[Any]) -> E: ...
    def __get__(self, obj: object | None, owner: type[Any]) -> EnumField[E] | E:
        if obj is None:
            return self
        return self._enum(obj.__dict__[self._key])

    def __set__(self, obj: object, value: E) -> None:
        obj.__dict__[self._key] = self._enum(value).value


class OptionalEnumField(Generic[E]):
    def __init__(self, enum: type[E]) -> None:
        self._enum = enum
        self._key = ""

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self._key = f"_{name}"

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> OptionalEnumField[E]: ...
    @overload
    def __get__(self, obj: object, owner: type[Any]) -> E | None: ...
    def __get__(self, obj: object | None, owner: type[Any]) -> OptionalEnumField[E] | E | None:
        if obj is None:
            return self
        raw = obj.__dict__[self._key]
        return None if raw is None else self._enum(raw)

    def __set__(self, obj: object, value: E | None) -> None:
        obj.__dict__[self._key] = None if value is None else self._enum(value).value
