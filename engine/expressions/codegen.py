"""Translate a scanned Pebble template into Jinja2 source.

Every Pebble operation becomes a call to one of Kite's Jinja2 filters (``k_*``), so the generated code never
uses Jinja2's own attribute access, operators, globals or tests. Pebble variable names are prefixed with
``v_`` so that Jinja2's special names (``self``, ``loop``, ``caller``, ``range``...) are unreachable.
"""

from __future__ import annotations

from msgspec import Struct

from engine.expressions import nodes as n
from engine.expressions.errors import TemplateSyntaxError
from engine.expressions.filters import FILTERS
from engine.expressions.functions import FUNCTIONS
from engine.expressions.is_tests import TESTS
from engine.expressions.parser import ExpressionParser, parse_expression
from engine.expressions.scanner import Tag, Text, scan
from engine.expressions.tokens import NAME, Token
from engine.expressions.undefined import NAME_PREFIX
from engine.expressions.values import JavaLong

RESULT_NAME = "kresult"
_COMPARISONS = {
    "==": "k_eq",
    "equals": "k_eq",
    "!=": "k_ne",
    "<": "k_lt",
    ">": "k_gt",
    "<=": "k_le",
    ">=": "k_ge",
}
_BINARY_FILTERS = {
    **_COMPARISONS,
    "+": "k_add",
    "-": "k_sub",
    "*": "k_mul",
    "/": "k_div",
    "%": "k_mod",
    "contains": "k_contains",
    "isIn": "k_isin",
    "notIn": "k_notin",
    "..": "k_range",
}
_FORBIDDEN_TAGS = {
    "autoescape",
    "extends",
    "embed",
    "flush",
    "import",
    "include",
    "parallel",
    "cache",
    "from",
}


class Translation(Struct):
    source: str
    tags: tuple[tuple[str, int], ...]
    # One `{{ expr }}` whose value is the result (kresult); otherwise, in typed mode, every part goes to
    # the TypedWriter (k_collect) and the template prints nothing.
    typed: bool


def quote(text: str) -> str:
    """A Jinja2 string literal that decodes back to ``text`` exactly (newlines included)."""
    escaped = text.replace("\\", "\\\\").replace("'", "\\'").replace("\r", "\\r").replace("\n", "\\n")
    return "'" + escaped + "'"


