"""Fault matrix: every fault of the offline provider, beside a healthy agent, in both modes.

Each cell is one turn of two agents: `offline` on a fault model and `offline-2` healthy,
sent over real HTTP to a real server whose provider is a separate offline-provider server.
All cells run at once (faults must not interfere with each other), then each is checked:
the healthy run is `done` with exactly the answer it gives when nothing fails; the faulty
run has the expected status, error code, retryability, attempt count and partial text;
the turn ended; and the stream, the HTTP view and the stored rows agree.

Partial text is checked against a reference turn of the same message with nothing
failing: the offline provider is deterministic, so `fault-drop-after-5` must have kept
whole chunks from the start of that answer, in order, none twice, at most five. Not
always five: when the connection breaks, the Agents SDK (0.24, `RunResultStreaming.
stream_events`) raises without handing over events it had already queued, so the last
chunks received can be lost; the stream and the stored text still agree on what was kept.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from chatwait.sim import SimConfig, create_sim_app
from tests.reliability._checks import (
    assert_stream_matches_store,
    assert_view_matches_store,
    terminal_events,
)
from tests.reliability._db import row_counts
from tests.support.app import running_app
from tests.support.eventually import eventually
from tests.support.servers import serve_in_thread
from tests.support.sse import Event, read_stream

RETRY_AFTER = 0.3
PROVIDER_TIMEOUT = 1.0
RETRIES = 2
RUN_TIMEOUT = 8.0
CLOCK_SLACK_MS = 5.0
"""Timers may fire a hair early (the selector's millisecond rounding)."""
SIM = SimConfig(
    ttft_ms=5,
    tokens_per_second=400,
    answer_tokens=24,
    retry_after_seconds=RETRY_AFTER,
    hang_seconds=60,
)


@dataclass(frozen=True)
class Cell:
    """One fault and what the faulty run must end as."""

    name: str
    model: str
    status: str
    code: str | None
    retryable: bool
    attempts: int
    kept: int | str
    """Chunks of the reference answer kept: a number, "all", or "some" (cut by a timer)."""
    min_latency_ms: float = 0.0
    """A lower bound the contract implies (Retry-After honoured, each timeout waited)."""
    agent: str = "offline"


CELLS = [
    Cell(
        "429",
        "fault-429",
        "error",
        "rate_limited",
        True,
        RETRIES + 1,
        0,
        min_latency_ms=RETRIES * RETRY_AFTER * 1000,
    ),
    Cell("500", "fault-500", "error", "provider_error", True, RETRIES + 1, 0),
    Cell("401", "fault-401", "error", "auth_error", False, 1, 0),
    Cell(
        "hang",
        "fault-hang",
        "timeout",
        "timeout",
        True,
        RETRIES + 1,
        0,
        min_latency_ms=(RETRIES + 1) * PROVIDER_TIMEOUT * 1000,
    ),
    Cell(
        "slow-past-run-timeout",
        "fault-drop-after-1000000",
        "timeout",
        "timeout",
        True,
        1,
        "some",
        min_latency_ms=RUN_TIMEOUT * 1000,
    ),
    Cell("malformed", "fault-malformed", "error", "malformed_response", False, 1, 2),
    Cell(
        "drop-before-first-token",
        "fault-drop-after-0",
        "error",
        "connection_error",
        True,
        RETRIES + 1,
        0,
    ),
    Cell("drop-after-5", "fault-drop-after-5", "error", "stream_dropped", True, 1, 5),
    Cell("flaky-2", f"fault-flaky-{RETRIES}", "done", None, False, RETRIES + 1, "all"),
    Cell("flaky-3", f"fault-flaky-{RETRIES + 1}", "error", "provider_error", True, RETRIES + 1, 0),
    Cell("upstream-unknown-model", "ghost-model", "error", "not_found", False, 1, 0, agent="ghost"),
]
MODES = ("wait", "streaming")


@dataclass
class Outcome:
    """What one cell produced: the stream, the HTTP view, and the reference answers."""

    events: list[Event]
    view: dict[str, Any]
    reference: dict[str, list[str]]
    """Agent -> its answer chunks for the same message with nothing failing."""


@dataclass(frozen=True)
class Matrix:
    base_url: str
    database_url: str
    sim: Any
    """The provider app: its gauges show requests still held open against it."""


@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Matrix]:
    sim_app = create_sim_app(SIM)
    with serve_in_thread(sim_app) as sim_url:
        ghost = {"name": "ghost", "base_url": f"{sim_url}/v1", "models": ["ghost-model"]}
        with running_app(
            tmp_path_factory.mktemp("faults"),
            OFFLINE_BASE_URL=f"{sim_url}/v1",
            PROVIDER_TIMEOUT_SECONDS=PROVIDER_TIMEOUT,
            PROVIDER_MAX_RETRIES=RETRIES,
            RUN_TIMEOUT_SECONDS=RUN_TIMEOUT,
            COMPATIBLE_PROVIDERS=[ghost],
        ) as (base_url, settings):
            yield Matrix(base_url, settings.resolved_database_url, sim_app.state.sim)


