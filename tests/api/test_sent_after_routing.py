"""A held stream keeps none of FastAPI's per-request objects (`api/after_routing.py`).

While streams are open, the server holds no `Request` of theirs: the route and FastAPI's
handler have returned and only the stream itself is left. The stream is still wrapped by
every middleware (request id, security headers, CORS) and still ends on a disconnect.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
from httpx_sse import EventSource, connect_sse
from starlette.requests import Request

from tests.support.app import running_app
from tests.support.eventually import eventually

HELD = 3
SLOW = {"SIM_TOKENS_PER_SECOND": 4.0, "SIM_ANSWER_TOKENS": 400, "SIM_TTFT_MS": 0.0}
ORIGIN = "http://ui.example"


@pytest.fixture(scope="module")
def slow_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    directory: Path = tmp_path_factory.mktemp("after-routing")
    with running_app(directory, CORS_ORIGINS=[ORIGIN], **SLOW) as (base_url, _settings):
        yield base_url


def _requests_for(path: str) -> list[Request]:
    gc.collect()
    return [
        found
        for found in gc.get_objects()
        if isinstance(found, Request) and found.scope.get("path") == path
    ]


def _first_delta(source: EventSource) -> str:
    """Read up to the stream's first delta; its turn id."""
    turn_id = ""
    for sse in source.iter_sse():
        data = json.loads(sse.data)
        if sse.event == "turn_started":
            turn_id = data["turn_id"]
        if sse.event == "delta":
            return turn_id
    raise AssertionError("the stream ended before its first delta")


def test_open_streams_hold_no_request_object_and_keep_every_middleware(slow_app: str) -> None:
    with httpx.Client(base_url=slow_app, timeout=30) as client, ExitStack() as streams:
        turn_ids = []
        for number in range(HELD):
            source = streams.enter_context(
                connect_sse(
                    client,
                    "POST",
                    "/chat/streaming",
                    json={"message": f"held {number}", "agents": ["offline"]},
                    headers={"Origin": ORIGIN, "X-Request-ID": f"held-{number}"},
                )
            )
            headers = source.response.headers
            assert source.response.status_code == 200
            assert headers["x-request-id"] == f"held-{number}"  # the access log's middleware
            assert headers["x-content-type-options"] == "nosniff"  # security headers
            assert headers["access-control-allow-origin"] == ORIGIN  # CORS
            turn_ids.append(_first_delta(source))

        assert _requests_for("/chat/streaming") == []
    # The clients left: the server stops relaying to them at once (the turns go on).
    with httpx.Client(base_url=slow_app, timeout=30) as client:

        def streams_closed() -> bool:
            return "chatwait_open_streams 0.0" in client.get("/metrics").text.splitlines()

        eventually(streams_closed, timeout=10, message="streams still open after disconnect")
        for turn_id in turn_ids:
            assert client.get(f"/chat/turns/{turn_id}").json()["status"] == "running"
            assert client.post(f"/chat/turns/{turn_id}/cancel").status_code == 202
