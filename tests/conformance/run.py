"""Kestra's conformance corpus through Kite.

    python -m tests.conformance.run [--backend moto|memory|http] [--case NAME]... [--set kestra|kestra-extra]
                                    [--scenarios] [--update-baseline]

`--backend http` is `kite serve`: flows, executions, commands and webhooks through the REST API over HTTP.

Each case gets a fresh Kite with every `*.yaml` and `*.yml` of its folder deployed. A single-run case (no
`scenario`) has its execution created with the case's inputs and labels, run until fully terminated, and
each `expect` key checked on its own (checks.py); a scenario runs its steps in order (scenario.py), checking
each step's `expect`. A case passes only when every key was checked and held; a case with a step the runner
does not know is skipped with the reason. The exit status is non-zero only when a case of baseline.txt
fails, so new failures elsewhere do not break the build.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from msgspec import Struct, field

from tests.conformance import checks
from tests.conformance.backends import Backend, open_backend
from tests.conformance.checks import Status, Verdict
from tests.conformance.diagnostics import handler_errors
from tests.conformance.scenario import Scenario, first_line, single_run, skip_reason

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


class Outcome(Struct):
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


# --- one case ------------------------------------------------------------------------------------------


def run_case(folder: Path, backend_name: str = "moto") -> Outcome:
    outcome = Outcome(folder.name)
    case = json.loads((folder / "expected.json").read_text())
    with handler_errors() as errors:
        try:
            with open_backend(backend_name) as backend:
                _run(case, folder, backend, outcome)
        except Exception as exc:  # a crash inside Kite is this case's failure, never the runner's
            outcome.verdicts["kite"] = checks.fail(first_line(exc))
    if errors and not outcome.passed and outcome.skipped is None:
        # Retried handler failures are only news when the case went wrong.
        outcome.verdicts["handler errors"] = checks.fail(" | ".join(errors[:3]))
    return outcome


def _run(case: dict[str, Any], folder: Path, backend: Backend, outcome: Outcome) -> None:
    steps = case["scenario"] if "scenario" in case else [single_run(case)]
    outcome.skipped = skip_reason(steps, has_http=backend.http() is not None)
    if outcome.skipped is not None:
        return
    flows = {}
    for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
        try:
            namespace, flow_id = backend.deploy(path.read_text(), path.name)
        except Exception as exc:
            outcome.verdicts["deploy"] = checks.fail(f"{path.name}: {first_line(exc)}")
            return
        flows[f"{namespace}.{flow_id}"] = (namespace, flow_id)
        # The README: Schedule triggers must not fire by themselves while a case runs. Without wakes the
        # scheduler is off; an `evaluateSchedule` step still starts the date it names.
        backend.services.schedules.wakes.set(namespace, flow_id, [])
    scenario = Scenario(case, backend, flows, outcome.verdicts)
    scenario.play(steps, numbered="scenario" in case)
    if not outcome.verdicts:
        outcome.verdicts["expect"] = checks.not_checked("the case states no fact")


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
    parser.add_argument("--backend", choices=("moto", "memory", "http"), default="moto")
    parser.add_argument("--scenarios", action="store_true", help="only the cases with a scenario")
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
        if args.scenarios and "scenario" not in json.loads((folder / "expected.json").read_text()):
            continue
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
