"""Parsed flows by (namespace, id, revision): a revision never changes, so it is parsed once per process."""

from __future__ import annotations

from collections import OrderedDict

from engine.flow.graph import FlowGraph
from engine.flow.loader import parse_flow
from engine.flow.plugin_defaults import ConfiguredDefaults
from engine.ports import FlowRecord, FlowRepository
from engine.resources import NotFoundError


class FlowCatalog:
    def __init__(
        self,
        repository: FlowRepository,
        plugin_defaults: ConfiguredDefaults | None = None,
        max_size: int = 256,
    ) -> None:
        self.repository = repository
        # The configured defaults are applied when a revision is read, so they follow the configuration.
        self.plugin_defaults = plugin_defaults
        self._graphs: OrderedDict[tuple[str, str, int], FlowGraph] = OrderedDict()
        self._max_size = max_size

    def record(self, namespace: str, flow_id: str, revision: int | None = None) -> FlowRecord:
        record = self.repository.get(namespace, flow_id, revision)
        if record is None:
            which = f" revision {revision}" if revision is not None else ""
            raise NotFoundError(f"Unable to find flow '{namespace}.{flow_id}'{which}")
        return record

    def graph(self, namespace: str, flow_id: str, revision: int | None = None) -> FlowGraph:
        if revision is None:
            revision = self.record(namespace, flow_id).revision
        key = (namespace, flow_id, revision)
        graph = self._graphs.get(key)
        if graph is None:
            record = self.record(namespace, flow_id, revision)
            name = f"{namespace}.{flow_id}@{revision}"
            flow = parse_flow(record.source, name, self.plugin_defaults, record.document)
            graph = FlowGraph.of(flow, revision)
            self._graphs[key] = graph
            if len(self._graphs) > self._max_size:
                self._graphs.popitem(last=False)
        else:
            self._graphs.move_to_end(key)
        return graph
