"""The embedded stack: the resources of template.yaml in moto, in-process, with a pump that plays Lambda's
event sources and EventBridge Scheduler, on a real or virtual clock."""

from kite.infra.embedded.clock import SystemClock, VirtualClock
from kite.infra.embedded.pump import Pump, PumpTimeoutError
from kite.infra.embedded.stack import EmbeddedStack

__all__ = ["EmbeddedStack", "Pump", "PumpTimeoutError", "SystemClock", "VirtualClock"]
