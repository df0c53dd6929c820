"""AST of Pebble expressions."""

from __future__ import annotations

from typing import Any

from msgspec import Struct, field


class Node(Struct):
    """A node of a parsed expression; each kind below is one."""


class Literal(Node):
    value: Any  # str | JavaLong | float | bool | None


class Name(Node):
    name: str


class ListLit(Node):
    items: list[Node]


class MapLit(Node):
    pairs: list[tuple[Node, Node]]


class Interp(Node):
    parts: list[Node]


class GetAttr(Node):
    obj: Node
    key: Node


class MethodCall(Node):
    obj: Node
    name: str
    args: list[Node]


class Call(Node):
    name: str
    args: list[Node]
    kwargs: list[tuple[str, Node]] = field(default_factory=list)


class Filter(Node):
    value: Node
    name: str
    args: list[Node]
    kwargs: list[tuple[str, Node]] = field(default_factory=list)


class Test(Node):
    value: Node
    name: str
    args: list[Node]
    negated: bool


class Unary(Node):
    op: str
    operand: Node


class Binary(Node):
    op: str
    left: Node
    right: Node


class Ternary(Node):
    cond: Node
    then: Node
    otherwise: Node
