"""What the `kite` commands share: exit codes, usage errors, the embedded stack."""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.config import EngineConfig
from engine.flow.loader import decode_source, parse_flow
from engine.flow.model import Flow
from engine.task_api.registry import register_function_types

if TYPE_CHECKING:
    from infra.embedded.local import LocalKite

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_PAUSED = 0, 1, 2, 3
# What the `local` extra installs: the deployed package has neither (decision 0011).
LOCAL_EXTRA = ("moto", "time_machine")


class UsageError(Exception):
    pass


def local_kite(*, fast_forward: bool, schedules: bool = True, functions: Sequence[str] = ()) -> LocalKite:
    """The embedded stack, or a usage error saying how to install it. Without `schedules`, Schedule
    triggers do not fire by themselves (`kite run` runs a flow once). `functions` are `NAME=module:handler`
    stand-ins for Lambda functions."""
    try:
        from infra.embedded.local import LocalKite
    except ModuleNotFoundError as exc:
        if exc.name not in LOCAL_EXTRA:
            raise
        raise UsageError(
            f"this command needs the embedded stack ({exc.name}): pip install 'kite[local]'"
        ) from None
    return LocalKite(fast_forward=fast_forward, schedules=schedules, functions=local_functions(functions))


def local_functions(entries: Sequence[str]) -> dict[str, Any]:
    """`NAME=module:handler` → the handler by name. A NAME with a dot is a task type too (a task function
    a flow calls by its type)."""
    handlers: dict[str, Any] = {}
    if entries and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())  # modules are found from here, as `python -m` finds them
    for entry in entries:
        name, separator, target = entry.partition("=")
        module_name, colon, attribute = target.partition(":")
        if not separator or not name or not colon or not module_name or not attribute:
            raise UsageError(f"--function must be NAME=module:handler, got '{entry}'")
        try:
            handler = getattr(importlib.import_module(module_name), attribute)
        except (ImportError, AttributeError) as exc:
            raise UsageError(f"--function {name}: cannot load {target}: {exc}") from None
        if not callable(handler):
            raise UsageError(f"--function {name}: {target} is not callable")
        handlers[name] = handler
    register_function_types({name: name for name in handlers if "." in name})
    return handlers


def flow_files(paths: Sequence[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
        elif path.is_file():
            files.append(path)
        else:
            raise UsageError(f"no such file or directory: {path}")
    return files


def read_source(path: Path) -> str:
    """A flow file's text: InvalidFlowError when it is not UTF-8, UsageError when it cannot be read."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    return decode_source(data, str(path))


def parse_source(source: str, filename: str) -> Flow:
    """As a deployment would: with the global plugin defaults of the configuration (the environment)."""
    return parse_flow(source, filename, EngineConfig.from_environ(os.environ).plugin_defaults)
