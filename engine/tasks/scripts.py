"""Kestra's script tasks run as processes of the worker (the Process task runner): `shell.Commands`,
`shell.Script`, `python.Commands`, `python.Script`.

A script talks back through Kestra's output protocol, one line each: `::{"outputs": {...}}::` (its
`vars`), `::{"metrics": [...]}::`, `::{"logs": [{"level", "message"}]}::`; the `kestra` package's
`Kestra.outputs(...)` prints the first. Other lines are logged, stdout at INFO and stderr at WARN (and, with
`warningOnStdErr`, the task ends WARNING). Exit code not 0: FAILED.
"""

from __future__ import annotations

import json
from abc import abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import Field, model_validator

from engine.model.durations import parse_duration
from engine.task_api import RunContext, RunnableTask, TaskFailedError, task_type
from engine.tasks.properties import render_bool
from engine.tasks.task_files import NamespaceFiles, input_files, namespace_files

PROCESS_RUNNER = "io.kestra.plugin.core.runner.Process"
PROCESS_RUNNERS = frozenset({PROCESS_RUNNER, "io.kestra.plugin.scripts.runner.Process"})
# A worker's attempt is claimed for 15 minutes (decision 0012): a script is stopped well before.
MAX_SECONDS = 13 * 60
SCRIPT_FILE = "script"


class ScriptTask(RunnableTask):
    """What the script tasks share: the process, its files, the output protocol."""

    default_interpreter: ClassVar[tuple[str, ...]] = ("/bin/sh", "-c")

    before_commands: list[str] | None = Field(None, alias="beforeCommands")
    interpreter: list[str] | None = None
    env: dict[str, Any] | None = None
    input_files: dict[str, str] | str | None = Field(None, alias="inputFiles")
    output_files: list[str] | None = Field(None, alias="outputFiles")
    namespace_files: NamespaceFiles | None = Field(None, alias="namespaceFiles")
    warning_on_std_err: bool | str = Field(True, alias="warningOnStdErr")
    fail_fast: bool = Field(True, alias="failFast")
    task_runner: dict[str, Any] | None = Field(None, alias="taskRunner")
    container_image: str | None = Field(None, alias="containerImage")
    runner: str | None = None  # deprecated: PROCESS or DOCKER
    target_os: str | None = Field(None, alias="targetOS")

    @model_validator(mode="after")
    def _runs_as_a_process(self) -> ScriptTask:
        """Kite runs scripts as processes of its worker; a container it cannot provide is an error here,
        not a surprise later."""
        kind = (self.task_runner or {}).get("type")
        if self.task_runner is not None and kind not in PROCESS_RUNNERS:
            raise ValueError(
                f"taskRunner {kind} is not supported: Kite runs scripts as processes of its worker "
                f"(taskRunner type {PROCESS_RUNNER})"
            )
        if self.runner is not None and self.runner != "PROCESS":
            raise ValueError(
                f"runner {self.runner} is not supported: Kite runs scripts as processes (PROCESS)"
            )
        if self.container_image is not None and self.task_runner is None and self.runner is None:
            raise ValueError(
                "containerImage needs a container, which Kite does not run: remove it, or say "
                f"taskRunner: {{type: {PROCESS_RUNNER}}} (the image is then ignored, as in Kestra)"
            )
        return self

    @abstractmethod
    def script_lines(self, ctx: RunContext) -> list[str]:
        """What the interpreter runs, after `beforeCommands`."""

    def extra_files(self, ctx: RunContext) -> dict[str, bytes]:
        return {}

    def run(self, ctx: RunContext) -> Mapping[str, Any] | None:
        files = {
            **namespace_files(ctx, self.namespace_files),
            **input_files(ctx, self.input_files),
            **self.extra_files(ctx),
        }
        lines = [ctx.render(line, "beforeCommands") for line in self.before_commands or ()]
        lines += self.script_lines(ctx)
        if self.fail_fast and self.is_shell():
            lines.insert(0, "set -e")
        interpreter = [
            ctx.render(part, "interpreter") for part in self.interpreter or self.default_interpreter
        ]
        env = {str(k): ctx.render(str(v), f"env.{k}") for k, v in (self.env or {}).items()}
        outputs = [ctx.render(pattern, "outputFiles") for pattern in self.output_files or ()]
        variables: dict[str, Any] = {}

        def heard(stream: str, line: str) -> None:
            variables.update(_read(ctx, line, "WARN" if stream == "stderr" else "INFO"))

        result = ctx.run_process(
            [*interpreter, "\n".join(lines)],
            env=env,
            files=files,
            outputs=outputs,
            timeout=self._seconds(ctx),
            on_line=heard,
        )
        if result.timed_out:
            raise TaskFailedError(f"Command timed out after {self._seconds(ctx):g} seconds")
        if result.exit_code != 0:
            raise TaskFailedError(f"Command failed with exit code {result.exit_code}")
        if result.stderr and render_bool(ctx, self.warning_on_std_err, "warningOnStdErr"):
            ctx.warn()
        produced: dict[str, Any] = {"exitCode": result.exit_code, "vars": variables}
        if result.files:
            produced["outputFiles"] = {name: ctx.put_file(name, data) for name, data in result.files.items()}
        return produced

    def is_shell(self) -> bool:
        interpreter = self.interpreter or self.default_interpreter
        return bool(interpreter) and interpreter[0].rsplit("/", 1)[-1] in ("sh", "bash", "zsh", "dash")

    def _seconds(self, ctx: RunContext) -> float:
        if self.timeout is None:
            return MAX_SECONDS
        return min(parse_duration(ctx.render(self.timeout, "timeout")).total_seconds(), MAX_SECONDS)


