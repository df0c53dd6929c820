"""Render a typical task's properties in a loop and print renders per second.

Run: .venv/bin/python bench/render_bench.py [seconds]
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from typing import Any

from engine.expressions import Renderer


class _Clock:
    def now(self) -> datetime:
        return datetime(2024, 1, 15, 10, 30, tzinfo=UTC)


CONTEXT: dict[str, Any] = {
    "flow": {"id": "etl", "namespace": "company.team", "revision": 3},
    "execution": {"id": "4wjtkzwVGBM9yKnjm3yv8r", "startDate": datetime(2024, 1, 15, 10, 30, tzinfo=UTC)},
    "inputs": {"customer": "ACME Corp", "limit": 50, "regions": ["eu", "us"], "dry_run": False},
    "outputs": {
        "extract": {"uri": "kestra:///company/team/etl/data.csv", "rows": 1234},
        "each": {"eu": {"value": "ok"}, "us": {"value": "ko"}},
    },
    "vars": {"bucket": "s3://data-lake", "prefix": "raw"},
    "taskrun": {"id": "tr1", "value": "eu"},
}

PROPERTIES: dict[str, Any] = {
    "uri": "{{ vars.bucket }}/{{ vars.prefix }}/{{ execution.startDate | date('yyyy/MM/dd') }}/file.csv",
    "message": "Loaded {{ outputs.extract.rows }} rows for {{ inputs.customer | upper }} ({{ flow.id }})",
    "limit": "{{ inputs.limit * 2 }}",
    "runIf": "{{ inputs.dry_run == false and outputs.extract.rows > 0 }}",
    "regions": "{{ inputs.regions | join(',') }}",
    "status": "{{ outputs.each[taskrun.value].value ?? 'none' }}",
    "headers": {"X-Execution": "{{ execution.id }}", "X-Static": "static value"},
    "body": "{{ {'customer': inputs.customer, 'rows': outputs.extract.rows} | toJson }}",
}


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 2.0
    renderer = Renderer()
    services = _Clock()
    print(renderer.render_value(PROPERTIES, CONTEXT, services))
    templates = [v for v in PROPERTIES.values() if isinstance(v, str)]
    count = 0
    start = time.perf_counter()
    deadline = start + seconds
    while time.perf_counter() < deadline:
        for _ in range(100):
            renderer.render_value(PROPERTIES, CONTEXT, services)
        count += 100
    elapsed = time.perf_counter() - start
    per_task = elapsed / count
    per_template = per_task / (len(templates) + 1)
    print(f"{count / elapsed:,.0f} task renders/s ({len(templates) + 2} properties each)")
    print(f"{1 / per_template:,.0f} template renders/s, {per_template * 1e6:.1f} µs per template")


if __name__ == "__main__":
    main()
