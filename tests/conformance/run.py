"""Kestra's conformance corpus through Kite.

    python -m tests.conformance.run [--backend moto|memory] [--case NAME]... [--set kestra|kestra-extra]
                                    [--update-baseline]

Each single-run case (no `scenario`) gets a fresh Kite: every `*.yaml` of its folder is deployed, the
execution created with the case's inputs and labels, run until fully terminated, and each `expect` key
checked on its own (checks.py). A case passes only when every key was checked and held. The exit status is
non-zero only when a case of baseline.txt fails, so new failures elsewhere do not break the build.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kite.engine.model.serde import execution_to_json, log_to_json
from tests.conformance import checks
from tests.conformance.backends import TIMEOUT_S, Backend, NotTerminatedError, open_backend
from tests.conformance.checks import CaseContext, Status, Verdict
from tests.conformance.diagnostics import handler_errors
from tests.conformance.rejections import rejection_errors, rejection_texts

BASELINE = Path(__file__).with_name("baseline.txt")
SETS = ("kestra", "kestra-extra")
_REASON_LIMIT = 600


def corpus_dir() -> Path:
    configured = os.environ.get("KITE_CONFORMANCE_DIR")
    return (
        Path(configured)
        if configured
        else Path(__file__).resolve().parents[2].parent / "shared" / "conformance"
    )


class Unchecked(Exception):
    """An expectation this runner cannot check yet: reported as not checked, never as passed."""


@dataclass
class Outcome:
    name: str
    verdicts: dict[str, Verdict] = field(default_factory=dict)
    skipped: str | None = None

    @property
    def passed(self) -> bool:
        return self.skipped is None and all(v.status is Status.PASS for v in self.verdicts.values())

    def line(self) -> str:
        if self.skipped is not None:
            return f"SKIP {self.name}: {self.skipped}"
        if self.passed:
            return f"PASS {self.name}"
        return f"FAIL {self.name}: " + "; ".join(
            f"{key}: {_describe(v)}" for key, v in self.verdicts.items() if v.status is not Status.PASS
        )


def _describe(verdict: Verdict) -> str:
    text = verdict.reason if verdict.status is Status.FAIL else f"not checked ({verdict.reason})"
    text = " ".join(text.split())
    return text if len(text) <= _REASON_LIMIT else text[: _REASON_LIMIT - 3] + "..."


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {' | '.join(lines[:8])}" if lines else type(exc).__name__


# --- one case ------------------------------------------------------------------------------------------


def run_case(folder: Path, backend_name: str = "moto") -> Outcome:
    outcome = Outcome(folder.name)
    case = json.loads((folder / "expected.json").read_text())
    if "scenario" in case:
        outcome.skipped = "scenario"
        return outcome
    with handler_errors() as errors:
        try:
            with open_backend(backend_name) as backend:
                _run(case, folder, backend, outcome)
        except Exception as exc:  # a crash inside Kite is this case's failure, never the runner's
            outcome.verdicts["kite"] = checks.fail(_first_line(exc))
    if errors and not outcome.passed and outcome.skipped is None:
        # Retried handler failures are only news when the case went wrong.
        outcome.verdicts["handler errors"] = checks.fail(" | ".join(errors[:3]))
    return outcome


def _run(case: dict[str, Any], folder: Path, backend: Backend, outcome: Outcome) -> None:
    expect: dict[str, Any] = case.get("expect") or {}
    for path in sorted(folder.glob("*.yaml")):
        try:
            backend.deploy(path.read_text(), path.name)
        except Exception as exc:
            outcome.verdicts["deploy"] = checks.fail(f"{path.name}: {_first_line(exc)}")
            return
    inputs = _inputs(case, backend)
    if inputs is None:
        outcome.skipped = "FILE inputs need an upload API (not checked)"
        return
    labels = [(str(k), str(v)) for k, v in (case.get("labels") or {}).items()]
    try:
        created = backend.create(case["namespace"], case["flowId"], inputs, labels)
    except rejection_errors() as exc:
        if "rejected" not in expect:
            outcome.verdicts["create"] = checks.fail(f"rejected: {_first_line(exc)}")
            return
        message, details = rejection_texts(exc)
        outcome.verdicts["rejected"] = checks.rejection_verdict(expect["rejected"], message, details)
        return
    if not expect:
        outcome.verdicts["expect"] = checks.not_checked("the case states no fact")
    _await(backend, created.id, expect, outcome)
    executions = {e.id: execution_to_json(e) for e in backend.executions()}
    context = CaseContext(created.id, lambda i: [log_to_json(x) for x in backend.logs(i)])
    main = executions[created.id]
    logs = context.logs_of(created.id)
    outcome.verdicts.update(checks.check_all(expect, context, main, logs, list(executions.values())))


def _await(backend: Backend, execution_id: str, expect: Mapping[str, Any], outcome: Outcome) -> None:
    executions = backend.services.executions

    def terminated(execution_id: str) -> bool:
        return executions.fully_terminated(executions.get(execution_id))

    try:
        backend.wait_until(lambda: terminated(execution_id), TIMEOUT_S)
    except NotTerminatedError as exc:
        state = executions.get(execution_id).state.current.value
        outcome.verdicts["terminated"] = checks.fail(f"still {state}: {exc}")
        return
    if "childExecutions" not in expect and "flowExecutions" not in expect:
        return
    # Facts about other executions: let children and re-created executions finish too, and wait for the
    # states `flowExecutions.*.awaitState` names.
    awaited = {
        flow: spec["awaitState"]
        for flow, spec in (expect.get("flowExecutions") or {}).items()
        if "awaitState" in spec
    }

    def settled() -> bool:
        everything = backend.services.store.search()
        if not all(terminated(e.id) for e in everything):
            return False
        states = {(f"{e.namespace}.{e.flow_id}", e.state.current.value) for e in everything}
        return all((flow, state) in states for flow, state in awaited.items())

    try:
        backend.wait_until(settled, TIMEOUT_S)
    except NotTerminatedError as exc:
        outcome.verdicts["settled"] = checks.fail(f"other executions did not settle: {exc}")


def _inputs(case: Mapping[str, Any], backend: Backend) -> dict[str, Any] | None:
    """Raw inputs as the API receives them; `$file` values are uploaded first when Kite's services expose
    a Storage (`put(path, bytes) -> kestra:// URI`). None when a file cannot be uploaded."""
    values: dict[str, Any] = {}
    storage = getattr(backend.services, "storage", None)
    for name, value in (case.get("inputs") or {}).items():
        if isinstance(value, dict) and "$file" in value:
            if storage is None:
                return None
            spec = value["$file"]
            # Kestra's layout for an uploaded input; the execution id is not known before creation.
            folder = f"{case['namespace'].replace('.', '/')}/{case['flowId']}/executions/upload"
            values[name] = storage.put(
                f"{folder}/inputs/{name}/{spec['name']}", str(spec["content"]).encode()
            )
        else:
            values[name] = value
    return values


# --- the corpus ----------------------------------------------------------------------------------------


def case_folders(corpus: Path, subset: str, names: list[str]) -> list[Path]:
    folders = sorted(p for p in (corpus / subset).iterdir() if (p / "expected.json").is_file())
    if not names:
        return folders
    found = [f for f in folders if f.name in names]
    unknown = sorted(set(names) - {f.name for f in found})
    if unknown:
        raise SystemExit(f"no such case in {subset}: {', '.join(unknown)}")
    return found


def find_case(corpus: Path, name: str) -> Path | None:
    for subset in SETS:
        folder = corpus / subset / name
        if (folder / "expected.json").is_file():
            return folder
    return None


def read_baseline() -> list[str]:
    return BASELINE.read_text().split() if BASELINE.is_file() else []


def write_baseline(outcomes: list[Outcome]) -> None:
    """Cases run now replace their old entries; cases not run keep theirs."""
    ran = {o.name for o in outcomes}
    kept = set(read_baseline()) - ran
    passed = {o.name for o in outcomes if o.passed}
    BASELINE.write_text("".join(f"{name}\n" for name in sorted(kept | passed)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.conformance.run", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--backend", choices=("moto", "memory"), default="moto")
    parser.add_argument("--case", action="append", default=[], metavar="NAME")
    parser.add_argument("--set", choices=SETS, default="kestra", dest="subset")
    parser.add_argument("--update-baseline", action="store_true")
    args = parser.parse_args(argv)
    if args.update_baseline and args.backend != "moto":
        parser.error("the baseline is written from a moto run (the real pipeline)")
    corpus = corpus_dir()
    if not corpus.is_dir():
        print(f"conformance corpus not found at {corpus} (set KITE_CONFORMANCE_DIR): nothing to run")
        return 0
    outcomes = []
    for folder in case_folders(corpus, args.subset, args.case):
        outcome = run_case(folder, args.backend)
        outcomes.append(outcome)
        print(outcome.line(), flush=True)
    passed = sum(o.passed for o in outcomes)
    skipped = sum(o.skipped is not None for o in outcomes)
    regressions = sorted(
        set(read_baseline()) & {o.name for o in outcomes if not o.passed and o.skipped is None}
    )
    if regressions:
        print(f"baseline cases failing: {', '.join(regressions)}")
    if args.update_baseline:
        write_baseline(outcomes)
    # The last two lines are the summary other tools read.
    print(f"{skipped} skipped")
    print(f"{passed} passed, {len(outcomes) - passed - skipped} failed")
    return 1 if regressions else 0


if __name__ == "__main__":
    sys.exit(main())
