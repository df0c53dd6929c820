"""`kite serve` as a user runs it: a process that serves until Ctrl-C and stops cleanly (issue 13)."""

from __future__ import annotations

import base64
import gzip
import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

FLOW = """id: hi
namespace: demo.serve
tasks:
  - id: a
    type: io.kestra.plugin.core.debug.Return
    format: x
"""


def _kite(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "infra.cli.main", *args],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )


def _url(process: subprocess.Popen[str]) -> str:
    assert process.stderr is not None
    for line in process.stderr:
        if "serving Kestra's API at " in line:
            return line.split("serving Kestra's API at ", 1)[1].split("/api/v1", 1)[0]
    raise AssertionError("kite serve did not start")


def test_serve_deploys_a_folder_answers_with_credentials_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    (tmp_path / "hi.yaml").write_text(FLOW)
    process = _kite("serve", "--port", "0", "--flows", str(tmp_path), "--auth", "ada:pw")
    try:
        url = _url(process)
        request = urllib.request.Request(f"{url}/api/v1/main/flows/demo.serve/hi")
        try:
            urllib.request.urlopen(request, timeout=10)
            raise AssertionError("no credentials, yet an answer")
        except urllib.error.HTTPError as refused:
            assert refused.code == 401
        request.add_header("Authorization", "Basic " + base64.b64encode(b"ada:pw").decode())
        with urllib.request.urlopen(request, timeout=10) as response:
            got = response.read()
            assert json.loads(got)["id"] == "hi"
        request.method = "HEAD"
        with urllib.request.urlopen(request, timeout=10) as response:  # the GET's length, no body
            assert (response.headers["Content-Length"], response.read()) == (str(len(got)), b"")
        schema = urllib.request.Request(f"{url}/api/v1/openapi.json", headers={"Accept-Encoding": "gzip"})
        schema.add_header("Authorization", "Basic " + base64.b64encode(b"ada:pw").decode())
        with urllib.request.urlopen(schema, timeout=10) as response:  # large: gzipped for who takes it
            assert response.headers["Content-Encoding"] == "gzip"
            assert "paths" in json.loads(gzip.decompress(response.read()))
        # The UI's pages need no credentials (they ask for them); `/` leads there.
        with urllib.request.urlopen(f"{url}/", timeout=10) as page:
            assert page.url == f"{url}/ui/"
            assert "<title>Kite</title>" in page.read().decode()
        ui_request = urllib.request.Request(f"{url}/api/v1/main/flows/search", headers={"X-Kite-UI": "1"})
        try:
            urllib.request.urlopen(ui_request, timeout=10)
            raise AssertionError("no credentials, yet an answer")
        except urllib.error.HTTPError as refused:
            assert refused.code == 401
            assert "WWW-Authenticate" not in refused.headers  # no browser dialog: the UI asks itself
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0
    assert process.stderr is not None
    assert "stopped" in process.stderr.read()


def test_serve_refuses_a_public_bind_without_credentials() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "infra.cli.main", "serve", "--host", "0.0.0.0", "--port", "0"],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "without --auth" in done.stderr


def test_serve_with_aws_iam_answers_only_requests_signed_with_its_credentials(tmp_path: Path) -> None:
    """`kite serve --aws-iam` as a user runs it, with `kite flow push --aws-sigv4` from another process."""
    keys = {"AWS_ACCESS_KEY_ID": "AKIDLAPTOP", "AWS_SECRET_ACCESS_KEY": "laptop-secret"}
    environment = {**os.environ, **keys, "AWS_DEFAULT_REGION": "eu-west-1"}
    environment.pop("AWS_SESSION_TOKEN", None)
    environment.pop("AWS_PROFILE", None)
    (tmp_path / "hi.yaml").write_text(FLOW)
    process = subprocess.Popen(
        [sys.executable, "-m", "infra.cli.main", "serve", "--port", "0", "--aws-iam"],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env=environment,
    )
    try:
        url = _url(process)
        try:
            urllib.request.urlopen(f"{url}/api/v1/main/flows/search", timeout=10)
            raise AssertionError("unsigned, yet an answer")
        except urllib.error.HTTPError as refused:
            assert refused.code == 403
        push = [sys.executable, "-m", "infra.cli.main", "flow", "push", str(tmp_path), "--server", url]
        signed = subprocess.run(
            [*push, "--aws-sigv4"], check=False, env=environment, capture_output=True, text=True
        )
        assert signed.returncode == 0, signed.stderr
        assert "pushed demo.serve.hi" in signed.stderr
        other = {**environment, "AWS_SECRET_ACCESS_KEY": "someone-else"}
        refused_push = subprocess.run(
            [*push, "--aws-sigv4"], check=False, env=other, capture_output=True, text=True
        )
        assert refused_push.returncode == 1 and "Forbidden" in refused_push.stderr
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0
