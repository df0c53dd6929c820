"""In-memory adapters of the ports, for fast tests. Pure Python: no AWS."""

from kite.engine.memory.bus import InMemoryMessageBus
from kite.engine.memory.clock import FixedClock, ManualClock
from kite.engine.memory.executions import InMemoryExecutionStore
from kite.engine.memory.flows import InMemoryFlowRepository
from kite.engine.memory.http import CannedHttpClient
from kite.engine.memory.ids import RandomIds
from kite.engine.memory.kv import InMemoryKVStore
from kite.engine.memory.resources import in_memory_resources
from kite.engine.memory.secrets import InMemorySecretStore
from kite.engine.memory.storage import InMemoryStorage

__all__ = [
    "CannedHttpClient",
    "FixedClock",
    "InMemoryExecutionStore",
    "InMemoryFlowRepository",
    "InMemoryKVStore",
    "InMemoryMessageBus",
    "InMemorySecretStore",
    "InMemoryStorage",
    "ManualClock",
    "RandomIds",
    "in_memory_resources",
]