class Translator:
    def __init__(self, macros: set[str], line: int = 1) -> None:
        self.macros = macros
        self.loop_depth = 0
        self.line = line

    def error(self, message: str) -> TemplateSyntaxError:
        return TemplateSyntaxError(message, self.line)

    def name(self, name: str) -> str:
        if not name.isidentifier():
            raise self.error(f"Invalid identifier [{name}]")
        return NAME_PREFIX + name

    def args(self, args: list[n.Node], kwargs: list[tuple[str, n.Node]]) -> str:
        parts = [self.expr(a) for a in args]
        for key, value in kwargs:
            if not key.isidentifier():
                raise self.error(f"Invalid argument name [{key}]")
            parts.append(f"{key}={self.expr(value)}")
        return ", ".join(parts)

    def expr(self, node: n.Node) -> str:
        if isinstance(node, n.Literal):
            value = node.value
            if value is None:
                return "none"
            if value is True:
                return "true"
            if value is False:
                return "false"
            if isinstance(value, str):
                return quote(value)
            if isinstance(value, JavaLong):
                return f"({int(value)}|k_long)"
            if isinstance(value, float):
                return repr(value)
            raise self.error(f"Unsupported literal [{value!r}]")
        if isinstance(node, n.Name):
            if node.name == "loop" and self.loop_depth > 0:
                return "loop"
            return self.name(node.name)
        if isinstance(node, n.GetAttr):
            key = node.key
            if isinstance(key, n.Literal) and isinstance(key.value, JavaLong):
                key_code = str(int(key.value))
            else:
                key_code = self.expr(key)
            return f"({self.expr(node.obj)}|k_get({key_code}))"
        if isinstance(node, n.MethodCall):
            extra = "".join(", " + self.expr(a) for a in node.args)
            return f"({self.expr(node.obj)}|k_meth({quote(node.name)}{extra}))"
        if isinstance(node, n.ListLit):
            return "([" + ", ".join(self.expr(i) for i in node.items) + "]|k_list)"
        if isinstance(node, n.MapLit):
            flat = [code for k, v in node.pairs for code in (self.expr(k), self.expr(v))]
            return "([" + ", ".join(flat) + "]|k_map)"
        if isinstance(node, n.Interp):
            return "(none|k_concat(" + ", ".join(self.expr(p) for p in node.parts) + "))"
        if isinstance(node, n.Call):
            if node.name in FUNCTIONS:
                return f"(none|k_fn_{node.name}({self.args(node.args, node.kwargs)}))"
            if node.name in self.macros:
                return f"{self.name(node.name)}({self.args(node.args, node.kwargs)})"
            raise self.error(f"Function or Macro [{node.name}] does not exist.")
        if isinstance(node, n.Filter):
            if node.name == "default":
                return f"({self.expr(node.value)}|k_default({self.args(node.args, node.kwargs)}))"
            if node.name not in FILTERS:
                raise self.error(f"Filter [{node.name}] does not exist.")
            arguments = self.args(node.args, node.kwargs)
            call = f"k_f_{node.name}({arguments})" if arguments else f"k_f_{node.name}"
            return f"({self.expr(node.value)}|{call})"
        if isinstance(node, n.Test):
            if node.name == "defined":
                code = f"({self.expr(node.value)}|k_defined)"
            elif node.name in TESTS:
                extra = self.args(node.args, [])
                test = f"k_t_{node.name}({extra})" if extra else f"k_t_{node.name}"
                code = f"({self.expr(node.value)}|{test})"
            else:
                raise self.error(f"Test [{node.name}] does not exist.")
            return f"({code}|k_not)" if node.negated else code
        if isinstance(node, n.Unary):
            op = {"not": "k_not", "-": "k_neg", "+": "k_pos"}[node.op]
            return f"({self.expr(node.operand)}|{op})"
        if isinstance(node, n.Binary):
            return self.binary(node)
        if isinstance(node, n.Ternary):
            then, cond, otherwise = self.expr(node.then), self.expr(node.cond), self.expr(node.otherwise)
            return f"({then} if ({cond}|k_bool) else {otherwise})"
        raise self.error(f"Unsupported expression node {type(node).__name__}")

    def binary(self, node: n.Binary) -> str:
        op = node.op
        if op in ("and", "or"):
            return f"(({self.expr(node.left)}|k_bool) {op} ({self.expr(node.right)}|k_bool))"
        if op in ("??", "???"):
            operands = self.flatten(node, op)
            check = "k_nn" if op == "??" else "k_defined"
            code = self.expr(operands[-1])
            for operand in reversed(operands[:-1]):
                left = self.expr(operand)
                code = f"({left} if ({left}|{check}) else {code})"
            return code
        if op == "~":
            parts = self.flatten(node, "~")
            return "(none|k_concat(" + ", ".join(self.expr(p) for p in parts) + "))"
        return f"({self.expr(node.left)}|{_BINARY_FILTERS[op]}({self.expr(node.right)}))"

    @staticmethod
    def flatten(node: n.Node, op: str) -> list[n.Node]:
        if isinstance(node, n.Binary) and node.op == op:
            return [*Translator.flatten(node.left, op), *Translator.flatten(node.right, op)]
        return [node]


def _emit_text(text: str) -> str:
    if "{" in text or "\r" in text:
        return "{{ " + quote(text) + " }}"
    return text


def _collect_macros(parts: list[Text | Tag]) -> set[str]:
    macros: set[str] = set()
    for part in parts:
        if isinstance(part, Tag) and part.kind == "stmt" and len(part.tokens) > 1:
            first, second = part.tokens[0], part.tokens[1]
            if first.is_name("macro") and second.type == NAME:
                macros.add(str(second.value))
    return macros


def translate(template: str, typed: bool = False) -> Translation:
    parts = scan(template)
    tags: list[tuple[str, int]] = []
    translator = Translator(_collect_macros(parts))
    if typed:
        meaningful = [p for p in parts if not (isinstance(p, Text) and not p.text.strip())]
        if len(meaningful) == 1 and isinstance(meaningful[0], Tag) and meaningful[0].kind == "print":
            tag = meaningful[0]
            translator.line = tag.line
            code = translator.expr(parse_expression(tag.tokens, tag.line))
            source = f"{{% set {RESULT_NAME} = (0|k_mark) or ({code}|k_strict) %}}"
            return Translation(source, ((tag.source, tag.line),), True)
    out: list[str] = []
    stack: list[str] = []
    for part in parts:
        if isinstance(part, Text):
            out.append("{{ " + quote(part.text) + "|k_collect_text }}" if typed else _emit_text(part.text))
            continue
        tag_id = len(tags)
        tags.append((part.source, part.line))
        translator.line = part.line
        mark = f"({tag_id}|k_mark)"
        try:
            if part.kind == "print":
                code = translator.expr(parse_expression(part.tokens, part.line))
                out.append(f"{{{{ {mark} or ({code}|{'k_collect' if typed else 'k_out'}) }}}}")
            else:
                out.append(_statement(translator, part, mark, stack))
        except TemplateSyntaxError as exc:
            exc.source = part.source
            raise
    if stack:
        raise TemplateSyntaxError(f"Unclosed tag [{stack[-1]}]", None)
    return Translation("".join(out), tuple(tags), False)


