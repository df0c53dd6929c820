"""A flow's topology as Kestra's `/flows/{namespace}/{id}/graph` gives it (GraphUtils): nodes, edges and
clusters. A flowable is a cluster with a root, an end and its own task node; its children hang from it as
its `relation` says (in order, side by side, one branch each, or a loop); triggers are a cluster before the
flow's root. A node's uid is its cluster's uid, a dot, its task id (`root.parallel.first`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from msgspec import Struct, field

from engine.flow.model import Flow, Trigger
from engine.task_api import ExecutableTask, FlowableTask, TaskBase

_PACKAGE = "io.kestra.core.models.hierarchies."
_FLOWABLE_BRANCHES = {"errors": "ERROR", "finally": "FINALLY"}


def _relation(kind: str | None, value: str | None = None) -> dict[str, Any]:
    return {"relationType": kind, "value": value}


class _Cluster(Struct):
    uid: str
    relation: str | None
    task: TaskBase | None = None
    parents: list[str] = field(default_factory=list)
    nodes: list[str] = field(default_factory=list)

    @property
    def root(self) -> str:
        return f"{self.uid}.root"

    @property
    def end(self) -> str:
        return f"{self.uid}.end"

    @property
    def head(self) -> str:
        """Where its children start from: its task node, or its root."""
        return f"{self.uid}.{self.task.id}" if self.task is not None else self.root


class _Builder:
    def __init__(self, task_runs: Mapping[str, dict[str, Any]] | None = None) -> None:
        self.task_runs = task_runs or {}  # the latest run of each task (an execution's graph), in JSON
        self.nodes: list[dict[str, Any]] = []
        self.edges: list[dict[str, Any]] = []
        self.clusters: list[dict[str, Any]] = []

    def node(self, cluster: _Cluster, uid: str, kind: str, extra: dict[str, Any] | None = None) -> str:
        node = {"uid": uid, "type": _PACKAGE + kind, "error": False, **(extra or {})}
        task_id = (extra or {}).get("task", {}).get("id")
        if task_id in self.task_runs:
            node["taskRun"] = self.task_runs[task_id]
        self.nodes.append(node)
        cluster.nodes.append(uid)
        return uid

    def edge(self, source: str, target: str, relation: dict[str, Any] | None = None) -> None:
        self.edges.append({"source": source, "target": target, "relation": relation or _relation(None)})

    def cluster(self, uid: str, relation: str | None, parents: list[str], task: TaskBase | None) -> _Cluster:
        cluster = _Cluster(uid, relation, task, parents)
        self.node(cluster, cluster.root, "GraphClusterRoot")
        self.node(cluster, cluster.end, "GraphClusterEnd")
        return cluster

    def close(self, cluster: _Cluster) -> None:
        entry: dict[str, Any] = {"uid": cluster.uid, "type": _PACKAGE + "GraphCluster", "error": False}
        entry["relationType"] = cluster.relation
        if cluster.task is not None:
            entry["taskNode"] = {"uid": cluster.head, "task": _task(cluster.task)}
        self.clusters.append(
            {
                "cluster": entry,
                "nodes": cluster.nodes,
                "parents": cluster.parents,
                "start": cluster.root,
                "end": cluster.end,
            }
        )

    # --- tasks ---------------------------------------------------------------------------------------

    def fill(self, cluster: _Cluster, tasks: Sequence[TaskBase], kind: str, value: str | None = None) -> None:
        """`tasks` under `cluster`: each after the previous one (or, PARALLEL, each from the cluster's head),
        the last (or every one, PARALLEL) on to the cluster's end; ERROR and FINALLY branches start from
        the cluster's root."""
        previous = cluster.root if kind in ("ERROR", "FINALLY", "AFTER_EXECUTION") else cluster.head
        for index, task in enumerate(tasks):
            entry, exit_ = self.task(cluster, task, kind)
            self.edge(previous, entry, _relation(kind, value if index == 0 or kind != "SEQUENTIAL" else None))
            if kind == "PARALLEL":
                self.edge(exit_, cluster.end)
                continue
            previous = exit_
        if tasks and kind != "PARALLEL":
            self.edge(previous, cluster.end)

    def task(self, cluster: _Cluster, task: TaskBase, kind: str) -> tuple[str, str]:
        """Add `task`; where an edge enters it and where one leaves it."""
        uid = f"{cluster.uid}.{task.id}"
        if isinstance(task, FlowableTask):
            return self.flowable(cluster, task, uid)
        children = list(task.child_lists()) if task.runs_its_children() else []
        if children:
            inner = self.cluster(uid, "SEQUENTIAL", [*cluster.parents, cluster.uid], task)
            self.node(inner, inner.head, "GraphTask", {"task": _task(task), "relationType": kind})
            self.edge(inner.root, inner.head)
            for _, tasks in children:
                self.fill(inner, tasks, "SEQUENTIAL")
            self.close(inner)
            return inner.root, inner.end
        node_kind = "SubflowGraphTask" if isinstance(task, ExecutableTask) else "GraphTask"
        self.node(cluster, uid, node_kind, {"task": _task(task), "relationType": kind})
        return uid, uid

    def flowable(self, cluster: _Cluster, task: FlowableTask, uid: str) -> tuple[str, str]:
        inner = self.cluster(uid, task.relation, [*cluster.parents, cluster.uid], task)
        self.node(inner, inner.head, "GraphTask", {"task": _task(task), "relationType": task.relation})
        self.edge(inner.root, inner.head)
        depends = task.depends_on()
        for name, tasks in task.child_lists():
            if name in _FLOWABLE_BRANCHES:
                self.fill(inner, tasks, _FLOWABLE_BRANCHES[name])
            elif depends:
                self.dag(inner, tasks, depends)
            else:
                self.fill(inner, tasks, task.relation, name if task.relation == "CHOICE" else None)
        self.close(inner)
        return inner.root, inner.end

    def dag(self, cluster: _Cluster, tasks: Sequence[TaskBase], depends: Mapping[str, list[str]]) -> None:
        exits: dict[str, str] = {}
        entries: dict[str, str] = {}
        for task in tasks:
            entries[task.id], exits[task.id] = self.task(cluster, task, "PARALLEL")
        needed = {dep for deps in depends.values() for dep in deps}
        for task in tasks:
            sources = [exits[dep] for dep in depends.get(task.id, []) if dep in exits] or [cluster.head]
            for source in sources:
                self.edge(source, entries[task.id], _relation("PARALLEL"))
            if task.id not in needed:
                self.edge(exits[task.id], cluster.end)


# Child lists are nodes of their own, not properties of their parent's node.
_CHILD_PROPERTIES = frozenset({"tasks", "then", "else", "cases", "defaults", "errors", "finally", "onPause"})


def _task(task: TaskBase) -> dict[str, Any]:
    dumped = task.model_dump(mode="json", by_alias=True, exclude_none=True)
    return {key: value for key, value in dumped.items() if key not in _CHILD_PROPERTIES}


def _trigger(trigger: Trigger) -> dict[str, Any]:
    return trigger.model_dump(mode="json", by_alias=True, exclude_none=True)


def flow_graph(flow: Flow, task_runs: Mapping[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """Kestra's FlowGraph of `flow`: `nodes`, `edges`, `clusters`, `flowables`; with an execution's
    `task_runs` (the latest of each task, by task id), each task's node carries its `taskRun`."""
    builder = _Builder(task_runs)
    root = builder.cluster("root", None, [], None)
    if flow.triggers:
        triggers = builder.cluster("root.Triggers", None, ["root"], None)
        for trigger in flow.triggers:
            uid = builder.node(
                triggers,
                f"root.Triggers.{trigger.id}",
                "GraphTrigger",
                {"triggerDeclaration": _trigger(trigger)},
            )
            builder.edge(triggers.root, uid)
            builder.edge(uid, triggers.end)
        builder.close(triggers)
        builder.edge(triggers.end, root.root)
    builder.fill(root, flow.tasks, "SEQUENTIAL")
    for name, tasks in (
        ("ERROR", flow.errors),
        ("FINALLY", flow.finally_),
        ("AFTER_EXECUTION", flow.after_execution),
    ):
        if tasks:
            builder.fill(root, tasks, name)
    flowables = [c["cluster"]["taskNode"]["uid"] for c in builder.clusters if "taskNode" in c["cluster"]]
    return {
        "nodes": builder.nodes,
        "edges": builder.edges,
        "clusters": builder.clusters,
        "flowables": flowables,
    }
