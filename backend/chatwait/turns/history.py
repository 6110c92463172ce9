"""What an agent sees: its own thread of the conversation, trimmed, then the new message."""

from __future__ import annotations

from typing import Literal

from agents import TResponseInputItem
from openai.types.responses import EasyInputMessageParam


def approx_tokens(text: str) -> int:
    """A cheap, provider-independent estimate (about four characters a token)."""
    return len(text) // 4 + 1


def build_input(
    history: list[tuple[str, str | None]],
    message: str,
    *,
    max_messages: int,
    max_tokens: int,
) -> list[TResponseInputItem]:
    """Earlier user messages and this agent's answers, newest kept first, then `message`.

    The newest messages survive trimming: the last `max_messages` of the history and no
    more than `max_tokens` of it; the new message is always sent.
    """
    thread: list[tuple[Literal["user", "assistant"], str]] = []
    for user_text, answer in history:
        thread.append(("user", user_text))
        if answer:
            thread.append(("assistant", answer))
    kept: list[tuple[Literal["user", "assistant"], str]] = []
    budget = max_tokens
    for role, text in reversed(thread[-max_messages:] if max_messages else []):
        budget -= approx_tokens(text)
        if budget < 0:
            break
        kept.append((role, text))
    kept.reverse()
    if kept and kept[0][0] == "assistant":
        kept.pop(0)
    kept.append(("user", message))
    return [EasyInputMessageParam(role=role, content=text) for role, text in kept]