def _statement(translator: Translator, tag: Tag, mark: str, stack: list[str]) -> str:
    tokens = tag.tokens
    head = tokens[0]
    if head.type != NAME:
        raise translator.error("A tag name is expected")
    name = str(head.value)
    parser = ExpressionParser(tokens, tag.line)
    parser.advance()

    def rest() -> str:
        return translator.expr(parser.parse_full())

    def close(expected: str) -> None:
        parser.expect_end()
        if not stack or stack[-1] != expected:
            raise translator.error(f"Unexpected tag [{name}]")
        stack.pop()

    if name == "if":
        stack.append("if")
        return f"{{% if {mark} or ({rest()}|k_bool) %}}"
    if name == "elseif":
        if not stack or stack[-1] != "if":
            raise translator.error("Unexpected tag [elseif]")
        return f"{{% elif {mark} or ({rest()}|k_bool) %}}"
    if name == "else":
        parser.expect_end()
        if not stack or stack[-1] not in ("if", "for"):
            raise translator.error("Unexpected tag [else]")
        return "{% else %}"
    if name == "endif":
        close("if")
        return "{% endif %}"
    if name == "for":
        variable = translator.name(parser.expect_name())
        if parser.current.is_op(","):
            raise translator.error("Unexpected token [,]: Pebble for loops take a single variable")
        if not parser.current.is_name("in"):
            raise translator.error("Expected [in] in the for tag")
        parser.advance()
        iterable = rest()
        stack.append("for")
        translator.loop_depth += 1
        return f"{{% for {variable} in {mark} or ({iterable}|k_iter) %}}"
    if name == "endfor":
        close("for")
        translator.loop_depth -= 1
        return "{% endfor %}"
    if name == "set":
        variable = translator.name(parser.expect_name())
        parser.expect_op("=")
        return f"{{% set {variable} = {mark} or ({rest()}|k_strict) %}}"
    if name == "macro":
        macro_name = translator.name(parser.expect_name())
        parser.expect_op("(")
        params: list[str] = []
        while not parser.current.is_op(")"):
            if params:
                parser.expect_op(",")
            param = translator.name(parser.expect_name())
            if parser.current.is_op("="):
                parser.advance()
                param += "=" + translator.expr(parser.parse_expression())
            params.append(param)
        parser.expect_op(")")
        parser.expect_end()
        stack.append("macro")
        return f"{{% macro {macro_name}({', '.join(params)}) %}}"
    if name == "endmacro":
        close("macro")
        return "{% endmacro %}"
    if name == "filter":
        chain: list[str] = []
        while True:
            filter_name = parser.expect_name()
            if filter_name not in FILTERS:
                raise translator.error(f"Filter [{filter_name}] does not exist.")
            arguments = ""
            if parser.current.is_op("("):
                args, kwargs = parser.parse_arguments(allow_named=True)
                arguments = f"({translator.args(args, kwargs)})"
            chain.append(f"k_f_{filter_name}{arguments}")
            if not parser.current.is_op("|"):
                break
            parser.advance()
        parser.expect_end()
        stack.append("filter")
        return f"{{% filter {'|'.join(chain)} %}}"
    if name == "endfilter":
        close("filter")
        return "{% endfilter %}"
    if name == "block":
        block_name = parser.expect_name()
        parser.expect_end()
        stack.append("block")
        return f"{{% block {translator.name(block_name)} %}}"
    if name == "endblock":
        if parser.current.type == NAME:
            parser.advance()
        close("block")
        return "{% endblock %}"
    if name in _FORBIDDEN_TAGS:
        raise translator.error(f"Tag [{name}] is not supported")
    raise translator.error(f"Unexpected tag name [{name}]")


__all__ = ["RESULT_NAME", "Token", "Translation", "quote", "translate"]
