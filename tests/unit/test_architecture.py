"""The architecture holds: the engine is pure, imports run one way, and no module imports itself back.

import-linter (`lint-imports` in `make test`, contracts in pyproject.toml) checks the layers; these tests
check what it does not (module-level cycles, clock and randomness reads) and that its contracts bite.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("engine", "infra", "functions")
# Counting imports under TYPE_CHECKING and inside functions (grimp sees every import statement).
GRAPH = grimp.build_graph(*PACKAGES, exclude_type_checking_imports=False, cache_dir=None)
FORBIDDEN_IN_ENGINE = (
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


def _engine_modules() -> list[str]:
    return sorted(m for m in GRAPH.modules if m == "engine" or m.startswith("engine."))


EXTERNAL = grimp.build_graph("engine", include_external_packages=True, cache_dir=None)


def test_the_engine_graph_sees_third_party_imports() -> None:
    assert "random" in EXTERNAL.find_modules_directly_imported_by("engine.memory.ids")
    assert "pydantic" in EXTERNAL.find_modules_directly_imported_by("engine.task_api.registry")


def test_engine_imports_nothing_from_aws_or_outer_layers() -> None:
    offenders = [
        f"{module} imports {imported}"
        for module in _engine_modules()
        for imported in EXTERNAL.find_modules_directly_imported_by(module)
        if imported.split(".")[0] in FORBIDDEN_IN_ENGINE
    ]
    assert offenders == []


def test_engine_reads_no_clock_randomness_or_environment() -> None:
    offenders = []
    for path in (ROOT / "engine").rglob("*.py"):
        text = path.read_text()
        offenders += [f"{path.relative_to(ROOT)}: {m.group(0)}" for m in FORBIDDEN_CALLS.finditer(text)]
    for module in _engine_modules():
        if module.startswith("engine.memory"):
            continue  # the in-memory twins are adapters: RandomIds draws randomness
        imported = EXTERNAL.find_modules_directly_imported_by(module)
        offenders += [f"{module} imports {name}" for name in imported & {"random", "secrets", "uuid"}]
    assert offenders == []


def test_values_are_structs_not_dataclasses() -> None:
    """Decision 0023: a dataclass compiles its methods at import, which every Lambda cold start pays."""
    graph = grimp.build_graph(*PACKAGES, include_external_packages=True, cache_dir=None)
    ours = sorted(m for m in graph.modules if m.split(".")[0] in PACKAGES)
    offenders = [m for m in ours if "dataclasses" in graph.find_modules_directly_imported_by(m)]
    assert offenders == []


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


def test_no_module_imports_itself_back() -> None:
    assert _cycles(GRAPH) == []


def test_the_cycle_check_sees_a_cycle() -> None:
    graph = grimp.ImportGraph()
    for importer, imported in (("a.x", "a.y"), ("a.y", "a.z"), ("a.z", "a.x"), ("a.z", "a.w")):
        graph.add_import(importer=importer, imported=imported)
    assert _cycles(graph) == [["a.x", "a.y", "a.z"]]


def test_lint_imports_fails_on_an_upward_import(tmp_path: Path) -> None:
    """A copy of the tree where the model imports the executor: the engine's layers contract breaks."""
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    state = tmp_path / "engine" / "model" / "state.py"
    state.write_text(
        state.read_text()
        + "\n\ndef _upward() -> object:\n    from engine.executor import advance\n\n    return advance\n"
    )
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint_imports), "--no-cache"],
        cwd=tmp_path,
        env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1, result.stdout
    assert "The engine: each layer imports only the layers below it BROKEN" in result.stdout
    assert "engine.model.state -> engine.executor.advance" in result.stdout
