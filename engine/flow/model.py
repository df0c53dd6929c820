"""The Flow model (spec part 1 §1): what a flow's YAML may say."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

from pydantic import Field, model_validator

import engine.tasks  # noqa: F401 - registers every built-in task type before a flow is read
from engine.flow.conditions import FLOW_TRIGGER_TYPES, condition_problems
from engine.flow.schedule import validate_schedule
from engine.flow.trigger_types import unknown_trigger
from engine.task_api import Duration, ExecutableTask, Input, Model, Retry, TaskBase, TaskList
from engine.task_api.definitions import InputType
from engine.task_api.registry import property_names


class FlowOutput(Model):
    id: str = Field(pattern=r"^[a-zA-Z0-9][.a-zA-Z0-9_-]*$")
    type: InputType
    value: Any
    required: bool = True
    description: str | None = None
    display_name: str | None = Field(None, alias="displayName")


class LabelItem(Model):
    key: str
    value: Any


class PluginDefault(Model):
    """Values given to every plugin whose type is `type` or starts with it (spec part 1 §11); a named one
    (`ref`) only to the plugins that ask for it with `pluginDefaultsRef`."""

    type: str = Field(min_length=1)
    values: dict[str, Any]
    forced: bool = False
    ref: str | None = None

    @model_validator(mode="after")
    def _known_properties(self) -> PluginDefault:
        # Only an exact task type can be checked: a prefix covers plugins with different properties.
        names = property_names(self.type)
        unknown = [k for k in self.values if names is not None and k not in names]
        if unknown:
            raise ValueError(", ".join(f"No property '{k}' exists in plugin '{self.type}'" for k in unknown))
        return self


class Concurrency(Model):
    limit: int = Field(ge=1)
    behavior: Literal["QUEUE", "CANCEL", "FAIL"] = "QUEUE"


class Check(Model):
    condition: str = Field(min_length=1)
    message: str
    style: Literal["ERROR", "SUCCESS", "WARNING", "INFO"] = "INFO"
    behavior: Literal["BLOCK_EXECUTION", "FAIL_EXECUTION", "CREATE_EXECUTION"] = "BLOCK_EXECUTION"


class Sla(Model):
    id: str = Field(min_length=1)
    type: Literal["MAX_DURATION", "EXECUTION_ASSERTION"]
    behavior: Literal["FAIL", "CANCEL", "NONE"]
    labels: dict[str, Any] | list[LabelItem] | None = None
    duration: Duration | None = None
    assert_: str | None = Field(None, alias="assert")


class Trigger(Model):
    """A trigger of a type Kite runs; its own properties are checked by its kind when the flow is saved."""

    model_config = Model.model_config | {"extra": "allow"}

    id: str = Field(pattern=r"^[a-zA-Z0-9][a-zA-Z0-9_-]*$")
    type: str
    description: str | None = None
    disabled: bool = False

    @model_validator(mode="after")
    def _checked(self) -> Trigger:
        """A schedule's cron, time zone, dates and recovery, and every trigger's conditions, are checked
        when the flow is saved."""
        properties = dict(self.model_extra or {})
        unknown = unknown_trigger(self.type)
        if unknown is not None:
            raise ValueError(unknown)
        validate_schedule(self.type, properties)
        multiple = self.type in FLOW_TRIGGER_TYPES
        problems = condition_problems(properties.get("conditions"), multiple=multiple)
        if problems:
            raise ValueError("; ".join(problems))
        return self


class Flow(Model):
    id: str = Field(pattern=r"^[a-zA-Z0-9][a-zA-Z0-9._-]*$", min_length=1, max_length=100)
    namespace: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$", min_length=1, max_length=150)
    revision: int | None = Field(None, ge=1)
    description: str | None = None
    labels: dict[str, Any] | list[LabelItem] | None = None
    inputs: list[Input] | None = None
    outputs: list[FlowOutput] | None = None
    variables: dict[str, Any] | None = None
    tasks: TaskList = Field(min_length=1)
    errors: TaskList | None = None
    finally_: TaskList | None = Field(None, alias="finally")
    after_execution: TaskList | None = Field(None, alias="afterExecution")
    triggers: list[Trigger] | None = None
    plugin_defaults: list[PluginDefault] | None = Field(None, alias="pluginDefaults")
    # The deprecated name of `pluginDefaults`, used only when a flow has no `pluginDefaults`.
    task_defaults: list[PluginDefault] | None = Field(None, alias="taskDefaults")
    concurrency: Concurrency | None = None
    sla: list[Sla] | None = None
    checks: list[Check] | None = None
    retry: Retry | None = None
    disabled: bool = False
    deleted: bool = False
    # Accepted and ignored (spec part 1 §1.2).
    listeners: Any = None
    worker_group: Any = Field(None, alias="workerGroup")
    worker_selector: Any = Field(None, alias="workerSelector")
    log_level: Any = Field(None, alias="logLevel")
    log_to_file: Any = Field(None, alias="logToFile")

    @model_validator(mode="after")
    def _unique_ids(self) -> Flow:
        problems = []
        seen: set[str] = set()
        duplicates: list[str] = []
        for task in iter_tasks(self.root_lists()):
            if task.id in seen and task.id not in duplicates:
                duplicates.append(task.id)
            seen.add(task.id)
            if isinstance(task, ExecutableTask) and task.target() == (self.namespace, self.id):
                problems.append(f"Recursive call to flow [{self.namespace}.{self.id}]")
        if duplicates:
            problems.append(f"Duplicate task id with name [{', '.join(duplicates)}]")
        for what, items in (("input", self.inputs), ("output", self.outputs)):
            ids = [item.id for item in items or ()]
            problems += [
                f"Duplicate {what} with name [{i}]" for i in sorted({i for i in ids if ids.count(i) > 1})
            ]
        declared = {item.id for item in self.inputs or ()}
        problems += [
            f"Input with id '{item.id}' depends on a non-existent input '{name}'."
            for item in self.inputs or ()
            if item.depends_on is not None
            for name in item.depends_on.inputs
            if name not in declared
        ]
        triggers = [t.id for t in self.triggers or ()]
        problems += [
            f"Duplicate trigger id with name [{i}]"
            for i in sorted({i for i in triggers if triggers.count(i) > 1})
        ]
        if problems:
            raise ValueError(", ".join(problems))
        return self

    def root_lists(self) -> Iterator[tuple[str, list[TaskBase]]]:
        yield "tasks", self.tasks
        for name, tasks in (
            ("errors", self.errors),
            ("finally", self.finally_),
            ("afterExecution", self.after_execution),
        ):
            if tasks:
                yield name, tasks

    def label_pairs(self) -> list[tuple[str, str]]:
        return label_pairs(self.labels)


def label_pairs(labels: dict[str, Any] | list[LabelItem] | None) -> list[tuple[str, str]]:
    """Map and list forms alike; values are coerced to strings the way Kestra prints them."""
    if labels is None:
        return []
    items = labels.items() if isinstance(labels, dict) else ((x.key, x.value) for x in labels)
    return [(str(k), _label_text(v)) for k, v in items]


def _label_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def iter_tasks(lists: Iterator[tuple[str, list[TaskBase]]]) -> Iterator[TaskBase]:
    for _, tasks in lists:
        for task in tasks:
            yield task
            yield from iter_tasks(task.child_lists())
