"""Flow revisions in a dict."""

from __future__ import annotations

from msgspec.structs import replace

from engine.ports import FlowRecord
from engine.resources import NotFoundError


class InMemoryFlowRepository:
    def __init__(self) -> None:
        self._revisions: dict[tuple[str, str], list[FlowRecord]] = {}
        self._generation = 0

    def save(self, namespace: str, flow_id: str, source: str, document: bytes | None = None) -> FlowRecord:
        revisions = self._revisions.setdefault((namespace, flow_id), [])
        latest = revisions[-1] if revisions else None
        if latest is not None and not latest.deleted and latest.source == source:
            return latest
        record = FlowRecord(namespace, flow_id, len(revisions) + 1, source, document=document)
        revisions.append(record)
        self._generation += 1
        return record

    def get(self, namespace: str, flow_id: str, revision: int | None = None) -> FlowRecord | None:
        revisions = self._revisions.get((namespace, flow_id), [])
        if revision is None:
            latest = revisions[-1] if revisions else None
            return None if latest is None or latest.deleted else latest
        return revisions[revision - 1] if 0 < revision <= len(revisions) else None

    def delete(self, namespace: str, flow_id: str) -> None:
        latest = self.get(namespace, flow_id)
        if latest is None:
            raise NotFoundError(f"flow {namespace}.{flow_id}")
        self._revisions[(namespace, flow_id)].append(
            replace(latest, revision=latest.revision + 1, deleted=True, document=None)
        )
        self._generation += 1

    def list(self, namespace: str | None = None) -> list[FlowRecord]:
        found = []
        for flow_namespace, flow_id in sorted(self._revisions):
            if namespace is not None and flow_namespace != namespace:
                continue
            latest = self.get(flow_namespace, flow_id)
            if latest is not None:
                found.append(latest)
        return found

    def generation(self) -> int:
        return self._generation
