"""Kestra's preview of a stored file (its FileRender): the first lines of a text, the first values of an Ion
file, an image or a PDF whole in base64. Only the start of a text is read from storage."""

from __future__ import annotations

import base64
import codecs
import re
from typing import Any

from engine.expressions.errors import EvalError
from engine.expressions.ion import ion_value
from engine.resources import Storage
from functions.api.errors import ApiError

# Kestra's defaults (`kestra.server.preview.initial-rows` and `max-rows`).
INITIAL_ROWS = 100
MAX_ROWS = 5000
# What Kestra keeps of a text preview: 2 MB.
MAX_TEXT_BYTES = 2 * 1024 * 1024

_IMAGES = frozenset({"jpg", "jpeg", "png", "svg", "gif", "bmp", "webp"})
# Java's readLine: a line ends at \n, \r or \r\n.
_LINE_END = re.compile(r"\r\n|\r|\n")


def file_render(storage: Storage, uri: str, max_rows: int | None, encoding: str) -> dict[str, Any]:
    rows = INITIAL_ROWS if max_rows is None else min(max(max_rows, 1), MAX_ROWS)
    name = uri.rsplit("/", 1)[-1]
    extension = name.rpartition(".")[2] if "." in name else ""
    kind = extension.lower()
    render: dict[str, Any] = {"extension": extension, "maxLine": rows, "truncated": False}
    if kind in _IMAGES or kind == "pdf":
        content = base64.b64encode(storage.get(uri)).decode("ascii")
        return {**render, "type": "PDF" if kind == "pdf" else "IMAGE", "content": content}
    # Markdown is read as UTF-8 whatever the request says, as Kestra does.
    lines, truncated = _lines(storage, uri, rows, "utf-8" if kind in ("md", "ion") else _charset(encoding))
    if kind == "ion":
        try:
            values = [ion_value(line) for line in lines if line.strip()]
        except EvalError as exc:
            raise ApiError(422, f"Unable to preview '{name}': {exc}") from None
        return {**render, "type": "LIST", "content": values, "truncated": truncated}
    kind_name = "MARKDOWN" if kind == "md" else "TEXT"
    return {**render, "type": kind_name, "content": "\n".join(lines), "truncated": truncated}


def _charset(encoding: str) -> str:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise ApiError(422, f"Unable to preview using encoding '{encoding}'") from None


def _lines(storage: Storage, uri: str, rows: int, charset: str) -> tuple[list[str], bool]:
    """The first `rows` lines, and whether there is more (more lines, or past what a preview reads)."""
    data = storage.get(uri, MAX_TEXT_BYTES + 1)
    cut = len(data) > MAX_TEXT_BYTES
    lines = _LINE_END.split(data[:MAX_TEXT_BYTES].decode(charset, errors="replace"))
    if lines and lines[-1] == "" and not cut:
        lines.pop()  # the text ends with a line end
    return lines[:rows], cut or len(lines) > rows
