"""Find the live turn behind a pending `POST /chat/wait`.

Wait mode answers once, at the end, so until then the UI knows neither the turn (needed
by the stop button) nor, for a new chat, the conversation (Chainlit shows the stop button
and the thread URL only once the thread is named). The backend records both as soon as
the turn starts, so they are looked up: the newest conversations' running turn carrying
this exact message. With one local user that is this request's turn; two identical
messages sent in the same instant from two tabs could be confused, and the worst outcome
is stopping the twin turn.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from .api import ApiClient, ApiError

__all__ = ["LiveTurn", "discover_live_turn", "find_live_turn"]

LiveTurn = tuple[str, str]
"""(conversation id, turn id)."""
Pause = Callable[[float], Awaitable[None]]


async def find_live_turn(
    api: ApiClient, message: str, conversation_id: str | None = None
) -> LiveTurn | None:
    """The running turn with `message`: in `conversation_id`, or in a new conversation."""
    if conversation_id:
        candidates = [conversation_id]
    else:
        page = await api.conversations(limit=5)
        candidates = [str(c["id"]) for c in page.get("items") or []]
    for candidate in candidates:
        conversation = await api.conversation(candidate)
        turns = (conversation or {}).get("turns") or []
        if not conversation_id and len(turns) != 1:
            continue  # a new chat's conversation holds exactly this one turn
        for turn in reversed(turns):
            if turn.get("status") == "running" and turn.get("message") == message:
                return candidate, str(turn["turn_id"])
    return None


async def discover_live_turn(
    api: ApiClient,
    message: str,
    conversation_id: str | None = None,
    *,
    tries: int = 12,
    pause: Pause = asyncio.sleep,
) -> LiveTurn | None:
    """Look the turn up until it shows, backing off from 50 ms to 2 s between tries."""
    delay = 0.05
    for _ in range(tries):
        try:
            found = await find_live_turn(api, message, conversation_id)
        except ApiError:
            found = None
        if found:
            return found
        await pause(delay)
        delay = min(delay * 2, 2.0)
    return None
