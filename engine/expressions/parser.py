"""Pratt parser for Pebble expressions, with Pebble's (and Kestra's) operator precedences."""

from __future__ import annotations

from engine.expressions import nodes as n
from engine.expressions.errors import TemplateSyntaxError
from engine.expressions.tokens import END, FLOAT, INT, INTERP, NAME, OP, STRING, Token
from engine.expressions.values import JavaLong

# Binary operators, lowest → highest binding (Pebble 3.2 CoreExtension + Kestra).
BINARY_PRECEDENCE: dict[str, int] = {
    "or": 10,
    "and": 15,
    "is": 20,
    "contains": 20,
    "==": 30,
    "!=": 30,
    "<": 30,
    ">": 30,
    "<=": 30,
    ">=": 30,
    "equals": 30,
    "isIn": 30,
    "notIn": 30,
    "+": 40,
    "-": 40,
    "*": 60,
    "/": 60,
    "%": 60,
    "|": 100,
    "~": 110,
    "..": 120,
    "??": 120,
    "???": 120,
}
UNARY_PRECEDENCE = 500
_WORD_OPERATORS = frozenset({"or", "and", "is", "contains", "equals", "isIn", "notIn"})
_LONG_MAX = 2**63 - 1


class ExpressionParser:
    def __init__(self, tokens: list[Token], line: int = 1) -> None:
        self.tokens = tokens
        self.index = 0
        self.line = line

    # -- token helpers --------------------------------------------------------------------------------------
    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def peek(self, offset: int = 1) -> Token:
        index = min(self.index + offset, len(self.tokens) - 1)
        return self.tokens[index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        if token.type != END:
            self.index += 1
        return token

    def error(self, message: str) -> TemplateSyntaxError:
        return TemplateSyntaxError(message, self.line)

    def describe(self, token: Token) -> str:
        if token.type == END:
            return "end of expression"
        if token.type in (STRING, INTERP):
            return "string literal"
        return f"[{token.value}]"

    def expect_op(self, value: str) -> Token:
        token = self.current
        if not token.is_op(value):
            raise self.error(f"Unexpected token {self.describe(token)}, expected [{value}]")
        return self.advance()

    def expect_name(self) -> str:
        token = self.current
        if token.type != NAME:
            raise self.error(f"Unexpected token {self.describe(token)}, expected a name")
        self.advance()
        return str(token.value)

    def expect_end(self) -> None:
        if self.current.type != END:
            raise self.error(f"Unexpected token {self.describe(self.current)}")

    # -- expressions ----------------------------------------------------------------------------------------
    def parse_full(self) -> n.Node:
        node = self.parse_expression()
        self.expect_end()
        return node

    def _binary_op(self, token: Token) -> str | None:
        if token.type == OP and token.value in BINARY_PRECEDENCE:
            return str(token.value)
        if token.type == NAME and token.value in _WORD_OPERATORS:
            return str(token.value)
        return None

    def parse_expression(self, min_precedence: int = 0) -> n.Node:
        token = self.current
        if token.is_name("not") or token.is_op("-") or token.is_op("+"):
            self.advance()
            operand = self.parse_expression(UNARY_PRECEDENCE)
            op = "not" if token.type == NAME else str(token.value)
            left: n.Node = n.Unary(op, operand)
        else:
            left = self.parse_primary()
        while True:
            binary = self._binary_op(self.current)
            if binary is None:
                break
            op = binary
            precedence = BINARY_PRECEDENCE[op]
            if precedence < min_precedence:
                break
            self.advance()
            if op == "|":
                left = self.parse_filter(left)
            elif op == "is":
                negated = False
                if self.current.is_name("not"):
                    self.advance()
                    negated = True
                name_token = self.advance()
                if name_token.type != NAME:
                    raise self.error(f"Unexpected token {self.describe(name_token)}, expected a test name")
                args: list[n.Node] = []
                if self.current.is_op("("):
                    args = self.parse_arguments(allow_named=False)[0]
                left = n.Test(left, str(name_token.value), args, negated)
            else:
                right = self.parse_expression(precedence + 1)
                left = n.Binary(op, left, right)
        if min_precedence == 0 and self.current.is_op("?"):
            self.advance()
            then = self.parse_expression()
            self.expect_op(":")
            otherwise = self.parse_expression()
            left = n.Ternary(left, then, otherwise)
        return left

    def parse_filter(self, value: n.Node) -> n.Node:
        name = self.expect_name()
        args: list[n.Node] = []
        kwargs: list[tuple[str, n.Node]] = []
        if self.current.is_op("("):
            args, kwargs = self.parse_arguments(allow_named=True)
        return n.Filter(value, name, args, kwargs)

    def parse_arguments(self, allow_named: bool) -> tuple[list[n.Node], list[tuple[str, n.Node]]]:
        self.expect_op("(")
        args: list[n.Node] = []
        kwargs: list[tuple[str, n.Node]] = []
        while not self.current.is_op(")"):
            if args or kwargs:
                self.expect_op(",")
            if allow_named and self.current.type == NAME and self.peek().is_op("="):
                name = str(self.advance().value)
                self.advance()
                kwargs.append((name, self.parse_expression()))
            else:
                if kwargs:
                    raise self.error("Positional arguments must come before named arguments")
                args.append(self.parse_expression())
        self.expect_op(")")
        return args, kwargs

    def parse_primary(self) -> n.Node:
        token = self.current
        node: n.Node
        if token.type == INT:
            self.advance()
            if token.value > _LONG_MAX:
                raise self.error(f"Number literal [{token.value}] is too large")
            return n.Literal(JavaLong(token.value))
        if token.type == FLOAT:
            self.advance()
            return n.Literal(float(token.value))
        if token.type == STRING:
            self.advance()
            node = n.Literal(str(token.value))
            return self.parse_postfix(node)
        if token.type == INTERP:
            self.advance()
            parts: list[n.Node] = []
            for part in token.parts:
                if isinstance(part, str):
                    parts.append(n.Literal(part))
                else:
                    parts.append(ExpressionParser(part, self.line).parse_full())
            return self.parse_postfix(n.Interp(parts))
        if token.type == NAME:
            name = str(token.value)
            self.advance()
            lowered = name.lower()
            if lowered == "true" and name in ("true", "TRUE", "True"):
                return n.Literal(True)
            if lowered == "false" and name in ("false", "FALSE", "False"):
                return n.Literal(False)
            if lowered in ("null", "none") and name in ("null", "NULL", "none", "NONE", "None"):
                return n.Literal(None)
            if self.current.is_op("("):
                args, kwargs = self.parse_arguments(allow_named=True)
                node = n.Call(name, args, kwargs)
            else:
                node = n.Name(name)
            return self.parse_postfix(node)
        if token.is_op("("):
            self.advance()
            node = self.parse_expression()
            self.expect_op(")")
            return self.parse_postfix(node)
        if token.is_op("["):
            self.advance()
            items: list[n.Node] = []
            while not self.current.is_op("]"):
                if items:
                    self.expect_op(",")
                items.append(self.parse_expression())
            self.expect_op("]")
            return n.ListLit(items)
        if token.is_op("{"):
            self.advance()
            pairs: list[tuple[n.Node, n.Node]] = []
            while not self.current.is_op("}"):
                if pairs:
                    self.expect_op(",")
                key = self.parse_expression()
                self.expect_op(":")
                pairs.append((key, self.parse_expression()))
            self.expect_op("}")
            return n.MapLit(pairs)
        raise self.error(f"Unexpected token {self.describe(token)}")

    def parse_postfix(self, node: n.Node) -> n.Node:
        while True:
            token = self.current
            if token.is_op("."):
                self.advance()
                attr = self.current
                if attr.type == NAME:
                    self.advance()
                    name = str(attr.value)
                    if self.current.is_op("("):
                        node = n.MethodCall(node, name, self.parse_arguments(allow_named=False)[0])
                    else:
                        node = n.GetAttr(node, n.Literal(name))
                elif attr.type == INT:
                    self.advance()
                    node = n.GetAttr(node, n.Literal(JavaLong(attr.value)))
                else:
                    raise self.error(f"Unexpected token {self.describe(attr)}, expected an attribute name")
            elif token.is_op("["):
                self.advance()
                key = self.parse_expression()
                self.expect_op("]")
                node = n.GetAttr(node, key)
            else:
                return node


def parse_expression(tokens: list[Token], line: int = 1) -> n.Node:
    return ExpressionParser(tokens, line).parse_full()
