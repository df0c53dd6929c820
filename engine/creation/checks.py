"""Flow `checks` (spec part 1 §8): conditions on the typed inputs, evaluated before an execution exists."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from msgspec import Struct

from engine.expressions import ExpressionError, Renderer, RenderServices, is_truthy
from engine.flow.model import Check, Flow

# Among the failed checks the most restrictive behaviour wins.
_ORDER = ("BLOCK_EXECUTION", "FAIL_EXECUTION", "CREATE_EXECUTION")
FAILED_MESSAGE = "Flow execution failed because one or more condition checks evaluated to false."


class Verdict(Struct, frozen=True):
    behavior: str  # CREATE_EXECUTION when every check holds
    messages: tuple[str, ...] = ()

    @property
    def refusal(self) -> str:
        """Kestra's answer to a blocked creation."""
        return (
            "Flow execution blocked: one or more condition checks evaluated to false.\n"
            f"Failed checks: {', '.join(self.messages)}"
        )


def evaluate(
    flow: Flow, revision: int, inputs: Mapping[str, Any], renderer: Renderer, services: RenderServices
) -> Verdict:
    """A condition that cannot be rendered counts as a failed BLOCK_EXECUTION check that says why."""
    variables = {
        "inputs": dict(inputs),
        "flow": {"id": flow.id, "namespace": flow.namespace, "revision": revision},
    }
    failed: list[Check] = []
    for check in flow.checks or ():
        try:
            holds = is_truthy(renderer.render(check.condition, variables, services))
        except ExpressionError as exc:
            message = f"Failed to evaluate check condition. Cause: {exc}"
            failed.append(Check(condition=check.condition, message=message, behavior="BLOCK_EXECUTION"))
            continue
        if not holds:
            failed.append(check)
    if not failed:
        return Verdict("CREATE_EXECUTION")
    behavior = min((c.behavior for c in failed), key=_ORDER.index)
    return Verdict(behavior, tuple(c.message for c in failed))
