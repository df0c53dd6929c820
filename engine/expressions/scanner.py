"""Template scanner: Kestra ``{% raw %}`` pre-processing, tag splitting and whitespace control."""

from __future__ import annotations

import re

from msgspec import Struct

from engine.expressions.errors import TemplateSyntaxError
from engine.expressions.tokens import NAME, Token, tokenize

# Kestra VariableRenderer: raw blocks are cut out before Pebble sees the template and put back afterwards.
_RAW_RE = re.compile(r"\{%-*\s*raw\s*-*%}(.*?)\{%-*\s*endraw\s*-*%}", re.DOTALL)
_VERBATIM_END_RE = re.compile(r"\{%(-?)\s*endverbatim\s*(-?)%}")
_OPEN_RE = re.compile(r"\{[{%#]")
PLACEHOLDER_START = "\ue000kite-raw-"
PLACEHOLDER_END = "\ue001"


class Text(Struct):
    text: str


class Tag(Struct):
    kind: str  # "print" or "stmt"
    tokens: list[Token]
    source: str
    line: int


Part = Text | Tag


def extract_raw(template: str) -> tuple[str, list[str]]:
    """Replace ``{% raw %}...{% endraw %}`` blocks with placeholders; return the new text and the contents."""
    contents: list[str] = []
    if "raw" not in template:
        return template, contents

    def _sub(match: re.Match[str]) -> str:
        contents.append(match.group(1))
        return f"{PLACEHOLDER_START}{len(contents) - 1}{PLACEHOLDER_END}"

    return _RAW_RE.sub(_sub, template), contents


def restore_raw(text: str, contents: list[str]) -> str:
    for index, content in enumerate(contents):
        text = text.replace(f"{PLACEHOLDER_START}{index}{PLACEHOLDER_END}", content)
    return text


def scan(source: str) -> list[Part]:
    parts: list[Part] = []
    pos = 0
    line = 1
    trim_next = False
    length = len(source)
    while pos <= length:
        match = _OPEN_RE.search(source, pos)
        text = source[pos : match.start()] if match else source[pos:]
        if trim_next:
            text = text.lstrip()
            trim_next = False
        if match is None:
            if text:
                parts.append(Text(text))
            break
        start = match.start()
        line += source.count("\n", pos, start)
        opener = match.group(0)
        body = start + 2
        if body < length and source[body] == "-":
            text = text.rstrip()
            body += 1
        if text:
            parts.append(Text(text))
        if opener == "{#":
            end = source.find("#}", body)
            if end < 0:
                raise TemplateSyntaxError("Unclosed comment", line)
            trim_next = end > body and source[end - 1] == "-"
            line += source.count("\n", start, end + 2)
            pos = end + 2
            continue
        closer = "}}" if opener == "{{" else "%}"
        tokens, end, trim_next = tokenize(source, body, closer)
        tag_source = source[start:end]
        kind = "print" if opener == "{{" else "stmt"
        if kind == "stmt" and tokens and tokens[0].type == NAME and tokens[0].value == "verbatim":
            verbatim_end = _VERBATIM_END_RE.search(source, end)
            if verbatim_end is None:
                raise TemplateSyntaxError("Unclosed verbatim block", line)
            content = source[end : verbatim_end.start()]
            if trim_next:
                content = content.lstrip()
            if verbatim_end.group(1):
                content = content.rstrip()
            if content:
                parts.append(Text(content))
            trim_next = bool(verbatim_end.group(2))
            line += source.count("\n", start, verbatim_end.end())
            pos = verbatim_end.end()
            continue
        parts.append(Tag(kind, tokens, tag_source, line))
        line += source.count("\n", start, end)
        pos = end
    return parts
