"""Invariants every turn must satisfy, whatever happened to it.

A turn's event stream is well formed (seq 1..n with no gap, `turn_started` first,
`turn_done` last, each run's delta indices 0..k-1 and exactly one terminal event per
run), and the stream, the HTTP view and the stored rows tell the same story: the deltas
of a run join into its stored output, its terminal event carries its stored status and
error code, and `turn_done` carries the turn's stored status.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import httpx

from tests.reliability._db import runs_of_turn, turn_row
from tests.support.eventually import eventually
from tests.support.sse import Event, texts_by_run

TERMINAL = {"run_done", "run_error"}
RUN_STATUSES = {"done", "error", "timeout", "cancelled", "interrupted"}


def run_ids_of(events: list[Event]) -> list[str]:
    """The turn's runs: those `turn_started` lists, then each one added after a
    `turn_done` (a fusion, a regenerate), whose `run_started` names it."""
    added = [e.data["run_id"] for e in events if e.type == "run_started" and len(e.data) > 1]
    return [r["run_id"] for r in events[0].data["runs"]] + added


def assert_well_formed(events: list[Event]) -> None:
    """The stream contract, independent of what the runs did: one `turn_done` ends the
    turn, and one more ends each run added to it after that."""
    assert events, "no events"
    assert [e.seq for e in events] == list(range(1, len(events) + 1)), "seq must be 1..n"
    assert events[0].type == "turn_started" and events[-1].type == "turn_done"
    run_ids = run_ids_of(events)
    added = len(run_ids) - len(events[0].data["runs"])
    assert Counter(e.type for e in events)["turn_done"] == 1 + added
    for before, after in zip(events, events[1:], strict=False):
        if before.type == "turn_done":
            assert after.type == "run_started" and len(after.data) > 1, "an added run follows"
    for run_id in run_ids:
        mine = [e for e in events if e.data.get("run_id") == run_id]
        for kind in ("delta", "reasoning"):
            indices = [e.data["index"] for e in mine if e.type == kind]
            assert indices == list(range(len(indices))), f"run {run_id}: {kind} indices {indices}"
        calls = [e.data["call_id"] for e in mine if e.type == "tool_call"]
        results = [e.data["call_id"] for e in mine if e.type == "tool_result"]
        assert len(set(calls)) == len(calls), f"run {run_id}: a call announced twice"
        assert len(set(results)) == len(results), f"run {run_id}: a call answered twice"
        for call_id in results:
            kinds = [(e.type, e.data.get("call_id")) for e in mine]
            assert kinds.index(("tool_call", call_id)) < kinds.index(("tool_result", call_id))
        ends = [e for e in mine if e.type in TERMINAL]
        assert len(ends) == 1, f"run {run_id}: {len(ends)} terminal events"
        assert ends[0].data["status"] in RUN_STATUSES
        assert (ends[0].type == "run_done") == (ends[0].data["status"] == "done")
        assert mine.index(ends[0]) == len(mine) - 1, "nothing of a run after its end"


def terminal_events(events: list[Event]) -> dict[str, Event]:
    return {e.data["run_id"]: e for e in events if e.type in TERMINAL}


def assert_stream_matches_store(events: list[Event], database_url: str) -> list[dict[str, Any]]:
    """The stream and the stored rows agree; returns the stored runs (position order)."""
    assert_well_formed(events)
    turn_id = events[0].data["turn_id"]
    runs = runs_of_turn(database_url, turn_id)
    assert [r["id"] for r in runs] == run_ids_of(events)
    texts, ends = texts_by_run(events), terminal_events(events)
    for run in runs:
        assert run["status"] in RUN_STATUSES, f"run {run['id']} stored as {run['status']}"
        assert texts.get(run["id"], "") == run["output"], f"run {run['id']}: text differs"
        thought = "".join(
            e.data["text"]
            for e in events
            if e.type == "reasoning" and e.data["run_id"] == run["id"]
        )
        assert (run["reasoning"] or "") == thought, f"run {run['id']}: reasoning differs"
        stored_calls = run["tool_calls"]
        if isinstance(stored_calls, str):  # SQLite hands JSON back as text
            stored_calls = json.loads(stored_calls)
        results = [
            (e.data["call_id"], e.data["output"], e.data["is_error"])
            for e in events
            if e.type == "tool_result" and e.data["run_id"] == run["id"]
        ]
        assert [(c["call_id"], c["output"], c["is_error"]) for c in stored_calls or []] == results
        end = ends[run["id"]].data
        assert end["status"] == run["status"]
        assert (end["error"] or {}).get("code") == run["error_code"]
        assert end["attempts"] == run["attempts"]
    assert events[-1].data["status"] == turn_row(database_url, turn_id)["status"]
    return runs


def assert_view_matches_store(view: dict[str, Any], database_url: str) -> None:
    """`GET /chat/turns/{id}` (or the `/chat/wait` body) shows what is stored."""
    runs = runs_of_turn(database_url, view["turn_id"])
    assert view["status"] == turn_row(database_url, view["turn_id"])["status"]
    assert [r["run_id"] for r in view["runs"]] == [r["id"] for r in runs]
    for shown, stored in zip(view["runs"], runs, strict=True):
        assert shown["status"] == stored["status"]
        assert shown["output"] == stored["output"]
        assert shown["attempts"] == stored["attempts"]
        assert (shown["error"] or {}).get("code") == stored["error_code"]


def wait_until_ended(client: httpx.Client, turn_id: str, limit: float = 60.0) -> dict[str, Any]:
    """Poll the stored turn until it is no longer `running` (observable state, bounded)."""

    def ended() -> dict[str, Any] | None:
        turn = client.get(f"/chat/turns/{turn_id}").json()
        return dict(turn) if turn["status"] != "running" else None

    return eventually(ended, timeout=limit, interval=0.02, message=f"turn {turn_id} still running")
