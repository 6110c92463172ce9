"""The event-to-pane state machine: what each pane shows, for every way events arrive."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from chatwait_ui.turn_view import TurnEvent, TurnView, footer_items

RUN_A, RUN_B = "run-a", "run-b"
TEXT_A = ["Hello", " from", " agent", " A."]
TEXT_B = ["Agent", " B", " here", ",", " slower."]


def run_public(run_id: str, agent: str, model: str, **extra: Any) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "agent": agent,
        "provider": "offline",
        "model": model,
        "status": "done",
        "error": None,
        "usage": {"input_tokens": 12, "output_tokens": 4},
        "cost_usd": None,
        "latency_ms": 1250,
        "ttft_ms": 120,
        "attempts": 1,
        **extra,
    }


def script(*, fail_b: bool = False, cancel: bool = False) -> list[TurnEvent]:
    """A two-run turn with interleaved deltas, numbered 1..N like the backend does."""
    raw: list[tuple[str, dict[str, Any]]] = [
        (
            "turn_started",
            {
                "turn_id": "turn-1",
                "conversation_id": "conv-1",
                "runs": [
                    {"run_id": RUN_A, "agent": "offline", "provider": "offline", "model": "m-1"},
                    {"run_id": RUN_B, "agent": "offline-2", "provider": "offline", "model": "m-2"},
                ],
            },
        ),
        ("run_started", {"run_id": RUN_A}),
        ("run_started", {"run_id": RUN_B}),
    ]
    for i in range(max(len(TEXT_A), len(TEXT_B))):
        if i < len(TEXT_A):
            raw.append(("delta", {"run_id": RUN_A, "index": i, "text": TEXT_A[i]}))
        if i < len(TEXT_B) and not (fail_b and i >= 2) and not (cancel and i >= 2):
            raw.append(("delta", {"run_id": RUN_B, "index": i, "text": TEXT_B[i]}))
    raw.append(("run_done", run_public(RUN_A, "offline", "m-1")))
    if fail_b:
        error = {"code": "provider_error", "message": "HTTP 500 from provider", "retryable": True}
        raw.append(("run_error", {"run_id": RUN_B, "status": "error", "error": error}))
    elif cancel:
        error = {"code": "cancelled", "message": "Cancelled by the client.", "retryable": False}
        raw.append(("run_error", {"run_id": RUN_B, "status": "cancelled", "error": error}))
    else:
        raw.append(("run_done", run_public(RUN_B, "offline-2", "m-2", latency_ms=800)))
    raw.append(("turn_done", {"turn_id": "turn-1", "status": "done"}))
    return [TurnEvent(seq, kind, data) for seq, (kind, data) in enumerate(raw, start=1)]


def fresh_view() -> TurnView:
    return TurnView("streaming", planned=[("offline", "m-1"), ("offline-2", "m-2")])


def play(view: TurnView, events: list[TurnEvent]) -> TurnView:
    for event in events:
        view.apply(event)
    return view


def test_placeholders_show_every_chosen_agent_before_the_backend_answers() -> None:
    props = fresh_view().to_props()
    assert [(p["agent"], p["model"], p["status"]) for p in props["panes"]] == [
        ("offline", "m-1", "pending"),
        ("offline-2", "m-2", "pending"),
    ]
    assert props["pendingAgents"] == ["offline", "offline-2"]


def test_panes_stream_independently_and_end_with_footers() -> None:
    view = fresh_view()
    events = script()
    play(view, events[:7])  # both runs have two chunks, neither finished
    panes = view.to_props()["panes"]
    assert [p["key"] for p in panes] == [RUN_A, RUN_B]
    assert panes[0]["text"] == "Hello from" and panes[1]["text"] == "Agent B"
    assert all(p["status"] == "running" and p["footer"] is None for p in panes)

    play(view, events[7:])
    props = view.to_props()
    assert props["status"] == "done" and props["pendingAgents"] == []
    assert [p["text"] for p in props["panes"]] == ["".join(TEXT_A), "".join(TEXT_B)]
    assert props["panes"][0]["footer"] == [
        "Done",
        "m-1",
        "TTFT 120 ms",
        "latency 1.25 s",
        "12 in · 4 out tokens",
        "cost n/a",
    ]
    assert props["panes"][1]["footer"][3] == "latency 800 ms"


def test_a_failed_run_shows_its_error_while_the_other_completes() -> None:
    props = play(fresh_view(), script(fail_b=True)).to_props()
    done, failed = props["panes"]
    assert done["status"] == "done" and done["text"] == "".join(TEXT_A) and done["error"] is None
    assert failed["status"] == "error" and failed["statusLabel"] == "Error"
    assert failed["error"] == {
        "code": "provider_error",
        "message": "HTTP 500 from provider",
        "retryable": True,
    }
    assert failed["text"] == "Agent B", "text streamed before the failure stays visible"
    assert failed["footer"][0] == "Error"


def test_a_cancelled_run_says_so() -> None:
    props = play(fresh_view(), script(cancel=True)).to_props()
    cancelled = props["panes"][1]
    assert cancelled["status"] == "cancelled" and cancelled["statusLabel"] == "Cancelled"
    assert cancelled["error"]["message"].startswith("Cancelled")
    assert props["panes"][0]["status"] == "done"


def test_replayed_events_are_dropped_by_seq() -> None:
    view = fresh_view()
    events = script()
    play(view, events[:10])
    before = view.to_props()
    assert not any(view.apply(event) for event in events[:10])
    assert view.to_props() == before


def test_a_delta_replayed_under_a_new_seq_is_not_shown_twice() -> None:
    view = play(fresh_view(), script()[:6])
    replay = TurnEvent(99, "delta", {"run_id": RUN_A, "index": 0, "text": "Hello"})
    assert view.panes[RUN_A].text == "Hello from"
    assert not view.apply(replay)
    assert view.panes[RUN_A].text == "Hello from"


def test_out_of_order_deltas_never_show_text_past_a_gap() -> None:
    view = play(fresh_view(), script()[:3])
    view.apply(TurnEvent(10, "delta", {"run_id": RUN_A, "index": 1, "text": " from"}))
    assert view.panes[RUN_A].text == "" and view.has_gaps
    view.apply(TurnEvent(11, "delta", {"run_id": RUN_A, "index": 0, "text": "Hello"}))
    assert view.panes[RUN_A].text == "Hello from" and not view.has_gaps


@given(st.lists(st.integers(min_value=0, max_value=40), max_size=6))
def test_resuming_from_any_points_gives_exactly_the_uninterrupted_result(cuts: list[int]) -> None:
    """A dropped stream resumed after its last seq (replaying an overlap) changes nothing."""
    events = script(fail_b=True)
    expected = play(fresh_view(), events).to_props()
    view = fresh_view()
    position = 0
    for cut in sorted(min(c, len(events)) for c in cuts):
        play(view, events[position:cut])
        # reconnect: the server replays from a little before the last seq we saw
        position = max(0, min(view.last_seq, cut) - 2)
    play(view, events[position:])
    assert view.to_props() == expected


def test_wait_mode_takes_the_turn_body_as_the_truth() -> None:
    view = TurnView("wait", planned=[("offline", "m-1"), ("offline-2", "fault-500")])
    error = {"code": "provider_error", "message": "boom", "retryable": False}
    view.apply_turn(
        {
            "turn_id": "turn-9",
            "conversation_id": "conv-9",
            "status": "done",
            "message": "hi",
            "runs": [
                run_public(RUN_A, "offline", "m-1", output="Final A"),
                run_public(RUN_B, "offline-2", "fault-500", status="error", output="", error=error),
            ],
        }
    )
    props = view.to_props()
    assert (view.turn_id, view.conversation_id) == ("turn-9", "conv-9")
    assert props["status"] == "done" and props["mode"] == "wait"
    assert [(p["agent"], p["status"], p["text"]) for p in props["panes"]] == [
        ("offline", "done", "Final A"),
        ("offline-2", "error", ""),
    ]
    assert props["panes"][1]["error"]["message"] == "boom"
    assert all(p["footer"] for p in props["panes"])


def test_a_running_turn_from_history_shows_no_footer_for_unfinished_runs() -> None:
    view = TurnView(None)
    running = run_public(RUN_B, "offline-2", "m-2", status="running", output="partial")
    view.apply_turn({"turn_id": "t", "status": "running", "runs": [running]})
    pane = view.to_props()["panes"][0]
    assert pane["status"] == "running" and pane["footer"] is None


def test_a_refused_turn_marks_every_pane_with_the_reason() -> None:
    view = fresh_view()
    view.fail("unknown agent 'nope'")
    props = view.to_props()
    assert props["notice"] == "unknown agent 'nope'" and props["status"] == "error"
    assert {p["status"] for p in props["panes"]} == {"error"}
    assert all(p["error"]["message"] == "unknown agent 'nope'" for p in props["panes"])


def test_footer_shows_cost_attempts_and_missing_metrics() -> None:
    view = play(fresh_view(), script()[:3])
    view.apply(
        TurnEvent(
            4,
            "run_done",
            run_public(RUN_A, "offline", "m-1", cost_usd=0.0001234, attempts=3, ttft_ms=None),
        )
    )
    assert footer_items(view.panes[RUN_A]) == [
        "Done",
        "m-1",
        "TTFT —",
        "latency 1.25 s",
        "12 in · 4 out tokens",
        "$0.000123",
        "3 attempts",
    ]
