"""The task registry: Kestra type name (and legacy aliases, spec part 1 §2.7) → task class.

A task type registers itself with `@task_type(...)` when its module is imported. The built-in ones are
imported on first use: `engine.tasks` gives a catalog of which module holds each name, so a cold start
loads (and builds the validators of) only the task types its flows use (issue 12: Lambda bills INIT).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from functools import cache
from typing import Annotated, Any, TypeVar

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler, ValidationError
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import ErrorDetails, PydanticCustomError, core_schema

from engine.task_api.task import TaskBase

_TYPES: dict[str, type[TaskBase]] = {}
_ALIASES: dict[str, str] = {}
# Every name a built-in module registers: name (or legacy alias) → module.
_CATALOG: dict[str, str] = {}
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


def register_catalog(modules: Mapping[str, str]) -> None:
    """Task types (and aliases) to import on first use: name → the module that registers it."""
    _CATALOG.update(modules)


def _load(name: str) -> None:
    # Python's import lock makes a second thread wait for a module another one is importing (`kite serve`
    # reads flows on two threads), so the name is registered once this returns.
    module = _CATALOG.get(name)
    if module is not None and name not in _TYPES and name not in _ALIASES:
        importlib.import_module(module)


def _load_all() -> None:
    for module in sorted(set(_CATALOG.values())):
        importlib.import_module(module)


def canonical_type(name: str) -> str:
    _load(name)
    return _ALIASES.get(name, name)


def task_class(name: str) -> type[TaskBase] | None:
    return _TYPES.get(canonical_type(name))


def registered_modules() -> dict[str, str]:
    """Every task type and alias with the module that registers it (what a catalog lists)."""
    _load_all()
    modules = {name: cls.__module__ for name, cls in _TYPES.items()}
    return {**modules, **{alias: modules[name] for alias, name in _ALIASES.items()}}


@cache
def property_names(name: str) -> frozenset[str] | None:
    """The YAML properties a task of this type accepts, or None when it is not a known task type."""
    cls = task_class(name)
    if cls is None:
        return None
    return frozenset(n for field, info in cls.model_fields.items() for n in (field, info.alias) if n)


def type_names() -> dict[type[TaskBase], list[str]]:
    """Every task class with the names that select it: the Kestra type first, then its legacy aliases."""
    _load_all()
    names: dict[type[TaskBase], list[str]] = {cls: [name] for name, cls in sorted(_TYPES.items())}
    for alias, name in sorted(_ALIASES.items()):
        names[_TYPES[name]].append(alias)
    return names


def known_types() -> list[str]:
    _load_all()
    return sorted(_TYPES)


def _discriminator(value: Any) -> str | None:
    kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    if not isinstance(kind, str):
        return None
    name = canonical_type(kind)
    if name in _TYPES:
        return name
    return FUNCTION_TAG if name in _FUNCTION_TYPES else None


def _validate_task(value: Any, info: core_schema.ValidationInfo) -> TaskBase:
    name = _discriminator(value)
    cls = task_class(name) if name is not None else None
    if cls is None:
        raise PydanticCustomError("unknown_task_type", "unknown type")
    if isinstance(value, cls):
        return value
    try:
        return cls.model_validate(value, context=info.context)
    except ValidationError as exc:
        # Carried whole, so that `task_errors` gives each problem its full path in the flow.
        raise PydanticCustomError(
            TASK_ERRORS, "invalid task", {"errors": exc.errors(include_url=False)}
        ) from None


TASK_ERRORS = "task_errors"
# Where the JSON Schema of the flow (`engine.flow.schema`) defines "any task".
TASK_SCHEMA_REF = "#/$defs/Task"


def task_errors(exc: ValidationError) -> list[ErrorDetails]:
    """The errors of a validation that read tasks, each task's own problems at their place under it."""

    def flat(errors: list[ErrorDetails], prefix: tuple[str | int, ...]) -> list[ErrorDetails]:
        found: list[ErrorDetails] = []
        for error in errors:
            loc = (*prefix, *error["loc"])
            if error["type"] == TASK_ERRORS:
                found.extend(flat(error.get("ctx", {})["errors"], loc))
            else:
                found.append({**error, "loc": loc})
        return found

    return flat(exc.errors(include_url=False), ())


class TaskRef:
    """Marks a field as "any registered task": read by the class its `type` names, imported on first use,
    so no schema is built for the task types a flow does not use."""

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.with_info_plain_validator_function(_validate_task)

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"allOf": [{"$ref": TASK_SCHEMA_REF}]}


TaskList = list[Annotated[TaskBase, TaskRef]]
