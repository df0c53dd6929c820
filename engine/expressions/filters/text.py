"""Filters on text: case, trimming, substrings, replacement, splitting, escaping, encodings, digests and
regular expressions."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import urllib.parse
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from engine.expressions.errors import EvalError
from engine.expressions.filters.args import Filter, int_arg, text_arg
from engine.expressions.patterns import pattern
from engine.expressions.state import RenderState
from engine.expressions.values import (
    java_string,
    pebble_string,
)
from engine.model.files import slugify

if TYPE_CHECKING:
    from engine.expressions.patterns import Match


def f_upper(state: RenderState, value: Any) -> Any:
    return None if value is None else text_arg(value, "upper").upper()


def f_lower(state: RenderState, value: Any) -> Any:
    return None if value is None else text_arg(value, "lower").lower()


def f_trim(state: RenderState, value: Any) -> Any:
    return None if value is None else text_arg(value, "trim").strip(" \t\n\r\x0b\x0c\x00")


def f_capitalize(state: RenderState, value: Any) -> Any:
    if value is None:
        return None
    text = text_arg(value, "capitalize")
    for index, char in enumerate(text):
        if not char.isspace():
            return text[:index] + char.upper() + text[index + 1 :]
    return text


def f_title(state: RenderState, value: Any) -> Any:
    if value is None:
        return None
    out: list[str] = []
    capitalize_next = True
    for char in text_arg(value, "title"):
        if char.isspace():
            capitalize_next = True
            out.append(char)
        elif capitalize_next:
            out.append(char.upper())
            capitalize_next = False
        else:
            out.append(char)
    return "".join(out)


def f_abbreviate(state: RenderState, value: Any, length: Any) -> Any:
    if value is None:
        return None
    text = text_arg(value, "abbreviate")
    size = int_arg(length, "abbreviate")
    if len(text) <= size:
        return text
    if size < 3:
        raise EvalError("Filter [abbreviate]: the maximum width must be at least 3")
    return text[: size - 3] + "..."


def f_slugify(state: RenderState, value: Any) -> Any:
    return None if value is None else slugify(text_arg(value, "slugify"))


def _substring(name: str, value: Any, separator: Any) -> str | None:
    if value is None:
        return None
    text = text_arg(value, name)
    sep = text_arg(separator, name)
    if name == "substringBefore":
        index = text.find(sep)
        return text if index < 0 else text[:index]
    if name == "substringAfter":
        index = text.find(sep)
        return "" if index < 0 else text[index + len(sep) :]
    if name == "substringBeforeLast":
        index = text.rfind(sep)
        return text if index < 0 or not sep else text[:index]
    index = text.rfind(sep)
    return "" if index < 0 or not sep or index == len(text) - len(sep) else text[index + len(sep) :]


def f_starts_with(state: RenderState, value: Any, prefix: Any) -> bool:
    return value is not None and text_arg(value, "startsWith").startswith(text_arg(prefix, "startsWith"))


def f_ends_with(state: RenderState, value: Any, suffix: Any) -> bool:
    return value is not None and text_arg(value, "endsWith").endswith(text_arg(suffix, "endsWith"))


def _java_replacement(replacement: str) -> Callable[[Match], str]:
    def _expand(match: Match) -> str:
        out: list[str] = []
        index = 0
        while index < len(replacement):
            char = replacement[index]
            if char == "\\" and index + 1 < len(replacement):
                out.append(replacement[index + 1])
                index += 2
                continue
            if char == "$":
                group = re.match(r"\d+|\{(\w+)\}", replacement[index + 1 :])
                if group is None:
                    raise EvalError("Illegal group reference in replacement")
                key: int | str = group.group(1) if group.group(1) else int(group.group(0))
                out.append(match.group(key) or "")
                index += 1 + len(group.group(0))
                continue
            out.append(char)
            index += 1
        return "".join(out)

    return _expand


def f_replace(state: RenderState, value: Any, replace_pairs: Any, regexp: Any = False) -> Any:
    if value is None:
        return None
    text = text_arg(value, "replace")
    if not isinstance(replace_pairs, Mapping):
        raise EvalError("Filter [replace] expects a map of search → replacement")
    for search, replacement in replace_pairs.items():
        search_text = java_string(search)
        replacement_text = java_string(replacement)
        if regexp is True:
            text = pattern(search_text).sub(_java_replacement(replacement_text), text)
        else:
            text = text.replace(search_text, replacement_text)
        state.budget.check_size(len(text))
    return text


def f_split(state: RenderState, value: Any, delimiter: Any, limit: Any = None) -> Any:
    if value is None:
        return None
    text = text_arg(value, "split")
    delimiter_pattern = pattern(text_arg(delimiter, "split"))
    max_parts = 0 if limit is None else int_arg(limit, "split")
    parts: list[str] = []
    position = 0
    for match in delimiter_pattern.finditer(text):
        if 0 < max_parts <= len(parts) + 1:
            break
        if match.end() == 0:
            continue  # a zero-width match at the beginning never produces a leading empty string
        if match.start() == match.end() and match.start() >= len(text):
            break
        parts.append(text[position : match.start()])
        position = match.end()
    parts.append(text[position:])
    if max_parts == 0:
        while parts and parts[-1] == "":
            parts.pop()
    if not text:
        return [""]
    return parts


def f_escape_char(state: RenderState, value: Any, type: Any) -> Any:
    if value is None:
        return None
    text = text_arg(value, "escapeChar")
    if type == "single":
        return text.replace("'", "\\'")
    if type == "double":
        return text.replace('"', '\\"')
    if type == "shell":
        return text.replace("'", "'\\''")
    raise EvalError(
        f"Filter [escapeChar]: unknown type [{java_string(type)}], expected single, double or shell"
    )


def _indent(state: RenderState, value: Any, amount: Any, prefix: Any, *, name: str, leading: bool) -> Any:
    if value is None:
        return None
    text = value if isinstance(value, str) else pebble_string(value, state.budget.max_output)
    count = int_arg(amount, name)
    if count < 0:
        raise EvalError(f"Filter [{name}]: amount must be >= 0")
    pad_unit = text_arg(prefix, name)
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.count(newline) + 1
    state.budget.check_size(len(text) + lines * count * len(pad_unit))
    indentation = pad_unit * count
    body = text.replace(newline, newline + indentation)
    return newline + indentation + body if leading else body


def f_indent(state: RenderState, value: Any, amount: Any, prefix: Any = " ") -> Any:
    return _indent(state, value, amount, prefix, name="indent", leading=False)


def f_nindent(state: RenderState, value: Any, amount: Any, prefix: Any = " ") -> Any:
    return _indent(state, value, amount, prefix, name="nindent", leading=True)


def _bytes(value: Any, name: str) -> bytes:
    return text_arg(value, name).encode("utf-8")


def f_base64encode(state: RenderState, value: Any) -> Any:
    return None if value is None else base64.b64encode(_bytes(value, "base64encode")).decode("ascii")


def f_base64decode(state: RenderState, value: Any) -> Any:
    if value is None:
        return None
    try:
        return base64.b64decode(_bytes(value, "base64decode"), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise EvalError(f"Filter [base64decode]: invalid input: {exc}") from exc


def _digest(algorithm: str) -> Filter:
    def _apply(state: RenderState, value: Any) -> Any:
        if value is None:
            return None
        return hashlib.new(algorithm, _bytes(value, algorithm)).hexdigest()

    return _apply


def f_urlencode(state: RenderState, value: Any) -> Any:
    if value is None:
        return None
    return urllib.parse.quote_plus(text_arg(value, "urlencode"), safe="*").replace("~", "%7E")


def f_urldecode(state: RenderState, value: Any) -> Any:
    return None if value is None else urllib.parse.unquote_plus(text_arg(value, "urldecode"))


def f_regex_match(state: RenderState, value: Any, regex: Any) -> bool:
    return (
        value is not None
        and pattern(text_arg(regex, "regexMatch")).fullmatch(text_arg(value, "regexMatch")) is not None
    )


def f_regex_replace(state: RenderState, value: Any, regex: Any, replacement: Any) -> Any:
    if value is None:
        return None
    compiled = pattern(text_arg(regex, "regexReplace"))
    return compiled.sub(
        _java_replacement(text_arg(replacement, "regexReplace")), text_arg(value, "regexReplace")
    )


def f_regex_extract(state: RenderState, value: Any, regex: Any, group: Any = 0) -> Any:
    if value is None:
        return None
    match = pattern(text_arg(regex, "regexExtract")).search(text_arg(value, "regexExtract"))
    if match is None:
        return None
    return match.group(int_arg(group, "regexExtract"))


# -- collections ---------------------------------------------------------------------------------------------


FILTERS: dict[str, Filter] = {
    "abbreviate": f_abbreviate,
    "base64decode": f_base64decode,
    "base64encode": f_base64encode,
    "capitalize": f_capitalize,
    "endsWith": f_ends_with,
    "escapeChar": f_escape_char,
    "indent": f_indent,
    "lower": f_lower,
    "md5": _digest("md5"),
    "nindent": f_nindent,
    "regexExtract": f_regex_extract,
    "regexMatch": f_regex_match,
    "regexReplace": f_regex_replace,
    "replace": f_replace,
    "sha1": _digest("sha1"),
    "sha256": _digest("sha256"),
    "sha512": _digest("sha512"),
    "slugify": f_slugify,
    "split": f_split,
    "startsWith": f_starts_with,
    "substringAfter": lambda state, value, separator: _substring("substringAfter", value, separator),
    "substringAfterLast": lambda state, value, separator: _substring("substringAfterLast", value, separator),
    "substringBefore": lambda state, value, separator: _substring("substringBefore", value, separator),
    "substringBeforeLast": lambda state, value, separator: _substring(
        "substringBeforeLast", value, separator
    ),
    "title": f_title,
    "trim": f_trim,
    "upper": f_upper,
    "urldecode": f_urldecode,
    "urlencode": f_urlencode,
}
