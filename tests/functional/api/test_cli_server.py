"""The `kite` commands against a server: `kite flow push` and `kite run --server` (issue 13)."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.credentials import Credentials

from functions.api import auth
from infra.cli.main import main
from infra.embedded.api_gateway import SignatureCheck
from infra.embedded.local import LocalKite
from infra.embedded.server import LocalServer
from tests.functional.api.test_api_events import HOOK
from tests.functional.test_cli import script_lines_as_they_come

GREET = """id: greet
namespace: demo.remote
inputs:
  - id: name
    type: STRING
tasks:
  - id: hello
    type: io.kestra.plugin.core.debug.Return
    format: "hello {{ inputs.name }}"
"""

BOOM = """id: boom
namespace: demo.remote
tasks:
  - id: fail
    type: io.kestra.plugin.core.execution.Fail
"""


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[LocalKite, str]]:
    token = "a-token-for-tests"
    monkeypatch.setenv(auth.TOKENS_ENV, f"ci:{auth.hash_token(token)}")
    monkeypatch.setenv(auth.USERS_ENV, f"ada:{auth.hash_password('pw', iterations=1000)}")
    with LocalKite(fast_forward=False) as kite, LocalServer(kite, "127.0.0.1", 0) as server:
        yield kite, server.url


def test_flow_push_deploys_a_folder(served: tuple[LocalKite, str], tmp_path: Path) -> None:
    kite, url = served
    (tmp_path / "greet.yaml").write_text(GREET)
    (tmp_path / "boom.yml").write_text(BOOM)
    assert main(["flow", "push", str(tmp_path), "--server", url, "--token", "a-token-for-tests"]) == 0
    assert {r.id for r in kite.services.flows.repository.list("demo.remote")} == {"greet", "boom"}
    assert main(["flow", "push", str(tmp_path), "--server", url, "--token", "wrong"]) == 1  # 401


def test_flow_push_refuses_an_invalid_flow_before_sending(
    served: tuple[LocalKite, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, url = served
    (tmp_path / "bad.yaml").write_text("id: bad\nnamespace: demo.remote\ntasks: []\n")
    assert main(["flow", "push", str(tmp_path), "--server", url, "--user", "ada:pw"]) == 2
    assert "bad.yaml:" in capsys.readouterr().err


def test_run_against_a_server_follows_the_execution(
    served: tuple[LocalKite, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, url = served
    flow = tmp_path / "greet.yaml"
    flow.write_text(GREET)
    assert main(["run", str(flow), "--server", url, "--user", "ada:pw", "--input", "name=Ann"]) == 0
    err = capsys.readouterr().err
    assert "hello" in err and "SUCCESS" in err
    boom = tmp_path / "boom.yaml"
    boom.write_text(BOOM)
    assert main(["run", str(boom), "--server", url, "--user", "ada:pw"]) == 1
    assert main(["run", str(flow), "--server", url, "--user", "ada:pw"]) == 2  # a missing input: 422
    assert "Missing required input:name" in capsys.readouterr().err


def test_run_against_a_server_prints_the_lines_as_they_come(
    served: tuple[LocalKite, str], tmp_path: Path
) -> None:
    """`--logs` reads the server's `/logs` while the script runs."""
    _, url = served
    assert script_lines_as_they_come(tmp_path, "demo.remote", "--server", url, "--user", "ada:pw") == [
        "[INFO] script: first line",
        "[INFO] script: released",
    ]


def test_against_a_stack_with_iam_auth_the_cli_signs_its_requests(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """As deployed with ApiAuth AWS_IAM: unsigned or wrongly signed requests stop at the gateway (403),
    `--aws-sigv4` signs with the caller's credentials, and webhooks stay open."""
    monkeypatch.setenv(auth.MODE_ENV, auth.IAM)
    check = SignatureCheck(Credentials("AKIDCALLER", "the-callers-secret"), "123456789012")
    (tmp_path / "greet.yaml").write_text(GREET)
    with (
        LocalKite(fast_forward=False) as kite,
        LocalServer(kite, "127.0.0.1", 0, parameters={"ApiAuth": "AWS_IAM"}, signatures=check) as server,
        # Undone before the stack closes: the stack's own credentials come back, then what was there before.
        monkeypatch.context() as caller,
    ):
        caller.setenv("AWS_ACCESS_KEY_ID", "AKIDCALLER")
        caller.setenv("AWS_SECRET_ACCESS_KEY", "the-callers-secret")
        caller.delenv("AWS_SESSION_TOKEN", raising=False)
        assert main(["flow", "push", str(tmp_path), "--server", server.url, "--aws-sigv4"]) == 0
        assert [r.id for r in kite.services.flows.repository.list("demo.remote")] == ["greet"]
        flow = str(tmp_path / "greet.yaml")
        run = ["run", flow, "--server", server.url, "--aws-sigv4", "--input", "name=Ann"]
        assert main(run) == 0
        assert "SUCCESS" in capsys.readouterr().err
        assert main(["flow", "push", str(tmp_path), "--server", server.url, "--user", "ada:pw"]) == 1
        assert "Forbidden" in capsys.readouterr().err
        hook = tmp_path / "hooks"
        hook.mkdir()
        (hook / "hook.yaml").write_text(HOOK)
        assert main(["flow", "push", str(hook), "--server", server.url, "--aws-sigv4"]) == 0
        webhook = f"{server.url}/api/v1/executions/webhook/demo.api/hook/k1"
        with urllib.request.urlopen(urllib.request.Request(webhook, method="POST")) as answered:
            assert answered.status == 200
        caller.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
        assert main(["flow", "push", str(tmp_path), "--server", server.url, "--aws-sigv4"]) == 1