def _read(ctx: RunContext, line: str, level: str) -> dict[str, Any]:
    """Log the line, as it comes; what the output protocol says goes where it says. The `vars` it gives."""
    message = _protocol(line)
    if message is None:
        ctx.log(level, line)
        return {}
    for entry in message.get("logs") or ():
        if isinstance(entry, dict):
            ctx.log(str(entry.get("level") or "INFO").upper(), str(entry.get("message", "")))
    outputs = message.get("outputs")
    return dict(outputs) if isinstance(outputs, dict) else {}


def _protocol(line: str) -> dict[str, Any] | None:
    stripped = line.strip()
    if not (stripped.startswith("::{") and stripped.endswith("}::")):
        return None
    try:
        message = json.loads(stripped[2:-2])
    except ValueError:
        return None
    return message if isinstance(message, dict) else None


@task_type("io.kestra.plugin.scripts.shell.Commands", "io.kestra.core.tasks.scripts.Bash")
class ShellCommands(ScriptTask):
    commands: list[str] = Field(min_length=1)

    def script_lines(self, ctx: RunContext) -> list[str]:
        return [ctx.render(command, "commands") for command in self.commands]


@task_type("io.kestra.plugin.scripts.shell.Script")
class ShellScript(ScriptTask):
    script: str

    def script_lines(self, ctx: RunContext) -> list[str]:
        return [ctx.render(self.script, "script")]


@task_type("io.kestra.plugin.scripts.python.Commands")
class PythonCommands(ScriptTask):
    commands: list[str] = Field(min_length=1)

    def script_lines(self, ctx: RunContext) -> list[str]:
        return [ctx.render(command, "commands") for command in self.commands]


@task_type("io.kestra.plugin.scripts.python.Script", "io.kestra.core.tasks.scripts.Python")
class PythonScript(ScriptTask):
    """The script goes to a file the shell hands to `python3` (after `beforeCommands`, a pip install say)."""

    script: str

    def extra_files(self, ctx: RunContext) -> dict[str, bytes]:
        return {f"{SCRIPT_FILE}.py": ctx.render(self.script, "script").encode()}

    def script_lines(self, ctx: RunContext) -> list[str]:
        return [f"python3 {SCRIPT_FILE}.py"]
