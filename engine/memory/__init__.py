"""In-memory adapters of the ports, for fast tests. Pure Python: no AWS."""

from engine.memory.clock import FixedClock, ManualClock
from engine.memory.execution_store import InMemoryExecutionStore
from engine.memory.flow_repository import InMemoryFlowRepository
from engine.memory.http_client import CannedHttpClient
from engine.memory.ids import RandomIds
from engine.memory.kv_store import InMemoryKVStore
from engine.memory.message_bus import InMemoryMessageBus
from engine.memory.resources import in_memory_resources
from engine.memory.secret_store import InMemorySecretStore
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
