"""The server process dies (SIGKILL) or is asked to stop (SIGTERM) in the middle of turns.

Real `chatwait` processes on a real database: streaming clients and a waiting client are
mid-turn when the signal lands. After a crash, a restart on the same database leaves no
run `running`: runs that had finished keep their text, the others are `interrupted`
with what they had persisted (nothing: text is written when a run ends), and the resume
route replays what is known and closes with `turn_done` instead of hanging. After
SIGTERM, in-flight runs finish or end `interrupted` within the grace period with the
text they had, every waiting client gets its answer, and a stream cut by the exit
resumes on the restarted server exactly where it broke.
"""

from __future__ import annotations

import json
import signal
import threading
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
from httpx_sse import connect_sse

from tests.reliability._checks import assert_stream_matches_store, assert_well_formed
from tests.reliability._db import query, runs_of_turn, turn_row
from tests.support.databases import throwaway_database
from tests.support.eventually import eventually
from tests.support.processes import chatwait_server
from tests.support.sse import Event, read_stream, texts_by_run

SLOW = {"SIM_TOKENS_PER_SECOND": 20, "SIM_ANSWER_TOKENS": 20}
"""`offline` answers in about 1 s, `offline-2` in about 2 s."""
LONG = "fault-drop-after-1000000"
"""A model that streams for hours: only a signal ends it."""
GRACE = 3.0


class OpenStream:
    """A streaming turn a client is reading, left open until the test closes it."""

    def __init__(self, client: httpx.Client, body: dict[str, Any], stack: ExitStack) -> None:
        self.source = stack.enter_context(connect_sse(client, "POST", "/chat/streaming", json=body))
        self.iterator = self.source.iter_sse()
        self.events: list[Event] = []

    @property
    def turn_id(self) -> str:
        return str(self.events[0].data["turn_id"])

    def read_until(self, done: Any) -> None:
        """Read events until `done(events)` holds (observable progress of the turn)."""
        for sse in self.iterator:
            self.events.append(Event(int(sse.id), sse.event, json.loads(sse.data)))
            if done(self.events):
                return
        raise AssertionError("stream ended early")

    def read_rest(self) -> bool:
        """Read until the server closes the stream; False if it was cut mid-body."""
        try:
            for sse in self.iterator:
                self.events.append(Event(int(sse.id), sse.event, json.loads(sse.data)))
        except httpx.TransportError:
            return False
        return True


def _deltas(count: int) -> Any:
    return lambda events: sum(e.type == "delta" for e in events) >= count


def _run_done(agent: str) -> Any:
    def done(events: list[Event]) -> bool:
        run_id = next(r["run_id"] for r in events[0].data["runs"] if r["agent"] == agent)
        return any(e.type == "run_done" and e.data["run_id"] == run_id for e in events)

    return done


class Waiter(threading.Thread):
    """A `/chat/wait` client whose request is in flight when the signal lands."""

    def __init__(self, base_url: str, body: dict[str, Any]) -> None:
        super().__init__(daemon=True)
        self.base_url, self.body = base_url, body
        self.response: httpx.Response | None = None
        self.error: Exception | None = None

    def run(self) -> None:
        try:
            self.response = httpx.post(self.base_url + "/chat/wait", json=self.body, timeout=60)
        except httpx.TransportError as exc:
            self.error = exc


def _started(database_url: str, message: str) -> bool:
    return bool(query(database_url, "SELECT id FROM turns WHERE message = :m", m=message))


def _wait_for(condition: Any, limit: float = 30.0) -> None:
    eventually(condition, timeout=limit, interval=0.02)


@pytest.fixture
def database(tmp_path: Path) -> Iterator[str]:
    with throwaway_database(tmp_path) as url:
        yield url


