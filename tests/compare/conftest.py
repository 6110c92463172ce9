"""A server with a third agent for the compare tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from chatwait.sim import SimConfig, create_sim_app
from tests.support.app import running_app
from tests.support.servers import serve_in_thread

SIM = SimConfig(ttft_ms=5, tokens_per_second=400, answer_tokens=24)


@dataclass(frozen=True)
class ThirdAgentRig:
    client: httpx.Client
    """A client of a ChatWait server whose agents include `third`."""
    sim_v1: str
    """The base URL of the separate offline provider `third` runs on (its `/debug/*`
    shows what `third`'s requests carried)."""


@pytest.fixture(scope="module")
def third_agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ThirdAgentRig]:
    """A server with a third agent (`third`, another offline provider)."""
    with serve_in_thread(create_sim_app(SIM)) as sim:
        third = {"name": "third", "base_url": f"{sim}/v1", "models": ["offline-1"]}
        directory = tmp_path_factory.mktemp("compare")
        with (
            running_app(directory, COMPATIBLE_PROVIDERS=[third]) as (url, _),
            httpx.Client(base_url=url, timeout=60) as http,
        ):
            yield ThirdAgentRig(http, f"{sim}/v1")
