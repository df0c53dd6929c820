"""Kestra/Pebble functions (§15.5). I/O goes through the optional ``RenderServices`` hooks."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from engine.expressions import date_format, dates
from engine.expressions.calendar_functions import (
    fn_day_of_month,
    fn_day_of_week,
    fn_hour_of_day,
    fn_is_date_after,
    fn_is_date_before,
    fn_is_date_between,
    fn_is_day_week_in_month,
    fn_is_last_working_day,
    fn_is_public_holiday,
    fn_is_weekend,
    fn_month_of_year,
)
from engine.expressions.crypto import fn_decrypt, fn_encrypt
from engine.expressions.errors import EvalError
from engine.expressions.http_function import fn_http
from engine.expressions.ion import fn_from_ion
from engine.expressions.operators import compare, make_range
from engine.expressions.state import RenderState, service_hook
from engine.expressions.values import JavaLong, is_number, java_string
from engine.model.yaml_text import YamlError, load_yaml_text

Function = Callable[..., Any]

MAX_RENDER_PASSES = 100
MAX_RENDER_DEPTH = 16
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def fn_now(
    state: RenderState,
    format: Any = None,
    timeZone: Any = None,
    existingFormat: Any = None,
    locale: Any = None,
) -> str:
    now = service_hook(state, "now", "now")()
    if not isinstance(now, datetime):
        raise EvalError("Function [now]: the clock service returned an invalid value")
    zone = dates.zone_of(None if timeZone is None else java_string(timeZone))
    moment = dates.to_datetime(now, zone)
    return date_format.format_datetime(
        moment, "iso" if format is None else java_string(format), zone, timeZone is not None
    )


def fn_from_json(state: RenderState, json_text: Any = None) -> Any:
    if json_text is None:
        return None
    if not isinstance(json_text, str):
        raise EvalError("Function [fromJson] expects a string")
    state.budget.check_size(len(json_text))
    try:
        return json.loads(json_text)
    except (ValueError, RecursionError) as exc:
        raise EvalError(f"Function [fromJson]: invalid JSON: {exc}") from exc


def fn_yaml(state: RenderState, yaml_text: Any = None) -> Any:
    if yaml_text is None:
        return None
    if not isinstance(yaml_text, str):
        raise EvalError("Function [yaml] expects a string")
    try:
        return load_yaml_text(yaml_text)
    except (YamlError, RecursionError) as exc:
        raise EvalError(f"Function [yaml]: invalid YAML: {exc}") from exc


def fn_render(state: RenderState, toRender: Any = None, recursive: Any = True) -> Any:
    if toRender is None:
        return None
    if state.budget.depth >= MAX_RENDER_DEPTH:
        raise EvalError("Too many nested render() calls")
    state.budget.depth += 1
    try:
        if not isinstance(toRender, str):
            return state.render_value(toRender, state)
        current = toRender
        if recursive is False:
            return state.rerender(current, state)
        for _ in range(MAX_RENDER_PASSES):
            rendered = state.rerender(current, state)
            if rendered == current:
                return rendered
            current = rendered
        raise EvalError("Too many rendering attempts")
    finally:
        state.budget.depth -= 1


def fn_render_once(state: RenderState, toRender: Any = None) -> Any:
    return fn_render(state, toRender, False)


def fn_print_context(state: RenderState) -> Any:
    return state.context


def fn_range(state: RenderState, start: Any, end: Any, step: Any = 1) -> list[Any]:
    return make_range(state, start, end, step)


def _extreme(name: str, values: tuple[Any, ...], sign: int) -> Any:
    if not values:
        raise EvalError(f"Function [{name}] expects at least one argument")
    best = values[0]
    for value in values[1:]:
        if not is_number(value) or not is_number(best):
            raise EvalError(f"Function [{name}] expects numbers")
        if compare(value, best, name) * sign > 0:
            best = value
    return best


def fn_max(state: RenderState, *values: Any) -> Any:
    return _extreme("max", values, 1)


def fn_min(state: RenderState, *values: Any) -> Any:
    return _extreme("min", values, -1)


def fn_uuid(state: RenderState) -> str:
    """A random (version 4) UUID, base62-encoded on 22 characters like Kestra's ``IdUtils.create()``."""
    hook = getattr(state.services, "uuid", None) if state.services is not None else None
    if not callable(hook):
        raise EvalError("Function [uuid] needs an id generator, which this render has none of")
    return str(hook())


def fn_random_int(state: RenderState, lower: Any, upper: Any) -> Any:
    if not isinstance(lower, int) or not isinstance(upper, int) or isinstance(lower, bool) or upper <= lower:
        raise EvalError("Function [randomInt] expects integers with lower < upper")
    hook = getattr(state.services, "random_below", None) if state.services is not None else None
    if not callable(hook):
        raise EvalError("Function [randomInt] needs a source of randomness, which this render has none of")
    return JavaLong(lower + int(hook(upper - lower)))


