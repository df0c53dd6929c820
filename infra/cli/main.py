"""The `kite` command (design §6): validate and run flows on the embedded stack."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.config import ConfigError
from engine.creation.inputs import InvalidInputsError
from engine.creation.uploads import Upload
from engine.flow.loader import InvalidFlowError
from engine.flow.schema import flow_json_schema
from engine.model.execution import Execution
from engine.model.labels import InvalidLabelError
from engine.model.logs import LEVELS, LogEntry
from engine.model.serde import execution_to_json, strict_json
from engine.model.state import StateType
from engine.resources import NotFoundError
from engine.services.executions import ExecutionBlockedError, FlowDisabledError
from infra.cli import schedule, serve, server_commands
from infra.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_PAUSED,
    EXIT_USAGE,
    UsageError,
    flow_files,
    local_kite,
    parse_source,
    read_source,
)
from infra.cli.text import printable

if TYPE_CHECKING:
    from infra.cli.progress import Progress
    from infra.embedded.local import LocalKite


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.command(args)
    except (UsageError, ConfigError) as exc:
        print(f"kite: {printable(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    return code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kite", description="Kestra flows, run serverless on AWS.")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    validate = commands.add_parser("validate", help="check flow files; print file:line:col: path: message")
    validate.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    validate.set_defaults(command=_validate)

    schema = commands.add_parser("schema", help="print the JSON Schema of the flow format (for editors)")
    schema.set_defaults(command=_schema)

    run = commands.add_parser("run", help="run a flow on the embedded stack (moto, in-process)")
    run.add_argument("flow", type=Path, metavar="FLOW.yaml")
    run.add_argument(
        "--flows", action="append", type=Path, default=[], metavar="DIR", help="load every flow in DIR"
    )
    run.add_argument("--input", action="append", default=[], metavar="KEY=VALUE")
    run.add_argument("--inputs", type=Path, metavar="FILE.json", help="inputs as a JSON object")
    run.add_argument(
        "--file", action="append", default=[], metavar="KEY=PATH", help="upload a local file for a FILE input"
    )
    run.add_argument("--label", action="append", default=[], metavar="KEY=VALUE")
    run.add_argument(
        "--namespace-files",
        type=Path,
        metavar="DIR",
        help="store DIR's files as namespace files of the flow's namespace (read(), fileURI())",
    )
    run.add_argument("--fast-forward", action="store_true", help="jump over waits (virtual clock)")
    run.add_argument(
        "--function",
        action="append",
        default=[],
        metavar="NAME=module:handler",
        help="run a Lambda function here (aws.lambda.Invoke, or a task function when NAME is a task type)",
    )
    run.add_argument("--json", action="store_true", help="print the final execution as JSON on stdout")
    run.add_argument("--stats", action="store_true", help="print the AWS requests made and their cost")
    run.add_argument(
        "--logs",
        nargs="?",
        const="INFO",
        choices=LEVELS,
        metavar="LEVEL",
        help="print the execution's log lines of LEVEL and above (INFO when no LEVEL is given)",
    )
    run.add_argument("--timeout", type=float, default=3600.0, help="give up after this many seconds")
    server_commands.add_server_options(run, required=False)
    run.set_defaults(command=_run)
    serve.add_parser(commands)
    server_commands.add_parser(commands)
    schedule.add_parser(commands)
    return parser


def _schema(args: argparse.Namespace) -> int:
    print(json.dumps(flow_json_schema(), indent=2, sort_keys=True))
    return 0


def _validate(args: argparse.Namespace) -> int:
    invalid = False
    for path in flow_files(args.paths):
        try:
            parse_source(read_source(path), str(path))
        except InvalidFlowError as exc:
            invalid = True
            for problem in exc.problems:
                print(problem)
    return EXIT_FAILED if invalid else EXIT_OK


def _pairs(items: Sequence[str], what: str) -> list[tuple[str, str]]:
    pairs = []
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"{what} must be KEY=VALUE, got '{item}'")
        pairs.append((key, value))
    return pairs


def _inputs(args: argparse.Namespace) -> dict[str, Any]:
    inputs: dict[str, Any] = {}
    if args.inputs is not None:
        try:
            loaded = json.loads(args.inputs.read_text())
        except (OSError, ValueError) as exc:
            raise UsageError(f"cannot read inputs from {args.inputs}: {exc}") from None
        if not isinstance(loaded, dict):
            raise UsageError(f"{args.inputs} must hold a JSON object")
        inputs.update(loaded)
    inputs.update(_pairs(args.input, "--input"))
    return inputs


def _files(args: argparse.Namespace) -> dict[str, Upload]:
    files = {}
    for key, value in _pairs(args.file, "--file"):
        path = Path(value)
        try:
            files[key] = Upload(path.name, path.read_bytes())
        except OSError as exc:
            raise UsageError(f"cannot read --file {key}={value}: {exc.strerror}") from None
    return files


def _run(args: argparse.Namespace) -> int:
    from infra.cli.progress import Progress
    from infra.cli.report import print_stats, print_summary

    if not args.flow.is_file():
        raise UsageError(f"no such file: {args.flow}")
    try:
        source = read_source(args.flow)
        flow = parse_source(source, str(args.flow))
    except InvalidFlowError as exc:
        print(exc, file=sys.stderr)
        return EXIT_USAGE
    inputs, files, labels = _inputs(args), _files(args), _pairs(args.label, "--label")
    if args.server:
        if (
            args.flows
            or args.namespace_files
            or args.fast_forward
            or args.json
            or args.stats
            or args.function
        ):
            raise UsageError(
                "--server runs FLOW.yaml with --input, --inputs, --file, --label and --logs only"
            )
        target = server_commands.server(args)
        return server_commands.run_remote(
            target,
            flow,
            source,
            inputs=inputs,
            labels=labels,
            files=files,
            timeout_s=args.timeout,
            min_level=args.logs,
        )
    if args.namespace_files is not None and not args.namespace_files.is_dir():
        raise UsageError(f"--namespace-files needs a directory: {args.namespace_files}")

    with local_kite(fast_forward=args.fast_forward, schedules=False, functions=args.function) as kite:
        try:
            for directory in args.flows:
                if not directory.is_dir():
                    raise UsageError(f"--flows needs a directory: {directory}")
                kite.deploy_dir(directory)
            kite.deploy(source, str(args.flow))
            if args.namespace_files is not None:
                kite.upload_namespace_files(flow.namespace, args.namespace_files)
            assert kite.stack is not None
            kite.stack.stats.reset()
            kite.invocations = 0
            execution = kite.start_execution(flow.namespace, flow.id, inputs, labels, files)
        except InvalidFlowError as exc:
            print(exc, file=sys.stderr)
            return EXIT_USAGE
        except InvalidInputsError as exc:
            for line in str(exc).splitlines():
                print(f"kite: {printable(line)}", file=sys.stderr)
            return EXIT_USAGE
        except (InvalidLabelError, FlowDisabledError, ExecutionBlockedError, NotFoundError) as exc:
            print(f"kite: {printable(str(exc))}", file=sys.stderr)
            return EXIT_USAGE
        progress = Progress(sys.stderr)
        with _log_tail(kite, execution.id, progress, args.logs):
            final = _watch(kite, execution.id, args.timeout, progress)
        print_summary(final, kite.services.executions.logs(final.id), sys.stderr)
        if args.stats:
            print_stats(kite.stack.stats.snapshot(), final, sys.stderr, kite.invocations)
    if args.json:
        print(json.dumps(strict_json(execution_to_json(final)), indent=2))
    if final.state.current == StateType.PAUSED:
        return EXIT_PAUSED
    if not final.state.current.terminated:
        return EXIT_FAILED
    return EXIT_OK if final.state.current in (StateType.SUCCESS, StateType.WARNING) else EXIT_FAILED


def _log_tail(
    kite: LocalKite, execution_id: str, progress: Progress, min_level: str | None
) -> AbstractContextManager[object]:
    """With `--logs`, the execution's lines as they come, above the progress."""
    from infra.cli.log_tail import LogTail

    if min_level is None:
        return nullcontext()
    stack = kite.stack
    assert stack is not None

    def read() -> list[LogEntry]:
        with stack.stats.paused():  # what the tail reads is not the pipeline's cost (`--stats`)
            return kite.services.executions.logs(execution_id)

    return LogTail(read, progress.note, min_level)


def _watch(kite: LocalKite, execution_id: str, timeout_s: float, progress: Progress) -> Execution:
    """Until the execution ends, or pauses with nothing to resume it: then, from a terminal, it may be
    resumed here and watched again. Past `timeout_s` (wall clock), it is left as it is, with a message."""
    from infra.cli import paused
    from infra.embedded.pump import PumpTimeoutError

    deadline = time.monotonic() + timeout_s
    while True:
        try:
            final = kite.wait(
                execution_id,
                max(deadline - time.monotonic(), 0.0),
                lambda e: progress.update(e, kite.clock.now()),
                until_paused=True,
            )
        except PumpTimeoutError:
            final = kite.services.executions.get(execution_id)
            progress.update(final, kite.clock.now())
            state = final.state.current.value
            print(
                f"\nkite: gave up after {timeout_s:g} s (--timeout): the execution is {state}",
                file=sys.stderr,
            )
            return final
        progress.update(final, kite.clock.now())
        if final.state.current != StateType.PAUSED:
            return final
        inputs = paused.describe(kite.services, final, sys.stderr)
        if not sys.stdin.isatty() or not paused.offer_resume(kite.services, final, inputs, input, sys.stderr):
            return final


if __name__ == "__main__":
    sys.exit(main())
