"""The YAML objects that task types and flows share: the base model and the retry, cache and input
definitions (a Pause's `onResume` inputs are declared like a flow's)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AliasChoices, BaseModel, ConfigDict, Field

from engine.model.durations import parse_duration


def _duration(text: str) -> str:
    """An ISO-8601 duration, not negative, checked when the flow is read unless it is an expression
    (rendered, then checked, when the task runs)."""
    if "{{" in text or "{%" in text:
        return text
    if parse_duration(text).total_seconds() < 0:
        raise ValueError(f"'{text}' is a negative duration")
    return text


# A duration property: `PT5M`, `P1D`, or an expression giving one.
Duration = Annotated[str, AfterValidator(_duration)]


class Model(BaseModel):
    """Flow YAML objects: unknown properties are errors, values are frozen, YAML keeps Kestra's names."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True)


class Retry(Model):
    type: Literal["constant", "exponential", "random"]
    behavior: Literal["RETRY_FAILED_TASK", "CREATE_NEW_EXECUTION"] = "RETRY_FAILED_TASK"
    max_attempts: int | None = Field(None, alias="maxAttempts", ge=1)
    max_attempt: int | None = Field(None, alias="maxAttempt", ge=1)
    max_duration: Duration | None = Field(None, alias="maxDuration")
    warning_on_retry: bool = Field(False, alias="warningOnRetry")
    interval: Duration | None = None
    max_interval: Duration | None = Field(None, alias="maxInterval")
    min_interval: Duration | None = Field(None, alias="minInterval")
    delay_factor: float | None = Field(None, alias="delayFactor")


class TaskCache(Model):
    enabled: bool
    ttl: Duration | None = None


InputType = Literal[
    "STRING",
    "ENUM",
    "SELECT",
    "MULTISELECT",
    "INT",
    "FLOAT",
    "BOOLEAN",
    "BOOL",
    "DATETIME",
    "DATE",
    "TIME",
    "DURATION",
    "FILE",
    "JSON",
    "YAML",
    "URI",
    "SECRET",
    "ARRAY",
    "EMAIL",
]


class DependsOn(Model):
    inputs: list[str] = Field(default_factory=list)
    condition: str | None = None


class Input(Model):
    # `name` is the deprecated spelling of `id`.
    id: str = Field(pattern=r"^[a-zA-Z0-9][.a-zA-Z0-9_-]*$", validation_alias=AliasChoices("id", "name"))
    type: InputType
    required: bool = True
    defaults: Any = None
    prefill: Any = None
    display_name: str | None = Field(None, alias="displayName", max_length=64)
    description: str | None = None
    depends_on: DependsOn | None = Field(None, alias="dependsOn")
    validator: str | None = None
    min: Any = None
    max: Any = None
    values: list[Any] | None = None
    options: list[Any] | None = None
    expression: str | None = None
    allow_custom_value: bool = Field(False, alias="allowCustomValue")
    is_radio: bool = Field(False, alias="isRadio")
    auto_select_first: bool = Field(False, alias="autoSelectFirst")
    item_type: InputType | None = Field(None, alias="itemType")
    after: Any = None
    before: Any = None
    allowed_file_extensions: list[str] | None = Field(None, alias="allowedFileExtensions")
    extension: str | None = None
