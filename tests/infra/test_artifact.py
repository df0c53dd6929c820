"""The Lambda artifact as `sam build` makes it (the Makefile's build target): small, and without the
embedded stack. Building it downloads the arm64 wheels from the package registry."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 60 * 1024 * 1024


@pytest.fixture(scope="module")
def artifact(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("artifact")
    subprocess.run(
        [
            "make",
            "--no-print-directory",
            "build-DispatcherFunction",
            f"ARTIFACTS_DIR={target}",
            f"PYTHON={sys.executable}",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return target


def test_the_artifact_is_under_sixty_megabytes(artifact: Path) -> None:
    size = sum(path.stat().st_size for path in artifact.rglob("*") if path.is_file())
    assert size <= LIMIT, f"{size / 1024 / 1024:.1f} MB"


def test_the_artifact_holds_the_application_and_not_the_local_stack(artifact: Path) -> None:
    names = {path.name for path in artifact.iterdir()}
    assert {"engine", "infra", "functions", "pydantic", "jinja2", "aws_lambda_powertools"} <= names
    assert names.isdisjoint({"moto", "time_machine", "numpy", "boto3", "botocore"})
    assert (artifact / "infra" / "embedded" / "template.yaml").is_file()
    assert (artifact / "functions" / "api" / "ui_assets" / "index.html").is_file()  # the web UI
