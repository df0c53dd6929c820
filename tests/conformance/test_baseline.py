"""Every case of baseline.txt must keep passing on the real pipeline (moto), one test per case.

The corpus lives outside the repository (../shared/conformance, or $KITE_CONFORMANCE_DIR); without it these
tests are skipped with a notice, the only sanctioned skip.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conformance.run import corpus_dir, find_case, read_baseline, run_case

CORPUS = corpus_dir()
ABSENT = f"conformance corpus absent at {CORPUS} (set KITE_CONFORMANCE_DIR): baseline not checked"


def _folder(name: str) -> Path:
    if not CORPUS.is_dir():
        pytest.skip(ABSENT)
    folder = find_case(CORPUS, name)
    assert folder is not None, f"{name} is in baseline.txt but not in the corpus: update the baseline"
    return folder


@pytest.mark.parametrize("name", read_baseline())
def test_baseline_case_still_passes(name: str) -> None:
    outcome = run_case(_folder(name), "moto")
    assert outcome.passed, outcome.line()


def _scenario_cases() -> list[str]:
    if not CORPUS.is_dir():
        return read_baseline()  # each is skipped by _folder
    return [
        name
        for name in read_baseline()
        if (folder := find_case(CORPUS, name)) is not None
        and "scenario" in json.loads((folder / "expected.json").read_text())
    ]


@pytest.mark.parametrize("name", _scenario_cases())
def test_baseline_scenario_passes_through_kite_serve(name: str) -> None:
    """Scenarios (resume, kill, restart, webhooks, ...) through the REST API over HTTP, as `kite serve`."""
    outcome = run_case(_folder(name), "http")
    assert outcome.passed, outcome.line()


def test_a_wrong_expectation_fails(tmp_path: Path) -> None:
    """The runner is not a rubber stamp: a baseline case with a false fact added must fail on that key."""
    names = read_baseline()
    assert names, "baseline.txt is empty: no case is guarded"
    source = _folder(names[0])
    case = shutil.copytree(source, tmp_path / source.name)
    expected = json.loads((case / "expected.json").read_text())
    expected["expect"] = {**(expected.get("expect") or {}), "state": "KILLED", "taskRunCount": 9999}
    (case / "expected.json").write_text(json.dumps(expected))
    outcome = run_case(case, "moto")
    assert not outcome.passed
    assert outcome.line().startswith(f"FAIL {source.name}: ")
    assert {"state", "taskRunCount"} <= {k for k, v in outcome.verdicts.items() if v.status.name == "FAIL"}
