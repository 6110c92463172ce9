"""Reading turn streams across replicas: heads, resumed tails, background followers.

Unlike `tests.support.sse.read_stream`, these keep the `error` event (it has no id) so a
test can see a stream end because the event log went away.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import httpx
from httpx_sse import connect_sse

from tests.support.eventually import eventually
from tests.support.sse import Event

ERROR_SEQ = -1
"""The seq given to an `error` event: it has no id (httpx-sse repeats the last one)."""


def read(
    base_url: str,
    method: str,
    path: str,
    *,
    json_body: dict[str, Any] | None = None,
    after: int | None = None,
    limit: int | None = None,
    on_event: Callable[[Event], None] | None = None,
    idempotency_key: str | None = None,
) -> list[Event]:
    """Every event of one SSE response (up to `limit`, then disconnect)."""
    headers = {"Last-Event-ID": str(after)} if after is not None else {}
    if idempotency_key is not None:
        headers["Idempotency-Key"] = idempotency_key
    events: list[Event] = []
    with (
        httpx.Client(base_url=base_url, timeout=60) as client,
        connect_sse(client, method, path, json=json_body, headers=headers) as source,
    ):
        source.response.raise_for_status()
        for sse in source.iter_sse():
            if not sse.data and sse.event in ("", "message"):
                continue  # a keep-alive comment: httpx-sse dispatches it with the last id
            seq = ERROR_SEQ if sse.event == "error" else int(sse.id)
            event = Event(seq, sse.event, json.loads(sse.data))
            events.append(event)
            if on_event is not None:
                on_event(event)
            if limit is not None and len(events) >= limit:
                break
    return events


def start(
    base_url: str,
    body: dict[str, Any],
    *,
    limit: int | None = None,
    idempotency_key: str | None = None,
) -> list[Event]:
    return read(
        base_url,
        "POST",
        "/chat/streaming",
        json_body=body,
        limit=limit,
        idempotency_key=idempotency_key,
    )


def resume(base_url: str, turn_id: str, after: int) -> list[Event]:
    return read(base_url, "GET", f"/chat/streaming/{turn_id}", after=after)


class Follower:
    """Reads one stream in a thread; the test waits on what it has seen so far."""

    def __init__(
        self, pool: ThreadPoolExecutor, base_url: str, method: str, path: str, **kwargs: Any
    ) -> None:
        self.events: list[Event] = []
        self._changed = threading.Condition()
        self.future: Future[list[Event]] = pool.submit(
            read, base_url, method, path, on_event=self._seen, **kwargs
        )

    def _seen(self, event: Event) -> None:
        with self._changed:
            self.events.append(event)
            self._changed.notify_all()

    def wait_for(self, check: Callable[[list[Event]], bool], timeout: float = 30.0) -> None:
        """Until `check(events so far)` holds (observable progress), or fail."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not check(self.events):
                left = deadline - time.monotonic()
                if left <= 0 or self.future.done():
                    break
                self._changed.wait(min(left, 0.5))
            if not check(self.events):
                raise AssertionError(f"stream never got there; saw {self.events[-5:]}")

    def result(self, timeout: float = 60.0) -> list[Event]:
        return self.future.result(timeout)


def deltas(events: list[Event]) -> int:
    return sum(1 for e in events if e.type == "delta")


def wait_for_turn(
    base_url: str, turn_id: str, check: Callable[[dict[str, Any]], bool], timeout: float = 60
) -> dict[str, Any]:
    """Poll `GET /chat/turns/{id}` until `check(turn)` holds; the turn as it was then."""

    seen: dict[str, Any] = {}

    def remember() -> dict[str, Any] | None:
        turn = httpx.get(f"{base_url}/chat/turns/{turn_id}", timeout=10).json()
        seen.clear()
        seen.update(turn)
        return turn if check(turn) else None

    return eventually(
        remember, timeout=timeout, message=lambda: f"turn {turn_id} never got there: {seen}"
    )


def ended(turn: dict[str, Any]) -> bool:
    return turn.get("status") not in (None, "running")
