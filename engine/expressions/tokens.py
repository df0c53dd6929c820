"""Pebble expression tokenizer (also finds where a ``{{ }}`` / ``{% %}`` tag ends)."""

from __future__ import annotations

import re
from typing import Any

from msgspec import Struct, field

from engine.expressions.errors import TemplateSyntaxError

NAME = "name"
INT = "int"
FLOAT = "float"
STRING = "string"
INTERP = "interp"  # double-quoted string with #{...}: value is a list of str | list[Token]
OP = "op"
END = "end"

_NAME_RE = re.compile(r"[^\W\d][\w]*")
_NUMBER_RE = re.compile(r"\d+(\.\d+)?")
_OPERATORS = (
    "???",
    "??",
    "..",
    "==",
    "!=",
    "<=",
    ">=",
    "<",
    ">",
    "+",
    "-",
    "*",
    "/",
    "%",
    "~",
    "|",
    "?",
    ":",
    "=",
    ".",
    ",",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
)
_OPEN = {"(": ")", "[": "]", "{": "}"}
_CLOSE = {")", "]", "}"}


class Token(Struct):
    type: str
    value: Any
    pos: int
    parts: list[str | list[Token]] = field(default_factory=list)

    def is_op(self, value: str) -> bool:
        return self.type == OP and self.value == value

    def is_name(self, value: str) -> bool:
        return self.type == NAME and self.value == value


def _line_of(source: str, pos: int) -> int:
    return source.count("\n", 0, pos) + 1


def tokenize(source: str, pos: int, closer: str | None) -> tuple[list[Token], int, bool]:
    """Tokenize from ``pos`` until ``closer`` (``}}``, ``%}``, ``}`` for interpolation, None = end of text).

    Returns (tokens, position after the closer, whether the closer had a ``-`` whitespace-control marker).
    """
    tokens: list[Token] = []
    stack: list[str] = []
    length = len(source)
    while True:
        while pos < length and source[pos] in " \t\r\n\f\v":
            pos += 1
        if pos >= length:
            if closer is None and not stack:
                tokens.append(Token(END, None, pos))
                return tokens, pos, False
            raise TemplateSyntaxError(
                f"Unexpected end of template, expected '{closer or (stack[-1] if stack else '')}'",
                _line_of(source, pos),
            )
        char = source[pos]
        if not stack and closer is not None:
            if closer == "}" and char == "}":
                tokens.append(Token(END, None, pos))
                return tokens, pos + 1, False
            if closer != "}":
                if source.startswith(closer, pos):
                    tokens.append(Token(END, None, pos))
                    return tokens, pos + len(closer), False
                if char == "-" and source.startswith(closer, pos + 1):
                    tokens.append(Token(END, None, pos))
                    return tokens, pos + 1 + len(closer), True
        if char in {"'", '"'}:
            token, pos = _string(source, pos)
            tokens.append(token)
            continue
        if char.isdigit():
            match = _NUMBER_RE.match(source, pos)
            assert match is not None
            text = match.group(0)
            if match.group(1):
                tokens.append(Token(FLOAT, float(text), pos))
            else:
                tokens.append(Token(INT, int(text), pos))
            pos = match.end()
            continue
        match = _NAME_RE.match(source, pos)
        if match is not None:
            tokens.append(Token(NAME, match.group(0), pos))
            pos = match.end()
            continue
        for op in _OPERATORS:
            if source.startswith(op, pos):
                break
        else:
            raise TemplateSyntaxError(f"Unexpected character [{char}]", _line_of(source, pos))
        if op in _OPEN:
            stack.append(_OPEN[op])
        elif op in _CLOSE:
            if not stack or stack[-1] != op:
                raise TemplateSyntaxError(f"Unexpected token [{op}]", _line_of(source, pos))
            stack.pop()
        tokens.append(Token(OP, op, pos))
        pos += len(op)


def _string(source: str, pos: int) -> tuple[Token, int]:
    quote = source[pos]
    start = pos
    pos += 1
    length = len(source)
    parts: list[str | list[Token]] = []
    buf: list[str] = []
    while True:
        if pos >= length:
            raise TemplateSyntaxError("Unclosed string literal", _line_of(source, start))
        char = source[pos]
        if char == "\\" and pos + 1 < length:
            # Pebble: only the enclosing quote is unescaped; any other backslash pair is kept verbatim.
            nxt = source[pos + 1]
            buf.append(nxt if nxt == quote else char + nxt)
            pos += 2
            continue
        if char == quote:
            pos += 1
            break
        if quote == '"' and char == "#" and source.startswith("#{", pos):
            if buf:
                parts.append("".join(buf))
                buf = []
            inner, pos, _ = tokenize(source, pos + 2, "}")
            parts.append(inner)
            continue
        buf.append(char)
        pos += 1
    if any(not isinstance(p, str) for p in parts):
        if buf:
            parts.append("".join(buf))
        return Token(INTERP, None, start, parts), pos
    text = "".join(p for p in parts if isinstance(p, str)) + "".join(buf)
    return Token(STRING, text, start), pos
