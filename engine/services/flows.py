"""Deploying flows: validate the source, then store it as a new revision."""

from __future__ import annotations

from dataclasses import dataclass

from engine.flow.loader import parse_flow
from engine.flow.model import Flow
from engine.flow.plugin_defaults import ConfiguredDefaults
from engine.ports import FlowRecord, FlowRepository


@dataclass(frozen=True, slots=True)
class FlowService:
    repository: FlowRepository
    plugin_defaults: ConfiguredDefaults | None = None

    def deploy(self, source: str, filename: str = "<flow>") -> tuple[FlowRecord, Flow]:
        """Raises InvalidFlowError with every problem of the source, its configured defaults applied."""
        flow = parse_flow(source, filename, self.plugin_defaults)
        return self.repository.save(flow.namespace, flow.id, source), flow
