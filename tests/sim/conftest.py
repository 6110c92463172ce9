"""Serve the offline provider on a real socket, with fast knobs unless a test needs pacing."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import openai
import pytest
from starlette.applications import Starlette

from chatwait.sim import create_sim_app

from ._support import FAST, client, serve_in_thread


@pytest.fixture(scope="session")
def sim_app() -> Starlette:
    """One fast offline provider shared by the session (its state is `app.state.sim`)."""
    return create_sim_app(FAST)


@pytest.fixture(scope="session")
def sim_url(sim_app: Starlette) -> Iterator[str]:
    """Base URL (`.../v1`) of `sim_app` served on a loopback port."""
    with serve_in_thread(sim_app) as url:
        yield url + "/v1"


@pytest.fixture(scope="session")
async def api(sim_url: str) -> AsyncIterator[openai.AsyncOpenAI]:
    """An `openai` client for `sim_url` without retries."""
    async with client(sim_url) as api_client:
        yield api_client
