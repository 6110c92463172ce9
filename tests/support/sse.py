"""Read SSE turn streams with a real SSE client (httpx-sse)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx
from httpx_sse import connect_sse


@dataclass(frozen=True)
class Event:
    seq: int
    type: str
    data: dict[str, Any]


def read_stream(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    json_body: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    limit: int | None = None,
) -> list[Event]:
    """Events of one SSE response, stopping after `limit` events (then disconnecting)."""
    events: list[Event] = []
    with connect_sse(client, method, url, json=json_body, headers=headers or {}) as source:
        source.response.raise_for_status()
        for sse in source.iter_sse():
            events.append(Event(int(sse.id), sse.event, json.loads(sse.data)))
            if limit is not None and len(events) >= limit:
                break
    return events


def texts_by_run(events: list[Event]) -> dict[str, str]:
    """Each run's deltas joined in index order."""
    chunks: dict[str, dict[int, str]] = {}
    for event in events:
        if event.type == "delta":
            chunks.setdefault(event.data["run_id"], {})[event.data["index"]] = event.data["text"]
    return {run: "".join(parts[i] for i in sorted(parts)) for run, parts in chunks.items()}
