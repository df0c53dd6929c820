"""Plugin defaults through `kite`: the flow's, the configured global ones, and named ones, end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from infra.cli.main import main
from infra.embedded.local import LocalKite

FLOW = """
id: defaults
namespace: demo
pluginDefaults:
  - type: io.kestra.plugin.core.debug.Return
    values: {format: "from the flow: {{ flow.id }}"}
  - type: io.kestra.plugin.core.debug.Return
    ref: loud
    values: {format: named}
tasks:
  - id: flow_default
    type: io.kestra.plugin.core.debug.Return
  - id: named
    type: io.kestra.plugin.core.debug.Return
    pluginDefaultsRef: loud
  - id: global_default
    type: io.kestra.plugin.core.log.Log
    level: ERROR
"""

GLOBAL_DEFAULTS = json.dumps(
    [
        {"type": "io.kestra.plugin.core.log.Log", "values": {"message": "from the configuration"}},
        # Forced: the flow's own value is overridden.
        {"type": "io.kestra.plugin.core.log", "forced": True, "values": {"level": "WARN"}},
    ]
)


def test_flow_global_and_named_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    flow = tmp_path / "defaults.yaml"
    flow.write_text(FLOW)
    # Without the configured defaults the Log task misses its required message.
    assert main(["validate", str(flow)]) == 1
    assert "tasks[2].message: required property is missing" in capsys.readouterr().out

    monkeypatch.setenv("KITE_PLUGIN_DEFAULTS", GLOBAL_DEFAULTS)
    assert main(["validate", str(flow)]) == 0
    assert main(["run", str(flow), "--fast-forward", "--json"]) == 0
    runs = {r["taskId"]: r for r in json.loads(capsys.readouterr().out)["taskRunList"]}
    assert runs["flow_default"]["outputs"] == {"value": "from the flow: defaults"}
    assert runs["named"]["outputs"] == {"value": "named"}

    # A namespace's defaults come before the global ones, a parent namespace's apply to its children.
    environ = {
        "KITE_PLUGIN_DEFAULTS": GLOBAL_DEFAULTS,
        "KITE_NAMESPACE_PLUGIN_DEFAULTS": json.dumps(
            {"demo": [{"type": "io.kestra.plugin.core.log.Log", "values": {"message": "from the namespace"}}]}
        ),
    }
    with LocalKite(environ=environ) as kite:
        kite.deploy(FLOW)
        kite.deploy(FLOW.replace("namespace: demo", "namespace: demo.team"))
        messages = []
        for namespace in ("demo", "demo.team"):
            execution = kite.run(namespace, "defaults")
            logs = kite.services.executions.logs(execution.id)
            messages += [(log.level, log.message) for log in logs if log.message.startswith("from the")]
    assert messages == [("WARN", "from the namespace")] * 2


def test_an_unresolved_reference_fails_its_task_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flow = tmp_path / "broken.yaml"
    flow.write_text(
        "id: broken\nnamespace: demo\ntasks:\n  - id: a\n    type: io.kestra.plugin.core.debug.Return\n"
        "    format: x\n    pluginDefaultsRef: nope\n"
    )
    assert main(["run", str(flow), "--fast-forward", "--json"]) == 1
    captured = capsys.readouterr()
    (run,) = json.loads(captured.out)["taskRunList"]
    assert run["state"]["current"] == "FAILED"
    assert "No plugin-defaults exists for pluginDefaultsRef: 'nope'" in captured.err


def test_bad_configured_defaults_are_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    flow = tmp_path / "defaults.yaml"
    flow.write_text(FLOW)
    monkeypatch.setenv("KITE_PLUGIN_DEFAULTS", "{type: x}")
    assert main(["run", str(flow)]) == 2
    assert "kite: KITE_PLUGIN_DEFAULTS must be a list of plugin defaults" in capsys.readouterr().err
