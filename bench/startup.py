"""Cold start of each function, as a ratio to `import boto3` (issue 12: Lambda bills INIT).

    python -m bench.startup

For each function of template.yaml, in fresh interpreters with bytecode compiled (median of 5): the time to
import its handler,
and for the dispatcher and the worker the time of their first invocation on the embedded stack after that
import (one Log task sent to a worker; moto and the stack are set up outside the timing, and the flow is
deployed first, which loads what validating a flow needs); then, apart, what reading each example flow
costs a process that imported the dispatcher (the validators of the task types it names are built then), and
what creating the AWS clients every step uses costs (paid in some form by any boto3 Lambda: the baseline
does not show it). Last, a new container's whole cold start: the sum of those, against a function that
only imports boto3 and creates the same clients with it.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from bench.cost import LOG
from engine.flow.document import encode_document
from engine.flow.yaml_source import load_yaml
from infra.embedded.template import load_template

RUNS = 5
_FLOW = (
    f"id: one\nnamespace: bench\ntasks:\n  - id: log\n    type: {LOG}\n"
    "    message: hi {{ execution.id }}\n"
)

_IMPORT = """
import time
started = time.perf_counter()
import {module}
print(time.perf_counter() - started)
"""

_FIRST_READ = """
import time
import {dispatcher}
from engine.flow.loader import parse_flow
source, document = {source!r}, {document!r}
started = time.perf_counter()
parse_flow(source, document=document)
print(time.perf_counter() - started)
"""

# As in Lambda, the region and the function's credentials are in the environment (none are looked up).
_AWS_ENVIRONMENT = """
import os, time
os.environ.update(AWS_DEFAULT_REGION="us-east-1", AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench")
"""

_CLIENTS = (
    _AWS_ENVIRONMENT
    + """
from infra.aws.session import AwsSession
session = AwsSession()
started = time.perf_counter()
session.dynamodb, session.sqs
print(time.perf_counter() - started)
"""
)

# What a function that only uses boto3 pays before its first call: the baseline of the whole cold start.
_BOTO3_CLIENTS = (
    _AWS_ENVIRONMENT
    + """
started = time.perf_counter()
import boto3
boto3.client("dynamodb"), boto3.client("sqs")
print(time.perf_counter() - started)
"""
)

_FIRST_STEPS = """
import json, time
import {dispatcher}, {worker}
from infra.embedded.local import LocalKite

firsts = {{}}

def timed(name):
    def wrap(handler):
        def invoke(event, context):
            started = time.perf_counter()
            try:
                return handler(event, context)
            finally:
                firsts.setdefault(name, time.perf_counter() - started)
        return invoke
    return wrap

flow = {flow!r}
wrap = {{n: timed(n) for n in ("DispatcherFunction", "WorkerFunction")}}
with LocalKite(inline_budget=0, wrap=wrap) as kite:
    kite.deploy(flow)
    kite.run("bench", "one")
print(json.dumps(firsts))
"""


def _python(code: str) -> str:
    # With bytecode, as the built artifact ships it (and as Lambda's own boto3 has it): the first run writes
    # what a later run reads.
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    done = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, env=environment
    )
    return done.stdout.strip().splitlines()[-1]


def _median_import(module: str) -> float:
    _python(_IMPORT.format(module=module))  # compiles what is not compiled yet
    return statistics.median(float(_python(_IMPORT.format(module=module))) for _ in range(RUNS))


def _line(what: str, took: float, baseline: float) -> None:
    print(f"  {what:<52} {took * 1000:6.0f} ms  {took / baseline:4.1f}x boto3")


def main() -> None:
    functions = {f.logical_id: f.handler.rpartition(".")[0] for f in load_template().functions}
    baseline = _median_import("boto3")
    print(f"import boto3: {baseline * 1000:.0f} ms (the baseline; target: each handler within 1.5x)")
    imports = {}
    for name, module in functions.items():
        imports[name] = _median_import(module)
        _line(f"{name:<22} import {module}", imports[name], baseline)
    code = _FIRST_STEPS.format(
        dispatcher=functions["DispatcherFunction"], worker=functions["WorkerFunction"], flow=_FLOW
    )
    runs = [json.loads(_python(code)) for _ in range(RUNS)]
    firsts = {
        name: statistics.median(run[name] for run in runs)
        for name in ("DispatcherFunction", "WorkerFunction")
    }
    for name, took in firsts.items():
        _line(f"{name:<22} first invocation", took, baseline)

    def first_read(source: str) -> float:
        # As a step reads a revision: from the document stored beside its source, when it has one.
        document = encode_document(load_yaml(source).data, source)
        dispatcher = functions["DispatcherFunction"]
        code = _FIRST_READ.format(dispatcher=dispatcher, source=source, document=document)
        return statistics.median(float(_python(code)) for _ in range(RUNS))

    # What a cold dispatcher pays to read its flow's revision: the validators of the task types it uses.
    for path in sorted(Path("examples").glob("*.yaml")):
        _line(f"first read of {path}", first_read(path.read_text()), baseline)
    clients = statistics.median(float(_python(_CLIENTS)) for _ in range(RUNS))
    _line("AWS clients of a step (DynamoDB, SQS)", clients, baseline)
    # The first invocation above follows a deploy in the same process, which built the clients and the
    # validators: a new container pays them all, so its cold start is the sum.
    read = first_read(_FLOW)
    colds = {name: imports[name] + clients + read + took for name, took in firsts.items()}
    for name, cold in colds.items():
        _line(f"{name:<22} cold start, all told", cold, baseline)
    print("  (all told: import + AWS clients + first read of the bench's flow + first invocation)")
    floor = statistics.median(float(_python(_BOTO3_CLIENTS)) for _ in range(RUNS))
    ratios = " ".join(f"{name} {cold / floor:.1f}x" for name, cold in colds.items())
    print(f"  against boto3 alone with those clients ({floor * 1000:.0f} ms): {ratios}")


if __name__ == "__main__":
    main()
