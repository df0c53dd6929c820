"""What the `kite` commands share: exit codes, usage errors, the embedded stack."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from engine.config import EngineConfig
from engine.flow.loader import decode_source, parse_flow
from engine.flow.model import Flow

if TYPE_CHECKING:
    from infra.embedded.local import LocalKite

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_PAUSED = 0, 1, 2, 3
# What the `local` extra installs: the deployed package has neither (decision 0011).
LOCAL_EXTRA = ("moto", "time_machine")


class UsageError(Exception):
    pass


def local_kite(*, fast_forward: bool, schedules: bool = True) -> LocalKite:
    """The embedded stack, or a usage error saying how to install it. Without `schedules`, Schedule
    triggers do not fire by themselves (`kite run` runs a flow once)."""
    try:
        from infra.embedded.local import LocalKite
    except ModuleNotFoundError as exc:
        if exc.name not in LOCAL_EXTRA:
            raise
        raise UsageError(
            f"this command needs the embedded stack ({exc.name}): pip install 'kite[local]'"
        ) from None
    return LocalKite(fast_forward=fast_forward, schedules=schedules)


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
