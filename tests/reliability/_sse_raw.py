"""An SSE client that can hang up at any byte, the way real networks do.

`tests/support/sse.py` reads whole events; a dropped connection can also cut an event in
half. This reader stops after a given number of bytes and keeps only the frames it got
whole (terminated by the blank line), exactly what a browser's EventSource would have
dispatched and whose id it would resume from.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx

from tests.support.eventually import eventually_async
from tests.support.sse import Event


@dataclass
class Cut:
    """What one connection delivered before it was cut (or the server closed it)."""

    events: list[Event]
    turn_id: str
    ended: bool
    """The server closed the stream (after `turn_done`) before the cut."""


def parse_frames(raw: bytes) -> list[Event]:
    """The events of every complete frame in `raw`; comments (pings) and the torn tail dropped."""
    events = []
    for frame in raw.replace(b"\r\n", b"\n").split(b"\n\n")[:-1]:
        fields: dict[str, str] = {}
        for line in frame.decode("utf-8").split("\n"):
            if line and not line.startswith(":"):
                name, _, value = line.partition(":")
                fields[name] = value[1:] if value.startswith(" ") else value
        if "id" in fields:
            events.append(Event(int(fields["id"]), fields["event"], json.loads(fields["data"])))
    return events


async def read_until(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    cut_after_bytes: int | None,
    json_body: dict[str, Any] | None = None,
    last_event_id: int | None = None,
) -> Cut:
    """Open a stream and read it until `cut_after_bytes` (None: to its end), then hang up."""
    headers = {} if last_event_id is None else {"Last-Event-ID": str(last_event_id)}
    raw = bytearray()
    ended = True
    async with client.stream(method, url, json=json_body, headers=headers) as response:
        assert response.status_code == 200, (response.status_code, await response.aread())
        turn_id = response.headers["x-turn-id"]
        async for chunk in response.aiter_raw():
            raw += chunk
            if cut_after_bytes is not None and len(raw) >= cut_after_bytes:
                del raw[cut_after_bytes:]
                ended = False
                break
    return Cut(parse_frames(bytes(raw)), turn_id, ended)


async def wait_turn_ended(client: httpx.AsyncClient, turn_id: str, limit: float = 60.0) -> None:
    """Poll the stored turn until it is not `running` (observable state, bounded)."""

    async def ended() -> bool:
        return bool((await client.get(f"/chat/turns/{turn_id}")).json()["status"] != "running")

    await eventually_async(ended, timeout=limit, message=f"turn {turn_id} still running")
