"""YAML → plain Python values, remembering where every value came from (line and column, 1-based)."""

from __future__ import annotations

import re
from typing import Any

import yaml
from msgspec import Struct, field

Path = tuple[str | int, ...]


class Position(Struct, frozen=True):
    line: int
    column: int


class SourceProblem(Struct, frozen=True):
    position: Position
    path: Path
    message: str


class YamlSource(Struct):
    data: Any
    # Where each path's key (for mapping entries) or item (for sequence entries) starts.
    positions: dict[Path, Position] = field(default_factory=dict)
    # Where each mapping entry's value starts, to point at a bad value rather than at its key.
    values: dict[Path, Position] = field(default_factory=dict)
    problems: list[SourceProblem] = field(default_factory=list)

    def locate(self, path: Path) -> Position:
        """The position of `path`, or of its nearest located ancestor."""
        for end in range(len(path), -1, -1):
            found = self.positions.get(path[:end])
            if found is not None:
                return found
        return Position(1, 1)


class _Loader(yaml.SafeLoader):
    """YAML 1.2 core scalars, as Jackson reads Kestra flows: `off`, `yes` and `1:30` stay strings."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in _RETYPED]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    for _RETYPED in [("tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float")]
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^[-+]?[0-9]+$|^0o[0-7]+$|^0x[0-9a-fA-F]+$"), list("-+0123456789")
)


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    text = str(loader.construct_scalar(node)).replace("_", "")
    return int(text, 0) if text.lower().startswith(("0x", "0o")) else int(text, 10)


_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$|^[-+]?\.(?:inf|Inf|INF)$|^\.(?:nan|NaN|NAN)$"
    ),
    list("-+0123456789."),
)


def _position(node: yaml.Node) -> Position:
    return Position(node.start_mark.line + 1, node.start_mark.column + 1)


# Bounds on what a document may unfold into: aliases of aliases multiply (an "alias bomb"), and nesting
# deeper than this is no flow anyone writes (it would exhaust the validator's recursion).
MAX_VALUES = 100_000
MAX_DEPTH = 300


class _TooLarge(Exception):
    def __init__(self, problem: SourceProblem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def load_yaml(text: str) -> YamlSource:
    """Parse one YAML document; syntax errors and duplicate keys become problems, not exceptions."""
    source = YamlSource(data=None)
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        at = Position(mark.line + 1, mark.column + 1) if mark else Position(1, 1)
        source.problems.append(SourceProblem(at, (), f"invalid YAML: {exc.problem or exc}"))
        return source
    except yaml.YAMLError as exc:
        source.problems.append(SourceProblem(Position(1, 1), (), f"invalid YAML: {exc}"))
        return source
    except RecursionError:
        # PyYAML composes recursively: far past MAX_DEPTH, it runs out of stack first.
        source.problems.append(SourceProblem(Position(1, 1), (), f"nested deeper than {MAX_DEPTH} levels"))
        return source
    if node is None:
        return source
    source.positions[()] = _position(node)
    try:
        source.data = _build(node, (), source, loader, [0])
    except _TooLarge as exc:
        source.data = None
        source.problems.append(exc.problem)
    return source


def _build(node: yaml.Node, path: Path, source: YamlSource, loader: _Loader, built: list[int]) -> Any:
    built[0] += 1
    if built[0] > MAX_VALUES:
        message = f"the document unfolds into more than {MAX_VALUES} values (YAML aliases?)"
        raise _TooLarge(SourceProblem(_position(node), path, message))
    if len(path) > MAX_DEPTH:
        raise _TooLarge(SourceProblem(_position(node), path, f"nested deeper than {MAX_DEPTH} levels"))
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | float | bool) or key is None:
                key = str(key)
            child: Path = (*path, str(key))
            if key in result:
                source.problems.append(SourceProblem(_position(key_node), child, f"duplicate key '{key}'"))
                continue
            source.positions[child] = _position(key_node)
            source.values[child] = _position(value_node)
            result[key] = _build(value_node, child, source, loader, built)
        return result
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, item_node in enumerate(node.value):
            child = (*path, index)
            source.positions[child] = _position(item_node)
            items.append(_build(item_node, child, source, loader, built))
        return items
    return loader.construct_object(node, deep=True)
