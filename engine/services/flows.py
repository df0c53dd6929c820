"""Deploying flows: validate the source, store it as a new revision, and wake its schedules."""

from __future__ import annotations

from msgspec import Struct

from engine.flow.document import encode_document
from engine.flow.loader import read_flow
from engine.flow.model import Flow
from engine.flow.plugin_defaults import ConfiguredDefaults
from engine.ports import FlowRecord, FlowRepository
from engine.services.schedules import ScheduleService


class FlowService(Struct, frozen=True):
    repository: FlowRepository
    plugin_defaults: ConfiguredDefaults | None = None
    schedules: ScheduleService | None = None

    def deploy(self, source: str, filename: str = "<flow>") -> tuple[FlowRecord, Flow]:
        """Raises InvalidFlowError with every problem of the source, its configured defaults applied."""
        flow, document = read_flow(source, filename, self.plugin_defaults)
        record = self.repository.save(flow.namespace, flow.id, source, encode_document(document, source))
        if self.schedules is not None:
            self.schedules.flow_saved(flow)
        return record, flow

    def delete(self, namespace: str, flow_id: str) -> None:
        self.repository.delete(namespace, flow_id)
        if self.schedules is not None:
            self.schedules.flow_deleted(namespace, flow_id)
