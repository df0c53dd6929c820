"""The task registry: Kestra type name (and legacy aliases, spec part 1 §2.7) → task class.

A task type registers itself with `@task_type(...)`. The built-in ones register when `engine.tasks` is
imported (its package imports every module in it), which the flow layer does before reading any flow: the
lookups below answer for every built-in type from then on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from typing import Annotated, Any, TypeVar, Union

from pydantic import Discriminator, GetCoreSchemaHandler, Tag
from pydantic_core import core_schema

from engine.task_api.task import TaskBase

_TYPES: dict[str, type[TaskBase]] = {}
_ALIASES: dict[str, str] = {}
# Task types a deployment adds, each run by a Lambda function (task functions): type → function name.
# They share one model, tagged FUNCTION_TAG, so adding one needs no schema rebuilt.
FUNCTION_TAG = "io.kite.TaskFunction"
_FUNCTION_TYPES: dict[str, str] = {}


def register_function_types(types: Mapping[str, str]) -> None:
    """Make these task types known, each run by its function (the deployment's configuration)."""
    _FUNCTION_TYPES.update(types)


def function_of(task_type_name: str) -> str | None:
    return _FUNCTION_TYPES.get(task_type_name)


T = TypeVar("T", bound=type[TaskBase])


def task_type(name: str, *aliases: str) -> Callable[[T], T]:
    def register(cls: T) -> T:
        _TYPES[name] = cls
        for alias in aliases:
            _ALIASES[alias] = name
        return cls

    return register


def canonical_type(name: str) -> str:
    return _ALIASES.get(name, name)


def task_class(name: str) -> type[TaskBase] | None:
    return _TYPES.get(canonical_type(name))


@cache
def property_names(name: str) -> frozenset[str] | None:
    """The YAML properties a task of this type accepts, or None when it is not a known task type."""
    cls = task_class(name)
    if cls is None:
        return None
    return frozenset(n for field, info in cls.model_fields.items() for n in (field, info.alias) if n)


def type_names() -> dict[type[TaskBase], list[str]]:
    """Every task class with the names that select it: the Kestra type first, then its legacy aliases."""
    names: dict[type[TaskBase], list[str]] = {cls: [name] for name, cls in sorted(_TYPES.items())}
    for alias, name in sorted(_ALIASES.items()):
        names[_TYPES[name]].append(alias)
    return names


def known_types() -> list[str]:
    return sorted(_TYPES)


def _discriminator(value: Any) -> str | None:
    kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    if not isinstance(kind, str):
        return None
    name = canonical_type(kind)
    if name in _TYPES:
        return name
    return FUNCTION_TAG if name in _FUNCTION_TYPES else None


@cache
def any_task_annotation() -> Any:
    """The tagged union of every registered task class (a recursive schema: flowables contain tasks)."""
    members = tuple(Annotated[cls, Tag(name)] for name, cls in sorted(_TYPES.items()))
    return Annotated[
        Union[members],  # noqa: UP007 - built at runtime from the registry
        Discriminator(
            _discriminator, custom_error_type="unknown_task_type", custom_error_message="unknown type"
        ),
    ]


class TaskRef:
    """Marks a field as "any registered task". Its schema is built with the first flowable's (models defer
    their build), by which time `engine.tasks` has registered every built-in type."""

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return handler.generate_schema(any_task_annotation())


TaskList = list[Annotated[TaskBase, TaskRef]]
