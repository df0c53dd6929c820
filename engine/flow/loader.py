"""Parse a flow's YAML source into a Flow, reporting every problem as `file:line:col: path: message`."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from msgspec import Struct
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from engine.flow.document import decode_document
from engine.flow.model import Flow
from engine.flow.plugin_defaults import ConfiguredDefaults, inject
from engine.task_api.registry import task_errors

if TYPE_CHECKING:
    from engine.flow.yaml_source import Path, Position, YamlSource


class FlowProblem(Struct, frozen=True):
    file: str
    line: int
    column: int
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.path}: {self.message}"


class InvalidFlowError(Exception):
    def __init__(self, problems: list[FlowProblem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


# Kestra task types Kite does not run, and what to use instead.
_TEMPLATES = (
    "Templates are deprecated in Kestra and Kite keeps none: call the flow with an "
    "io.kestra.plugin.core.flow.Subflow task instead"
)
RETIRED_TYPES = {
    "io.kestra.plugin.core.flow.Template": _TEMPLATES,
    "io.kestra.core.tasks.flows.Template": _TEMPLATES,
}


def decode_source(data: bytes, filename: str = "<flow>") -> str:
    """A flow file's text; one that is not UTF-8 is an invalid flow, at its first bad byte."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        byte = data[exc.start]
        raise InvalidFlowError(
            [FlowProblem(filename, line, column, "<flow>", f"not UTF-8 text (byte 0x{byte:02x})")]
        ) from None


# A revision is one DynamoDB item (400 KB, with the flow's other attributes): a source past this is refused
# here, with a message, rather than by the store.
MAX_SOURCE_BYTES = 300 * 1024


def parse_flow(
    text: str,
    filename: str = "<flow>",
    plugin_defaults: ConfiguredDefaults | None = None,
    document: bytes | None = None,
) -> Flow:
    """The flow with its plugin defaults, then `plugin_defaults` (the configured ones), applied.

    `document` is the source's stored document (engine/flow/document.py), which spares parsing the YAML.
    """
    if document is not None:
        try:
            return Flow.model_validate(inject(decode_document(document), plugin_defaults))
        except ValidationError:
            pass  # read again from the source, which knows where each problem is
    return read_flow(text, filename, plugin_defaults)[0]


def read_flow(
    text: str, filename: str = "<flow>", plugin_defaults: ConfiguredDefaults | None = None
) -> tuple[Flow, Any]:
    """The flow, as parse_flow gives it, and the document its source holds (no defaults applied)."""
    # PyYAML loads with the first flow a process reads from its source: a step reads a stored document.
    from engine.flow.yaml_source import load_yaml

    size = len(text.encode())
    if size > MAX_SOURCE_BYTES:
        message = f"the flow is {size // 1024} KB: a flow holds at most {MAX_SOURCE_BYTES // 1024} KB"
        raise InvalidFlowError([FlowProblem(filename, 1, 1, "<flow>", message)])
    source = load_yaml(text)
    problems = [
        FlowProblem(filename, p.position.line, p.position.column, format_path(p.path), p.message)
        for p in source.problems
    ]
    if not problems and not isinstance(source.data, dict):
        problems.append(FlowProblem(filename, 1, 1, "<flow>", "a flow must be a YAML mapping"))
    if problems:
        raise InvalidFlowError(problems)
    data = inject(source.data, plugin_defaults)
    try:
        return Flow.model_validate(data), source.data
    except ValidationError as exc:
        raise InvalidFlowError(_problems(exc, data, source, filename)) from None


def format_path(path: Path) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "<flow>"


def _problems(exc: ValidationError, data: Any, source: YamlSource, filename: str) -> list[FlowProblem]:
    """`data` is the source's data with its defaults: its paths are the source's, or lead below one."""
    seen: dict[str, FlowProblem] = {}
    for error in task_errors(exc):
        path = _real_path(data, error)
        at = _position_of(error, path, source)
        key = format_path(path)
        message = _message(error)
        if key in seen:
            previous = seen[key]
            if message not in previous.message:
                seen[key] = FlowProblem(
                    filename, previous.line, previous.column, key, f"{previous.message}; {message}"
                )
            continue
        seen[key] = FlowProblem(filename, at.line, at.column, key, message)
    return sorted(seen.values(), key=lambda p: (p.line, p.column, p.path))


def _real_path(data: Any, error: ErrorDetails) -> Path:
    """Drop the union tags pydantic puts in `loc` by walking the loc along the data itself."""
    loc = error["loc"]
    path: list[str | int] = []
    node = data
    for index, part in enumerate(loc):
        in_dict = isinstance(node, dict) and part in node
        if in_dict or (isinstance(node, list) and isinstance(part, int) and part < len(node)):
            path.append(part)
            node = node[part]
        elif index == len(loc) - 1 and error["type"] in ("missing", "extra_forbidden"):
            path.append(part)
    return tuple(path)


def _position_of(error: ErrorDetails, path: Path, source: YamlSource) -> Position:
    if not path:
        duplicate = re.match(r".*Duplicate task id with name \[([^,\]]+)", error["msg"])
        if duplicate:
            return _second_task_id(source, duplicate.group(1)) or source.locate(())
    if error["type"] == "missing":
        return source.locate(path[:-1])
    if error["type"] != "extra_forbidden" and path in source.values:
        return source.values[path]
    return source.locate(path)


def _second_task_id(source: YamlSource, task_id: str) -> Position | None:
    found = [
        p
        for p, pos in source.positions.items()
        if p and p[-1] == "id" and _value_at(source.data, p) == task_id
    ]
    return source.positions[found[1]] if len(found) > 1 else None


def _value_at(data: Any, path: Path) -> Any:
    for part in path:
        data = data[part]
    return data


_MESSAGES = {
    "missing": "required property is missing",
    "extra_forbidden": "unknown property",
}


def _message(error: ErrorDetails) -> str:
    kind = error["type"]
    if kind in _MESSAGES:
        return _MESSAGES[kind]
    if kind == "unknown_task_type":
        value = error["input"]
        found = value.get("type") if isinstance(value, dict) else None
        if found in RETIRED_TYPES:
            return RETIRED_TYPES[found]
        return f"unknown task type '{found}'" if found else "a task needs a 'type'"
    message = error["msg"]
    return message.removeprefix("Value error, ")
