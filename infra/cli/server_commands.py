"""`kite flow push` and `kite run --server`: the same commands against a Kite (or Kestra) server."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from engine.creation.uploads import Upload
from engine.flow.loader import InvalidFlowError
from engine.flow.model import Flow
from engine.model.logs import LogEntry
from engine.model.serde import log_from_json
from engine.model.state import StateType
from infra.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    UsageError,
    flow_files,
    parse_source,
    read_source,
)
from infra.cli.log_tail import LogTail
from infra.cli.progress import Progress
from infra.cli.remote import RemoteError, Server, now, sigv4_signer
from infra.cli.text import printable


def add_server_options(parser: argparse.ArgumentParser, *, required: bool) -> None:
    parser.add_argument("--server", required=required, metavar="URL", help="a Kite or Kestra server")
    parser.add_argument("--user", metavar="USER:PASSWORD", help="Basic credentials for --server")
    parser.add_argument("--token", metavar="TOKEN", help="a bearer token for --server")
    parser.add_argument(
        "--aws-sigv4",
        action="store_true",
        help="sign requests with your AWS credentials (a stack deployed with ApiAuth AWS_IAM)",
    )


def server(args: argparse.Namespace) -> Server:
    if sum(map(bool, (args.user, args.token, args.aws_sigv4))) > 1:
        raise UsageError("give one of --user, --token and --aws-sigv4")
    if args.user and ":" not in args.user:
        raise UsageError("--user must be USER:PASSWORD")
    if args.aws_sigv4 and args.server:
        try:
            return Server(args.server, signer=sigv4_signer(args.server))
        except RemoteError as error:
            raise UsageError(error.message) from None
    return Server(args.server, args.user, args.token)


def push(target: Server, flows: Sequence[tuple[Flow, str]]) -> int:
    """Each namespace's flows in one request: all of a namespace's flows land, or none."""
    by_namespace: dict[str, list[str]] = {}
    for flow, source in flows:
        by_namespace.setdefault(flow.namespace, []).append(source)
    try:
        for namespace, sources in sorted(by_namespace.items()):
            for line in target.push(namespace, sources):
                print(f"kite: pushed {line}", file=sys.stderr)
    except RemoteError as error:
        return _refused(error)
    return EXIT_OK


def run_remote(
    target: Server,
    flow: Flow,
    source: str,
    *,
    inputs: Mapping[str, Any],
    labels: Sequence[tuple[str, str]],
    files: Mapping[str, Upload],
    timeout_s: float,
    min_level: str | None = None,
) -> int:
    """Push the flow, start it with these inputs, and follow it as a local run is followed (with
    `min_level`, its log lines too, as they come)."""
    try:
        target.push(flow.namespace, [source])
        execution = target.start(flow.namespace, flow.id, inputs, labels, files)
        progress = Progress(sys.stderr)

        def read() -> list[LogEntry]:
            return [log_from_json(entry) for entry in target.logs(execution.id)]

        # Every 2 s, as a worker writes a running script's lines: each read is a request to the server.
        tail = LogTail(read, progress.note, min_level, 2.0) if min_level is not None else nullcontext()
        with tail:
            final = target.follow(execution.id, timeout_s, lambda e: progress.update(e, now()))
    except RemoteError as error:
        return _refused(error)
    print(
        f"kite: {final.namespace}.{final.flow_id} {final.id} ended {final.state.current.value}",
        file=sys.stderr,
    )
    return EXIT_OK if final.state.current in (StateType.SUCCESS, StateType.WARNING) else EXIT_FAILED


def _refused(error: RemoteError) -> int:
    for line in str(error).splitlines():
        print(f"kite: {printable(line)}", file=sys.stderr)
    return EXIT_USAGE if error.status in (400, 404, 409, 422) else EXIT_FAILED


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    flow = commands.add_parser("flow", help="manage flows on a server")
    actions = flow.add_subparsers(required=True, metavar="ACTION")
    push_parser = actions.add_parser("push", help="create or update every flow of the folders on --server")
    push_parser.add_argument("paths", nargs="+", type=Path, metavar="DIR")
    add_server_options(push_parser, required=True)

    def command(args: argparse.Namespace) -> int:
        parsed = []
        invalid = False
        for path in flow_files(args.paths):
            try:
                source = read_source(path)
                parsed.append((parse_source(source, str(path)), source))
            except InvalidFlowError as exc:
                invalid = True
                print(exc, file=sys.stderr)
        if invalid:
            return EXIT_USAGE
        return push(server(args), parsed)

    push_parser.set_defaults(command=command)
