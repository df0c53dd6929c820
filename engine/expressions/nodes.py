"""AST of Pebble expressions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class Node:
    __slots__ = ()


@dataclass(slots=True)
class Literal(Node):
    value: Any  # str | JavaLong | float | bool | None


@dataclass(slots=True)
class Name(Node):
    name: str


@dataclass(slots=True)
class ListLit(Node):
    items: list[Node]


@dataclass(slots=True)
class MapLit(Node):
    pairs: list[tuple[Node, Node]]


@dataclass(slots=True)
class Interp(Node):
    parts: list[Node]


@dataclass(slots=True)
class GetAttr(Node):
    obj: Node
    key: Node


@dataclass(slots=True)
class MethodCall(Node):
    obj: Node
    name: str
    args: list[Node]


@dataclass(slots=True)
class Call(Node):
    name: str
    args: list[Node]
    kwargs: list[tuple[str, Node]] = field(default_factory=list)


@dataclass(slots=True)
class Filter(Node):
    value: Node
    name: str
    args: list[Node]
    kwargs: list[tuple[str, Node]] = field(default_factory=list)


@dataclass(slots=True)
class Test(Node):
    value: Node
    name: str
    args: list[Node]
    negated: bool


@dataclass(slots=True)
class Unary(Node):
    op: str
    operand: Node


@dataclass(slots=True)
class Binary(Node):
    op: str
    left: Node
    right: Node


@dataclass(slots=True)
class Ternary(Node):
    cond: Node
    then: Node
    otherwise: Node
