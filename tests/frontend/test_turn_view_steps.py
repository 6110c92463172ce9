"""Tool calls and reasoning in a pane: live events, resumed replays and stored runs."""

from __future__ import annotations

from typing import Any

from chatwait_ui.turn_view import TurnEvent, TurnView

RUN = "run-a"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def events(*raw: tuple[str, dict[str, Any]]) -> list[TurnEvent]:
    started = (
        "turn_started",
        {"turn_id": "t", "runs": [{"run_id": RUN, "agent": "tools", "model": "offline-tools"}]},
    )
    return [TurnEvent(seq, kind, data) for seq, (kind, data) in enumerate([started, *raw], 1)]


def pane_props(view: TurnView) -> dict[str, Any]:
    (pane,) = view.to_props()["panes"]
    return pane  # type: ignore[no-any-return]


CALL = ("tool_call", {"run_id": RUN, "call_id": "c1", "name": "calculator", "arguments": '{"e":1}'})
RESULT = ("tool_result", {"run_id": RUN, "call_id": "c1", "output": "2", "is_error": False})


def test_a_tool_call_shows_running_then_its_result() -> None:
    view = TurnView("streaming")
    script = events(CALL, RESULT)
    for event in script[:2]:
        assert view.apply(event)
    (tool,) = pane_props(view)["tools"]
    assert tool["state"] == "running" and tool["label"] == "Calling calculator…"
    assert tool["arguments"] == '{"e":1}' and tool["output"] is None
    assert view.apply(script[2])
    (tool,) = pane_props(view)["tools"]
    assert (tool["state"], tool["label"], tool["output"]) == ("done", "Used calculator", "2")


def test_a_failed_tool_is_an_error_row_and_the_run_goes_on() -> None:
    view = TurnView("streaming")
    failed = ("tool_result", {"run_id": RUN, "call_id": "c1", "output": "boom", "is_error": True})
    delta = ("delta", {"run_id": RUN, "index": 0, "text": "It failed."})
    for event in events(CALL, failed, delta):
        view.apply(event)
    pane = pane_props(view)
    assert pane["tools"][0]["state"] == "error"
    assert pane["tools"][0]["label"] == "calculator failed"
    assert pane["text"] == "It failed." and pane["status"] == "running"


def test_replayed_tool_events_after_a_resume_do_not_double_rows() -> None:
    view = TurnView("streaming")
    script = events(CALL, RESULT)
    for event in script:
        view.apply(event)
    for event in script:  # a resumed connection replays what was seen
        assert not view.apply(event)
    # the same call id under a new seq (a reconnect that started over) is still one row
    assert not view.apply(TurnEvent(10, "tool_call", CALL[1]))
    assert len(pane_props(view)["tools"]) == 1


def test_reasoning_is_shown_apart_and_timed_until_the_answer_starts() -> None:
    clock = Clock()
    view = TurnView("streaming", clock=clock)
    thinking = [("reasoning", {"run_id": RUN, "index": i, "text": t}) for i, t in enumerate("ab")]
    script = events(*thinking, ("delta", {"run_id": RUN, "index": 0, "text": "Answer"}))
    view.apply(script[0])
    view.apply(script[1])
    live = pane_props(view)["reasoning"]
    assert live == {"text": "a", "label": "Thinking…", "live": True}
    clock.now += 1.0
    view.apply(script[2])
    clock.now += 2.24  # the answer's first token: 3.24 s after the first thought
    view.apply(script[3])
    clock.now += 5.0  # time after the answer started is not thinking
    pane = pane_props(view)
    assert pane["reasoning"] == {"text": "ab", "label": "Thought for 3.2 s", "live": False}
    assert pane["text"] == "Answer"


def test_reasoning_past_a_missing_index_waits_for_the_gap() -> None:
    view = TurnView("streaming")
    for event in events(("reasoning", {"run_id": RUN, "index": 1, "text": "later"})):
        view.apply(event)
    assert pane_props(view)["reasoning"] is None


def test_a_stored_run_brings_its_tool_calls_and_reasoning() -> None:
    view = TurnView(mode=None)
    view.apply_turn(
        {
            "turn_id": "t",
            "status": "done",
            "runs": [
                {
                    "run_id": RUN,
                    "agent": "tools",
                    "model": "offline-tools",
                    "status": "done",
                    "output": "The answer is 2.",
                    "reasoning": "Add one and one.",
                    "tool_calls": [
                        {
                            "call_id": "c1",
                            "name": "calculator",
                            "arguments": {"expression": "1+1"},
                            "output": "2",
                            "is_error": False,
                            "started_at": "2026-12-02T00:00:00Z",
                            "ended_at": "2026-12-02T00:00:01Z",
                        }
                    ],
                }
            ],
        }
    )
    pane = pane_props(view)
    assert pane["reasoning"] == {"text": "Add one and one.", "label": "Reasoning", "live": False}
    (tool,) = pane["tools"]
    assert tool["arguments"] == '{"expression": "1+1"}' and tool["state"] == "done"


def test_a_cancelled_run_keeps_finished_calls_and_ends_its_thinking() -> None:
    view = TurnView("streaming")
    thinking = ("reasoning", {"run_id": RUN, "index": 0, "text": "hmm"})
    cancelled = ("run_error", {"run_id": RUN, "status": "cancelled", "error": None})
    for event in events(thinking, CALL, RESULT, cancelled):
        view.apply(event)
    pane = pane_props(view)
    assert pane["status"] == "cancelled"
    assert pane["tools"][0]["state"] == "done"
    assert pane["reasoning"]["live"] is False


def test_long_tool_output_is_cut_for_the_row() -> None:
    view = TurnView("streaming")
    long = ("tool_result", {"run_id": RUN, "call_id": "c1", "output": "x" * 5000})
    for event in events(CALL, long):
        view.apply(event)
    output = pane_props(view)["tools"][0]["output"]
    assert output.startswith("x" * 2000) and output.endswith("(3000 more characters)")
