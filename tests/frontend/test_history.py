"""Conversations become Chainlit threads: steps, panes element, author, stable ids."""

from __future__ import annotations

import copy

from chatwait_ui.history import (
    ELEMENT_NAME,
    running_turn,
    thread_from_conversation,
    thread_summary,
    turn_step_ids,
)

CONVERSATION = {
    "id": "c1",
    "title": "Compare the answers",
    "created_at": "2026-01-01T10:00:00Z",
    "updated_at": "2026-01-01T10:05:00Z",
    "metadata": {"ui": {"mode": "wait"}},
    "turns": [
        {
            "turn_id": "t1",
            "conversation_id": "c1",
            "status": "done",
            "message": "First question",
            "created_at": "2026-01-01T10:00:00Z",
            "runs": [
                {
                    "run_id": "r1",
                    "agent": "offline",
                    "provider": "offline",
                    "model": "offline-1",
                    "status": "done",
                    "output": "Answer **one**",
                    "error": None,
                    "usage": {"input_tokens": 3, "output_tokens": 5},
                    "cost_usd": None,
                    "latency_ms": 900,
                    "ttft_ms": 100,
                    "attempts": 1,
                },
                {
                    "run_id": "r2",
                    "agent": "offline-2",
                    "provider": "offline",
                    "model": "fault-500",
                    "status": "error",
                    "output": "",
                    "error": {"code": "provider_error", "message": "500", "retryable": True},
                    "usage": {"input_tokens": 0, "output_tokens": 0},
                    "cost_usd": None,
                    "latency_ms": 300,
                    "ttft_ms": None,
                    "attempts": 3,
                },
            ],
        }
    ],
}


def test_each_turn_is_a_user_step_an_answer_step_and_its_panes() -> None:
    thread = thread_from_conversation(CONVERSATION, user_id="local", user_identifier="local")
    assert thread["id"] == "c1" and thread["name"] == "Compare the answers"
    assert thread["userIdentifier"] == "local", "Chainlit checks it before resuming"
    assert thread["metadata"] == {"ui": {"mode": "wait"}}
    user, answer = thread["steps"]
    assert (user["type"], user["output"]) == ("user_message", "First question")
    assert answer["type"] == "assistant_message"
    (element,) = thread["elements"]
    assert element["type"] == "custom" and element["name"] == ELEMENT_NAME
    assert element["display"] == "inline" and element["forId"] == answer["id"]
    panes = element["props"]["panes"]
    assert [(p["agent"], p["model"], p["status"]) for p in panes] == [
        ("offline", "offline-1", "done"),
        ("offline-2", "fault-500", "error"),
    ]
    assert panes[0]["text"] == "Answer **one**" and panes[0]["footer"][0] == "Done"
    assert panes[1]["error"]["code"] == "provider_error" and "3 attempts" in panes[1]["footer"]


def test_ids_are_stable_across_reads() -> None:
    once = thread_from_conversation(CONVERSATION, user_id="local", user_identifier="local")
    again = thread_from_conversation(CONVERSATION, user_id="local", user_identifier="local")
    assert [s["id"] for s in once["steps"]] == [s["id"] for s in again["steps"]]
    assert once["elements"][0]["id"] == again["elements"][0]["id"]


def test_sidebar_entries_are_dated_by_last_activity() -> None:
    entry = thread_summary(CONVERSATION, user_id="local", user_identifier="local")
    assert entry["createdAt"] == "2026-01-01T10:05:00Z" and entry["steps"] == []


def with_running_turn(conversation: dict) -> dict:
    """`conversation` plus a second turn whose runs are still answering."""
    running = copy.deepcopy(conversation)
    turn = copy.deepcopy(conversation["turns"][0])
    turn.update(turn_id="t2", status="running", message="Still answering?")
    for run in turn["runs"]:
        run.update(run_id=f"{run['run_id']}-t2", status="running", output="", error=None)
    running["turns"].append(turn)
    return running


def test_a_reopened_thread_names_its_running_turn_and_where_its_panes_are() -> None:
    thread = thread_from_conversation(
        with_running_turn(CONVERSATION), user_id="local", user_identifier="local"
    )
    found = running_turn(thread)
    assert found is not None
    assert (found.turn_id, found.message) == ("t2", "Still answering?")
    element = thread["elements"][1]
    assert (found.element_id, found.answer_step_id) == (element["id"], element["forId"])
    assert found.element_id == turn_step_ids("t2")[2]


def test_a_thread_whose_turns_all_ended_has_no_running_turn() -> None:
    thread = thread_from_conversation(CONVERSATION, user_id="local", user_identifier="local")
    assert running_turn(thread) is None
    assert running_turn({"id": "c1", "steps": [], "elements": []}) is None


def test_only_panes_built_from_history_are_followed() -> None:
    thread = thread_from_conversation(
        with_running_turn(CONVERSATION), user_id="local", user_identifier="local"
    )
    thread["elements"][1]["id"] = "some-other-element"
    assert running_turn(thread) is None
