"""Count HTTP attempts per run, whichever layer retries.

The `openai` client does the retrying (backoff with jitter, `Retry-After`), out of sight
of the Agents SDK. Every attempt is one HTTP request, so an httpx request hook counts them
into a counter the run task puts in a context variable: contextvars are copied into the
tasks the SDK spawns, so the count lands on the right run even with many runs sharing one
client.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass

import httpx2


@dataclass(slots=True)
class AttemptCounter:
    """HTTP requests sent to the provider on behalf of one run."""

    count: int = 0
    on_first: Callable[[], None] | None = None
    """Called as the run's first request goes out (the turn waits for it, see `TurnService`)."""
    filled_ids: int = 0
    """Tool-call ids this run had to make up (`_chunk_repair`)."""


_current: ContextVar[AttemptCounter | None] = ContextVar("chatwait_attempts", default=None)


def track_attempts(on_first: Callable[[], None] | None = None) -> AttemptCounter:
    """Start counting the attempts of the calling task (and the tasks it spawns)."""
    counter = AttemptCounter(on_first=on_first)
    _current.set(counter)
    return counter


async def count_request(request: httpx2.Request) -> None:
    """httpx event hook: one more attempt for the run that sent `request`."""
    count_attempt()


def count_attempt() -> None:
    """One more attempt for the calling run (ChatWait's fast model sends without httpx)."""
    counter = _current.get()
    if counter is not None:
        counter.count += 1
        if counter.count == 1 and counter.on_first is not None:
            counter.on_first()


def made_up_call_id() -> str:
    """A tool-call id for a call that came without one: `call_cw_<n>`, n counting per run
    (the same stream gets the same ids under either model), random outside a run."""
    counter = _current.get()
    if counter is None:
        return f"call_cw_{secrets.token_hex(8)}"
    counter.filled_ids += 1
    return f"call_cw_{counter.filled_ids}"
