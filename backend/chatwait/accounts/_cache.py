"""A small time-bounded map: what a replica read about a session or key, for a few seconds.

Correctness never depends on it: entries expire after `seconds` (AUTH_CACHE_SECONDS),
and this replica drops an entry the moment it revokes, deletes or disables what the
entry describes. Another replica may trust its copy until it expires.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

V = TypeVar("V")


class TtlCache(Generic[V]):
    def __init__(
        self,
        seconds: float,
        *,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.seconds = seconds
        self.max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, V]] = OrderedDict()

    def get(self, key: str) -> V | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[0] <= self._clock():
            del self._entries[key]
            return None
        return entry[1]

    def put(self, key: str, value: V) -> None:
        if self.seconds <= 0:
            return
        self._entries[key] = (self._clock() + self.seconds, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def drop(self, key: str) -> None:
        self._entries.pop(key, None)

    def drop_where(self, stale: Callable[[V], bool]) -> None:
        for key in [k for k, (_, value) in self._entries.items() if stale(value)]:
            del self._entries[key]
