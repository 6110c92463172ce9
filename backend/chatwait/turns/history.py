"""What an agent sees: its own thread of the conversation, trimmed, then the new message."""

from __future__ import annotations

from typing import Any


def approx_tokens(text: str) -> int:
    """A cheap, provider-independent estimate (about four characters a token)."""
    return len(text) // 4 + 1


def build_input(
    history: list[tuple[str, str | None]],
    message: str,
    *,
    max_messages: int,
    max_tokens: int,
) -> list[dict[str, Any]]:
    """Earlier user messages and this agent's answers, newest kept first, then `message`.

    The newest messages survive trimming: the last `max_messages` of the history and no
    more than `max_tokens` of it; the new message is always sent.
    """
    thread: list[dict[str, Any]] = []
    for user_text, answer in history:
        thread.append({"role": "user", "content": user_text})
        if answer:
            thread.append({"role": "assistant", "content": answer})
    kept: list[dict[str, Any]] = []
    budget = max_tokens
    for item in reversed(thread[-max_messages:] if max_messages else []):
        budget -= approx_tokens(item["content"])
        if budget < 0:
            break
        kept.append(item)
    kept.reverse()
    if kept and kept[0]["role"] == "assistant":
        kept.pop(0)
    return [*kept, {"role": "user", "content": message}]
