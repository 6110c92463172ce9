"""Turn event logs: in-process by default, Redis Streams when `REDIS_URL` is set."""

from chatwait.event_log.base import (
    EventLogUnavailable,
    LoggedEvent,
    LogRead,
    SeqRefused,
    TurnEventLog,
)
from chatwait.event_log.memory import MemoryEventLog
from chatwait.event_log.redis import RedisEventLog, RedisLogUnreachable
from chatwait.event_log.replicated import ReplicatedEventLog

__all__ = [
    "EventLogUnavailable",
    "LogRead",
    "LoggedEvent",
    "MemoryEventLog",
    "RedisEventLog",
    "RedisLogUnreachable",
    "ReplicatedEventLog",
    "SeqRefused",
    "TurnEventLog",
]
