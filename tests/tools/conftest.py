"""The offline provider for agent runs: `offline-tools` calls the tools a message names."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import openai
import pytest

from chatwait.sim import create_sim_app
from tests.sim._support import FAST, client
from tests.support.servers import serve_in_thread


@pytest.fixture(scope="session")
def sim_v1() -> Iterator[str]:
    """Base URL (`.../v1`) of a fast offline provider on a loopback port."""
    with serve_in_thread(create_sim_app(FAST)) as url:
        yield url + "/v1"


@pytest.fixture(scope="session")
async def sim(sim_v1: str) -> AsyncIterator[openai.AsyncOpenAI]:
    async with client(sim_v1) as api:
        yield api
