"""The engine is pure: no AWS, no Lambda runtime, no infra, no direct clock/random/environment reads."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import engine

ENGINE = Path(engine.__file__).parent
FORBIDDEN_IMPORTS = (
    "boto3",
    "botocore",
    "aws_lambda_powertools",
    "moto",
    "time_machine",
    "infra",
    "functions",
)
FORBIDDEN_CALLS = re.compile(
    r"\b(datetime\.now|datetime\.utcnow|date\.today|time\.time|time\.monotonic|os\.environ|os\.getenv|uuid\.uuid[14])\b"
)


def _imports(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


def test_engine_imports_nothing_from_aws_or_outer_layers() -> None:
    offenders = [
        f"{path.relative_to(ENGINE)} imports {name}"
        for path in ENGINE.rglob("*.py")
        for name in _imports(path)
        if any(name == f or name.startswith(f + ".") for f in FORBIDDEN_IMPORTS)
    ]
    assert offenders == []


def test_engine_reads_no_clock_randomness_or_environment() -> None:
    offenders = []
    for path in ENGINE.rglob("*.py"):
        text = path.read_text()
        offenders += [f"{path.relative_to(ENGINE)}: {m.group(0)}" for m in FORBIDDEN_CALLS.finditer(text)]
        for module in ("random", "secrets", "uuid"):
            if module in _imports(path) and path.parent.name != "memory":
                offenders.append(f"{path.relative_to(ENGINE)} imports {module}")
    assert offenders == []


def test_the_check_sees_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import boto3\nfrom infra.local import LocalKite\nx = datetime.now()\n")
    assert [n for n in _imports(bad) if n in ("boto3", "infra.local")] == ["boto3", "infra.local"]
    assert FORBIDDEN_CALLS.search(bad.read_text())
