"""Deploying flows: validate the source, then store it as a new revision."""

from __future__ import annotations

from dataclasses import dataclass

from kite.engine.flow import Flow
from kite.engine.loader.flow_loader import parse_flow
from kite.engine.ports import FlowRecord, FlowRepository


@dataclass(frozen=True, slots=True)
class FlowService:
    repository: FlowRepository

    def deploy(self, source: str, filename: str = "<flow>") -> tuple[FlowRecord, Flow]:
        """Raises InvalidFlowError with every problem of the source."""
        flow = parse_flow(source, filename)
        return self.repository.save(flow.namespace, flow.id, source), flow
