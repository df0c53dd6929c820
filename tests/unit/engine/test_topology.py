"""A flow's topology in Kestra's FlowGraph shape (what the UI draws)."""

from __future__ import annotations

from engine.flow.loader import parse_flow
from engine.flow.topology import flow_graph

FLOW = """id: shapes
namespace: demo
tasks:
  - id: first
    type: io.kestra.plugin.core.log.Log
    message: hi
  - id: both
    type: io.kestra.plugin.core.flow.Parallel
    tasks:
      - id: left
        type: io.kestra.plugin.core.debug.Return
        format: l
      - id: right
        type: io.kestra.plugin.core.debug.Return
        format: r
  - id: choose
    type: io.kestra.plugin.core.flow.If
    condition: "{{ true }}"
    then:
      - id: yes
        type: io.kestra.plugin.core.log.Log
        message: yes
    else:
      - id: no
        type: io.kestra.plugin.core.log.Log
        message: no
  - id: dag
    type: io.kestra.plugin.core.flow.Dag
    tasks:
      - task: {id: a, type: io.kestra.plugin.core.log.Log, message: a}
      - task: {id: b, type: io.kestra.plugin.core.log.Log, message: b}
        dependsOn: [a]
errors:
  - id: alert
    type: io.kestra.plugin.core.log.Log
    message: failed
triggers:
  - id: hook
    type: io.kestra.plugin.core.trigger.Webhook
    key: k
"""


def test_a_flow_s_topology_in_kestras_shape() -> None:
    graph = flow_graph(parse_flow(FLOW))
    uids = {node["uid"]: node["type"].rsplit(".", 1)[-1] for node in graph["nodes"]}
    assert uids["root.first"] == "GraphTask"
    assert uids["root.both.left"] == "GraphTask"
    assert uids["root.Triggers.hook"] == "GraphTrigger"
    edges = {(e["source"], e["target"]): e["relation"]["relationType"] for e in graph["edges"]}
    assert edges[("root.Triggers.end", "root.root")] is None
    assert edges[("root.root", "root.first")] == "SEQUENTIAL"
    assert edges[("root.first", "root.both.root")] == "SEQUENTIAL"
    assert edges[("root.both.both", "root.both.left")] == "PARALLEL"
    assert edges[("root.both.both", "root.both.right")] == "PARALLEL"
    assert edges[("root.both.end", "root.choose.root")] == "SEQUENTIAL"
    assert edges[("root.dag.a", "root.dag.b")] == "PARALLEL"
    assert edges[("root.root", "root.alert")] == "ERROR"
    choice = {e["relation"]["value"] for e in graph["edges"] if e["source"] == "root.choose.choose"}
    assert choice == {"then", "else"}
    clusters = {c["cluster"]["uid"]: c for c in graph["clusters"]}
    assert set(clusters) == {"root.Triggers", "root.both", "root.choose", "root.dag"}
    assert clusters["root.both"]["cluster"]["relationType"] == "PARALLEL"
    assert clusters["root.both"]["parents"] == ["root"]
    assert "tasks" not in clusters["root.both"]["cluster"]["taskNode"]["task"]
    assert graph["flowables"] == ["root.both.both", "root.choose.choose", "root.dag.dag"]