def fn_random_port(state: RenderState) -> Any:
    """Kestra returns a port free on the worker's host; a Lambda has no port to offer, so this is a
    random port of the ephemeral range (49152-65535), which is what flows use it for."""
    return fn_random_int(state, JavaLong(49152), JavaLong(65536))


def fn_current_each_output(state: RenderState, outputs: Any = None) -> Any:
    if not isinstance(outputs, Mapping):
        raise EvalError("The 'currentEachOutput' function expects an argument 'outputs' with type map.")
    current: Any = outputs
    parents = state.context.get("parents")
    if isinstance(parents, list | tuple):
        for parent in reversed(parents):
            taskrun = parent.get("taskrun") if isinstance(parent, Mapping) else None
            if isinstance(taskrun, Mapping):
                value = taskrun.get("value")
                nested = current.get(value) if isinstance(current, Mapping) and value is not None else None
                if nested is None:
                    raise EvalError("No execution outputs for the current task runs path")
                current = nested
    taskrun = state.context.get("taskrun")
    value = taskrun.get("value") if isinstance(taskrun, Mapping) else None
    if not isinstance(current, Mapping):
        raise EvalError("No execution outputs for the current task runs path")
    return current.get(value) if value is not None else None


def fn_tasks_with_state(state: RenderState, state_name: Any = None) -> list[Any]:
    wanted = java_string(state_name).upper()
    tasks = state.context.get("tasks")
    result: list[Any] = []
    if not isinstance(tasks, Mapping):
        return result
    for task_id, info in tasks.items():
        if not isinstance(info, Mapping):
            continue
        if "state" in info and not isinstance(info["state"], Mapping):
            if java_string(info["state"]).upper() == wanted:
                result.append({"taskId": task_id, "state": info["state"]})
            continue
        for value, nested in info.items():
            if isinstance(nested, Mapping) and java_string(nested.get("state")).upper() == wanted:
                result.append({"taskId": task_id, "value": value, "state": nested.get("state")})
    return result


def fn_secret(state: RenderState, key: Any = None) -> Any:
    return service_hook(state, "secret", "secret")(java_string(key))


def fn_kv(state: RenderState, key: Any = None, namespace: Any = None, errorOnMissing: Any = True) -> Any:
    name = java_string(key)
    where = None if namespace is None else java_string(namespace)
    found, value = service_hook(state, "kv", "kv")(name, where)
    if not found and errorOnMissing is not False:
        wording = where or (state.context.get("flow") or {}).get("namespace")
        raise EvalError(f"The key '{name}' does not exist in the namespace '{wording}'.")
    return value


def fn_read(state: RenderState, path: Any = None) -> Any:
    return service_hook(state, "read", "read")(java_string(path))


def fn_error_logs(state: RenderState) -> Any:
    return service_hook(state, "error_logs", "errorLogs")()


def _file_hook(hook: str, function: str) -> Function:
    def _apply(state: RenderState, path: Any = None) -> Any:
        return service_hook(state, hook, function)(java_string(path))

    return _apply


FUNCTIONS: dict[str, Function] = {
    "currentEachOutput": fn_current_each_output,
    "dayOfMonth": fn_day_of_month,
    "dayOfWeek": fn_day_of_week,
    "decrypt": fn_decrypt,
    "encrypt": fn_encrypt,
    "errorLogs": fn_error_logs,
    "fetchContext": fn_print_context,
    "fileExists": _file_hook("file_exists", "fileExists"),
    "fileSize": _file_hook("file_size", "fileSize"),
    "fileURI": _file_hook("file_uri", "fileURI"),
    "fileEmpty": _file_hook("file_empty", "fileEmpty"),
    "isFileEmpty": _file_hook("file_empty", "isFileEmpty"),
    "fromIon": fn_from_ion,
    "fromJson": fn_from_json,
    "http": fn_http,
    "hourOfDay": fn_hour_of_day,
    "id": fn_uuid,
    "isDateAfter": fn_is_date_after,
    "isDateBefore": fn_is_date_before,
    "isDateBetween": fn_is_date_between,
    "isDayWeekInMonth": fn_is_day_week_in_month,
    "isLastWorkingDay": fn_is_last_working_day,
    "isPublicHoliday": fn_is_public_holiday,
    "isWeekend": fn_is_weekend,
    "json": fn_from_json,
    "kv": fn_kv,
    "max": fn_max,
    "min": fn_min,
    "monthOfYear": fn_month_of_year,
    "now": fn_now,
    "printContext": fn_print_context,
    "randomInt": fn_random_int,
    "randomPort": fn_random_port,
    "range": fn_range,
    "read": fn_read,
    "render": fn_render,
    "renderOnce": fn_render_once,
    "secret": fn_secret,
    "tasksWithState": fn_tasks_with_state,
    "uuid": fn_uuid,
    "yaml": fn_yaml,
}
