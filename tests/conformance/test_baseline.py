"""Every conformance case in the baseline must keep passing (make conformance runs them all)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conformance.run import baseline, corpus_dir, run_case

CORPUS = corpus_dir() / "kestra"


@pytest.mark.parametrize("name", baseline())
def test_baseline_case_still_passes(name: str) -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"conformance corpus absent at {CORPUS}: baseline check not run")
    outcome = run_case(CORPUS / name)
    assert outcome.passed, outcome.line()


def test_the_runner_reports_a_wrong_expectation(tmp_path: Path) -> None:
    """A case whose expectation does not hold must fail: the runner is not a rubber stamp."""
    if not CORPUS.is_dir():
        pytest.skip(f"conformance corpus absent at {CORPUS}")
    source = CORPUS / baseline()[0]
    case = tmp_path / source.name
    shutil.copytree(source, case)
    expected = json.loads((case / "expected.json").read_text())
    expected.setdefault("expect", {})["state"] = "KILLED"
    (case / "expected.json").write_text(json.dumps(expected))
    outcome = run_case(case)
    assert not outcome.passed
    assert any(f.startswith("state:") for f in outcome.failures)
