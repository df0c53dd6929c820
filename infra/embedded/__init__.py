"""The embedded stack: the resources of template.yaml in moto, in-process, with a pump that plays Lambda's
event sources and EventBridge Scheduler, on a real or virtual clock."""

from infra.embedded.clock import SystemClock, VirtualClock
from infra.embedded.pump import Pump, PumpTimeoutError
from infra.embedded.stack import EmbeddedStack

__all__ = ["EmbeddedStack", "Pump", "PumpTimeoutError", "SystemClock", "VirtualClock"]