def _reference(client: httpx.Client, message: str) -> dict[str, list[str]]:
    events = read_stream(
        client,
        "POST",
        "/chat/streaming",
        json_body={"message": message, "agents": ["offline", "offline-2"]},
    )
    agent_of = {r["run_id"]: r["agent"] for r in events[0].data["runs"]}
    chunks: dict[str, list[str]] = {"offline": [], "offline-2": []}
    for event in events:
        if event.type == "delta":
            chunks[agent_of[event.data["run_id"]]].append(event.data["text"])
    return chunks


def _run_cell(base_url: str, cell: Cell, mode: str) -> Outcome:
    message = f"Fault cell {cell.name} in {mode} mode ({uuid.uuid4().hex[:8]})"
    body = {
        "message": message,
        "agents": [cell.agent, "offline-2"],
        "models": {cell.agent: cell.model},
    }
    with httpx.Client(base_url=base_url, timeout=60) as client:
        reference = _reference(client, message)
        if mode == "wait":
            response = client.post("/chat/wait", json=body)
            assert response.status_code == 200, response.text
            view = response.json()
            events = read_stream(client, "GET", f"/chat/streaming/{view['turn_id']}")
        else:
            events = read_stream(client, "POST", "/chat/streaming", json_body=body)
            view = client.get(f"/chat/turns/{events[0].data['turn_id']}").json()
    return Outcome(events, view, reference)


@pytest.fixture(scope="module")
def outcomes(matrix: Matrix) -> dict[tuple[str, str], Outcome]:
    """Every cell in both modes, all at once."""
    base_url = matrix.base_url
    keys = list(itertools.product(MODES, CELLS))
    with ThreadPoolExecutor(max_workers=len(keys)) as pool:
        futures = {(m, c.name): pool.submit(_run_cell, base_url, c, m) for m, c in keys}
        return {key: future.result() for key, future in futures.items()}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("cell", CELLS, ids=lambda c: c.name)
def test_fault_cell(
    matrix: Matrix, outcomes: dict[tuple[str, str], Outcome], cell: Cell, mode: str
) -> None:
    outcome = outcomes[(mode, cell.name)]
    view, events = outcome.view, outcome.events
    assert view["status"] == "done", "one run failing never fails the turn"
    faulty, healthy = view["runs"]

    assert healthy["status"] == "done" and healthy["error"] is None
    assert healthy["output"] == "".join(outcome.reference["offline-2"])
    assert healthy["attempts"] == 1

    assert (faulty["agent"], faulty["model"]) == (cell.agent, cell.model)
    assert faulty["status"] == cell.status
    code = (faulty["error"] or {}).get("code")
    if cell.code == "stream_dropped" and not faulty["output"]:
        assert code == "connection_error", "all it had was lost: it looks like no answer"
    else:
        assert code == cell.code
    if cell.code is not None:
        assert faulty["error"]["retryable"] is cell.retryable
        assert faulty["error"]["message"]
    assert faulty["attempts"] == cell.attempts
    assert faulty["latency_ms"] >= cell.min_latency_ms - CLOCK_SLACK_MS
    reference = outcome.reference["offline"]
    if cell.kept == "all":
        assert faulty["output"] == "".join(reference)
    elif cell.kept == "some":
        assert faulty["output"], "a run cut short by a timer keeps what it had"
    else:
        assert isinstance(cell.kept, int)
        assert _whole_chunks(faulty["output"], reference) <= cell.kept

    assert_view_matches_store(view, matrix.database_url)
    assert_stream_matches_store(events, matrix.database_url)
    end = terminal_events(events)[faulty["run_id"]]
    assert end.type == ("run_done" if cell.status == "done" else "run_error")


def _whole_chunks(text: str, reference: list[str]) -> int:
    """How many chunks from the start of `reference` make up `text` (fails if none do)."""
    for count in range(len(reference) + 1):
        if "".join(reference[:count]) == text:
            return count
    raise AssertionError(f"{text!r} is not whole chunks from the start of the answer")


def test_hung_upstream_requests_are_all_released(
    matrix: Matrix, outcomes: dict[tuple[str, str], Outcome]
) -> None:
    """After the timeouts, no request stays open against the provider.

    The provider sees a client's hang-up a moment after the client made it: polled.
    """
    assert outcomes
    eventually(
        lambda: not (matrix.sim.hanging.value or matrix.sim.streaming.value),
        timeout=10,
        interval=0.02,
        message=lambda: f"still open: {(matrix.sim.hanging.value, matrix.sim.streaming.value)}",
    )


@pytest.mark.parametrize("route", ["/chat/wait", "/chat/streaming"])
def test_model_outside_the_allowlist_is_refused_before_anything_runs(
    matrix: Matrix, route: str
) -> None:
    before = row_counts(matrix.database_url)
    body = {"message": "hi", "agents": ["ghost"], "models": {"ghost": "offline-1"}}
    response = httpx.post(matrix.base_url + route, json=body, timeout=30)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "unknown_model"
    assert row_counts(matrix.database_url) == before