def test_sigkill_mid_stream_then_restart_leaves_nothing_running(
    tmp_path: Path, database: str
) -> None:
    # Every run that must be cut streams for hours, so a slow machine cannot let one end
    # before the kill: only turn A's `offline` run finishes.
    agents = ["offline", "offline-2"]
    one_long = {"agents": agents, "models": {"offline-2": LONG}}
    both = {"agents": agents, "models": {"offline": LONG, "offline-2": LONG}}
    with ExitStack() as stack:
        server = stack.enter_context(chatwait_server(tmp_path / "a", database, **SLOW))
        client = stack.enter_context(httpx.Client(base_url=server.base_url, timeout=30))
        finished_one = OpenStream(client, {"message": "crash A", **one_long}, stack)
        finished_one.read_until(_run_done("offline"))
        mid = [OpenStream(client, {"message": f"crash {n}", **both}, stack) for n in "BC"]
        for stream in mid:
            stream.read_until(_deltas(3))
        waiter = Waiter(server.base_url, {"message": "crash wait", **both})
        waiter.start()
        _wait_for(lambda: _started(database, "crash wait"))
        server.kill()
    waiter.join(30)
    assert waiter.response is None and waiter.error is not None, "the process is gone"

    with chatwait_server(tmp_path / "b", database, **SLOW) as server:
        assert query(database, "SELECT id FROM runs WHERE status = 'running'") == []
        assert query(database, "SELECT id FROM turns WHERE status = 'running'") == []
        done_run = runs_of_turn(database, finished_one.turn_id)[0]
        assert done_run["status"] == "done"
        assert done_run["output"] == texts_by_run(finished_one.events)[done_run["id"]]
        wait_turn = query(database, "SELECT id FROM turns WHERE message = 'crash wait'")[0]["id"]
        turn_ids = [finished_one.turn_id, *(s.turn_id for s in mid), wait_turn]
        cut_short = [r for t in turn_ids for r in runs_of_turn(database, t)][1:]
        assert {(r["status"], r["error_code"], r["output"]) for r in cut_short} == {
            ("interrupted", "interrupted", "")
        }
        with httpx.Client(base_url=server.base_url, timeout=10) as fresh:
            for turn_id in turn_ids:
                replay = read_stream(fresh, "GET", f"/chat/streaming/{turn_id}")
                assert_stream_matches_store(replay, database)
                assert replay[-1].data["status"] == turn_row(database, turn_id)["status"]
                assert replay[-1].data["status"] == "interrupted"
            for stream in (finished_one, *mid):
                stale = stream.events[-1].seq
                response = fresh.get(
                    f"/chat/streaming/{stream.turn_id}", headers={"Last-Event-ID": str(stale)}
                )
                _answers_cleanly(response)
            after = fresh.post("/chat/wait", json={"message": "after the crash", "agents": agents})
            assert after.status_code == 200
            assert [r["status"] for r in after.json()["runs"]] == ["done", "done"]


def _answers_cleanly(response: httpx.Response) -> None:
    """A resume from an id the dead process issued: its numbering is gone with it.

    Neither an empty 200 (a client would reconnect forever) nor events of the rebuilt
    numbering after that id (wrong events, text twice): a 409 that says start over.
    """
    assert response.status_code == 409, response.text
    assert response.json()["error"]["code"] == "stream_reset"


def test_sigterm_ends_runs_within_the_grace_period_and_persists_them(
    tmp_path: Path, database: str
) -> None:
    long_and_short = {"agents": ["offline", "offline-2"], "models": {"offline": LONG}}
    settings = {**SLOW, "SHUTDOWN_GRACE_SECONDS": GRACE}
    with ExitStack() as stack:
        server = stack.enter_context(chatwait_server(tmp_path / "a", database, **settings))
        client = stack.enter_context(httpx.Client(base_url=server.base_url, timeout=60))
        stream = OpenStream(client, {"message": "term stream", **long_and_short}, stack)
        waiter = Waiter(server.base_url, {"message": "term wait", **long_and_short})
        waiter.start()
        _wait_for(lambda: _started(database, "term wait"))
        stream.read_until(_deltas(4))
        server.terminate()
        closed_cleanly = stream.read_rest()
        exit_code = server.wait_exit(timeout=GRACE + 30)
        log = server.log_text()
    waiter.join(30)

    assert exit_code in (0, -signal.SIGTERM), log[-3000:]  # uvicorn re-raises the signal
    assert waiter.response is not None, f"the waiting client got no answer: {waiter.error}"
    assert waiter.response.status_code == 200, waiter.response.text
    for view in (waiter.response.json(), {"turn_id": stream.turn_id}):
        long_run, short_run = runs_of_turn(database, view["turn_id"])
        assert (long_run["status"], long_run["error_code"]) == ("interrupted", "interrupted")
        assert long_run["output"], "an interrupted run keeps the text it had"
        assert long_run["latency_ms"] >= GRACE * 1000, "cancelled before its grace period"
        assert (short_run["status"], short_run["error_code"]) == ("done", None)
        assert turn_row(database, view["turn_id"])["status"] == "interrupted"
    assert [r["output"] for r in waiter.response.json()["runs"]] == [
        r["output"] for r in runs_of_turn(database, waiter.response.json()["turn_id"])
    ]
    assert closed_cleanly and stream.events[-1].type == "turn_done"
    assert_stream_matches_store(stream.events, database)

    head = stream.events[: len(stream.events) // 2]
    with chatwait_server(tmp_path / "b", database, **SLOW) as server:
        url = f"{server.base_url}/chat/streaming/{stream.turn_id}"
        with httpx.Client(timeout=10) as fresh:
            tail = read_stream(fresh, "GET", url, headers={"Last-Event-ID": str(head[-1].seq)})
    assert_well_formed(head + tail)
    assert head + tail == stream.events
