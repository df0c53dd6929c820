"""io.kestra.plugin.core.flow.AllowFailure (legacy, superseded by the `allowFailure` property): a
Sequential whose failure ends WARNING once its `errors` and `finally` have run (spec part 2 §1.3, §7.4)."""

from __future__ import annotations

from engine.model.state import StateType
from engine.task_api import FlowableScope, task_type
from engine.tasks.sequential import Sequential


@task_type("io.kestra.plugin.core.flow.AllowFailure", "io.kestra.core.tasks.flows.AllowFailure")
class AllowFailure(Sequential):
    def resolve_state(self, scope: FlowableScope) -> StateType | None:
        state = super().resolve_state(scope)
        # Kestra maps FAILED to WARNING itself, after the task's own flags: `allowWarning` alone does not
        # turn this WARNING into SUCCESS.
        return StateType.WARNING if state == StateType.FAILED else state
