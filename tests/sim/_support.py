"""Helpers shared by the offline-provider tests."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import openai

from chatwait.sim import SimConfig
from tests.support.eventually import eventually_async
from tests.support.servers import serve_in_thread

__all__ = ["API_KEY", "FAST", "client", "conversation", "serve_in_thread", "wait_for"]

FAST = SimConfig(ttft_ms=5, tokens_per_second=2000, answer_tokens=24, retry_after_seconds=0.3)
API_KEY = "sk-offline-test"


def client(base_url: str, **options: Any) -> openai.AsyncOpenAI:
    """The real `openai` client, without retries unless a test asks for them."""
    options.setdefault("max_retries", 0)
    options.setdefault("timeout", 10.0)
    return openai.AsyncOpenAI(base_url=base_url, api_key=API_KEY, **options)


def conversation(*user_turns: str) -> list[dict[str, str]]:
    """A system prompt plus alternating user/assistant turns, ending with a user turn.

    A random suffix in the system prompt keeps conversations apart across tests, since
    flaky-fault counters live in the shared app.
    """
    messages = [{"role": "system", "content": f"Be brief. ({uuid.uuid4().hex})"}]
    for i, text in enumerate(user_turns):
        if i:
            messages.append({"role": "assistant", "content": f"Answer number {i}."})
        messages.append({"role": "user", "content": text})
    return messages


async def wait_for(condition: Callable[[], bool], limit: float = 5.0) -> None:
    """Poll an observable condition until it holds, failing after `limit` seconds."""
    await eventually_async(
        condition, timeout=limit, interval=0.01, message="condition not reached in time"
    )
