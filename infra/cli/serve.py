"""`kite serve`: the REST API on the embedded stack, until Ctrl-C (design §6)."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

import botocore.session
from botocore.credentials import Credentials

from functions.api import auth
from infra.cli.common import EXIT_OK, UsageError, local_kite
from infra.cli.flow_watch import FlowWatch

if TYPE_CHECKING:
    from infra.embedded.api_gateway import SignatureCheck

# template.yaml's parameter choosing how the API's routes are authorized.
API_AUTH_PARAMETER = "ApiAuth"


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = commands.add_parser("serve", help="serve the REST API on the embedded stack until stopped")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (loopback by default)")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument(
        "--flows", action="append", type=Path, default=[], metavar="DIR", help="deploy every flow in DIR"
    )
    serve.add_argument("--auth", metavar="USER:PASSWORD", help="require these Basic credentials")
    serve.add_argument(
        "--aws-iam",
        action="store_true",
        help="as deployed with ApiAuth AWS_IAM: require requests signed with the AWS credentials found here",
    )
    serve.add_argument("--fast-forward", action="store_true", help="jump over waits (virtual clock)")
    serve.add_argument(
        "--function",
        action="append",
        default=[],
        metavar="NAME=module:handler",
        help="run a Lambda function here (aws.lambda.Invoke, or a task function when NAME is a task type)",
    )
    serve.set_defaults(command=serve_command)

    hashing = commands.add_parser(
        "hash-password", help="print a KITE_API_USERS entry (user:hash) for the deployed API's users"
    )
    hashing.add_argument("user")
    hashing.set_defaults(command=_hash_password)

    token = commands.add_parser(
        "token", help="make a bearer token: print it once, and its KITE_API_TOKENS entry (name:hash)"
    )
    token.add_argument("name")
    token.set_defaults(command=_token)


def serve_command(args: argparse.Namespace) -> int:
    from infra.embedded.server import LocalServer, is_loopback

    if args.auth is not None and args.aws_iam:
        raise UsageError("give --auth or --aws-iam, not both")
    if args.auth is None and not args.aws_iam and not is_loopback(args.host):
        raise UsageError(f"refusing to serve on {args.host} without --auth USER:PASSWORD or --aws-iam")
    signatures = _signature_check() if args.aws_iam else None
    if signatures is not None:
        os.environ[auth.MODE_ENV] = auth.IAM
    elif args.auth is not None:
        user, separator, password = args.auth.partition(":")
        if not separator or not user or not password:
            raise UsageError("--auth must be USER:PASSWORD")
        os.environ[auth.USERS_ENV] = f"{user}:{auth.hash_password(password)}"
    else:
        # Loopback only (checked above): the laptop's own user needs no credentials.
        os.environ[auth.OPEN_ENV] = "true"
    stopped = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        stopped.set()

    for directory in args.flows:
        if not directory.is_dir():
            raise UsageError(f"--flows needs a directory: {directory}")
    with local_kite(fast_forward=args.fast_forward, functions=args.function) as kite:
        watch = FlowWatch(args.flows, kite.deploy)
        watch.scan()
        try:
            server = LocalServer(
                kite,
                args.host,
                args.port,
                jump=args.fast_forward,
                parameters={API_AUTH_PARAMETER: auth.IAM} if signatures else None,
                signatures=signatures,
            )
        except OSError as exc:
            raise UsageError(f"cannot listen on {args.host}:{args.port}: {exc.strerror}") from None
        with server:
            watch.start()
            print(
                f"kite: serving Kestra's API at {server.url}/api/v1 and the UI at {server.url}/ui/"
                + (" to requests signed with AWS SigV4 (--aws-sigv4)" if signatures else "")
                + " (Ctrl-C to stop)",
                file=sys.stderr,
            )
            signal.signal(signal.SIGINT, stop)
            signal.signal(signal.SIGTERM, stop)
            stopped.wait()
            watch.stop()
        print("kite: stopped", file=sys.stderr)
    return EXIT_OK


def _signature_check() -> SignatureCheck:
    """Read before the embedded stack starts, which puts moto's fake credentials in the environment."""
    from infra.embedded.api_gateway import SignatureCheck
    from infra.embedded.stack import ACCOUNT_ID

    found = botocore.session.get_session().get_credentials()
    frozen = found.get_frozen_credentials() if found is not None else None
    if frozen is None or not frozen.access_key or not frozen.secret_key:
        raise UsageError("--aws-iam found no AWS credentials (environment, profile or role) to check against")
    return SignatureCheck(Credentials(frozen.access_key, frozen.secret_key, frozen.token), ACCOUNT_ID)


def _hash_password(args: argparse.Namespace) -> int:
    import getpass

    password = getpass.getpass(f"password for {args.user}: ")
    print(f"{args.user}:{auth.hash_password(password)}")
    return 0


def _token(args: argparse.Namespace) -> int:
    value = auth.new_token()
    print(f"token (shown once): {value}")
    print(f"KITE_API_TOKENS entry: {args.name}:{auth.hash_token(value)}")
    return 0
