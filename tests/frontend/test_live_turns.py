"""Wait mode looks its live turn up while `POST /chat/wait` is still pending."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from chatwait_ui.api import ApiClient
from chatwait_ui.live_turns import discover_live_turn, find_live_turn
from tests.support.app import running_app

AGENTS = ["offline", "offline-2"]


@pytest.fixture(scope="module")
def slow_app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_app(tmp_path_factory.mktemp("live"), SIM_TOKENS_PER_SECOND=20.0) as (url, _):
        yield url


async def test_a_pending_wait_is_found_then_finishes_with_the_same_ids(slow_app_url: str) -> None:
    api = ApiClient(slow_app_url)
    try:
        body = {"message": "find me while I wait", "agents": AGENTS}
        waiting = asyncio.create_task(api.wait(body))
        found = await discover_live_turn(api, body["message"])
        assert found is not None and not waiting.done()
        result = await waiting
        assert found == (result["conversation_id"], result["turn_id"])

        follow_up = {**body, "conversation_id": result["conversation_id"]}
        waiting = asyncio.create_task(api.wait(follow_up))
        again = await discover_live_turn(api, body["message"], result["conversation_id"])
        second = await waiting
        assert again == (result["conversation_id"], second["turn_id"])
    finally:
        await api.aclose()


async def test_finished_turns_are_not_live(slow_app_url: str) -> None:
    api = ApiClient(slow_app_url)
    try:
        done = await api.wait({"message": "already over", "agents": ["offline"]})
        assert await find_live_turn(api, "already over") is None
        assert await find_live_turn(api, "already over", done["conversation_id"]) is None

        async def no_pause(seconds: float) -> None:
            return None

        assert await discover_live_turn(api, "never sent", tries=3, pause=no_pause) is None
    finally:
        await api.aclose()
