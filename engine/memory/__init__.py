"""In-memory adapters of the ports, for fast tests. Pure Python: no AWS."""

from engine.memory.bus import InMemoryMessageBus
from engine.memory.clock import FixedClock, ManualClock
from engine.memory.executions import InMemoryExecutionStore
from engine.memory.flows import InMemoryFlowRepository
from engine.memory.http import CannedHttpClient
from engine.memory.ids import RandomIds
from engine.memory.kv import InMemoryKVStore
from engine.memory.resources import in_memory_resources
from engine.memory.secrets import InMemorySecretStore
from engine.memory.storage import InMemoryStorage

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
