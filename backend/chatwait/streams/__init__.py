"""Turn event logs: in-process by default, Redis Streams when `REDIS_URL` is set."""

from chatwait.streams.base import EventLogUnavailable, LoggedEvent, LogRead, TurnEventLog
from chatwait.streams.memory import MemoryEventLog
from chatwait.streams.redis import RedisEventLog, RedisLogUnreachable

__all__ = [
    "EventLogUnavailable",
    "LogRead",
    "LoggedEvent",
    "MemoryEventLog",
    "RedisEventLog",
    "RedisLogUnreachable",
    "TurnEventLog",
]
