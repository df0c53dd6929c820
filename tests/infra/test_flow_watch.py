"""`kite serve --flows DIR` redeploys what changes and keeps the last good revision of what breaks."""

from __future__ import annotations

import io
import os
from pathlib import Path

from engine.flow.loader import parse_flow
from infra.cli.flow_watch import FlowWatch

GOOD = (
    "id: hello\nnamespace: demo\ntasks:\n  - id: a\n"
    "    type: io.kestra.plugin.core.log.Log\n    message: {m}\n"
)


def test_new_and_changed_flows_are_deployed_and_a_broken_one_is_reported(tmp_path: Path) -> None:
    deployed: list[str] = []

    def deploy(source: str, filename: str) -> None:
        parse_flow(source, filename)
        deployed.append(source)

    out = io.StringIO()
    path = tmp_path / "nested" / "hello.yaml"
    path.parent.mkdir()
    path.write_text(GOOD.format(m="one"))
    (tmp_path / "notes.txt").write_text("not a flow")
    watch = FlowWatch([tmp_path], deploy, out)

    assert watch.scan() == 1
    assert watch.scan() == 0  # nothing changed

    path.write_text(GOOD.format(m="two"))
    os.utime(path, (path.stat().st_atime, path.stat().st_mtime + 5))
    assert watch.scan() == 1
    assert deployed[-1].endswith("message: two\n")

    path.write_text("id: hello\nnamespace: demo\ntasks: []\n")
    os.utime(path, (path.stat().st_atime, path.stat().st_mtime + 10))
    assert watch.scan() == 0
    assert deployed[-1].endswith("message: two\n")  # the last good revision stays
    report = out.getvalue()
    assert "not deployed; the last good revision stays" in report
    assert f"{path}:3:" in report
