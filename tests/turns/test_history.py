"""What an agent is sent: its own thread, trimmed, then the new message."""

from __future__ import annotations

from chatwait.turns.history import build_input


def test_agent_sees_user_messages_and_only_its_own_answers() -> None:
    history = [("q1", "a1"), ("q2", None), ("q3", "a3")]
    items = build_input(history, "q4", max_messages=50, max_tokens=10_000)
    assert items == [
        {"role": "user", "content": "q1"},
        {"role": "assistant", "content": "a1"},
        {"role": "user", "content": "q2"},
        {"role": "user", "content": "q3"},
        {"role": "assistant", "content": "a3"},
        {"role": "user", "content": "q4"},
    ]


def test_only_the_last_messages_are_kept() -> None:
    history = [(f"q{i}", f"a{i}") for i in range(40)]
    items = build_input(history, "new", max_messages=50, max_tokens=10_000)
    assert len(items) == 51
    assert items[0] == {"role": "user", "content": "q15"}
    assert items[-1] == {"role": "user", "content": "new"}


def test_token_budget_drops_the_oldest_first_and_never_starts_with_an_answer() -> None:
    history = [("u" * 400, "a" * 400), ("short", "reply")]
    items = build_input(history, "new", max_messages=50, max_tokens=150)
    assert items == [
        {"role": "user", "content": "short"},
        {"role": "assistant", "content": "reply"},
        {"role": "user", "content": "new"},
    ]


def test_the_new_message_is_sent_even_with_no_budget() -> None:
    assert build_input([("old", "x")], "new", max_messages=0, max_tokens=0) == [
        {"role": "user", "content": "new"}
    ]
