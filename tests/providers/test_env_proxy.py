"""Provider requests honour the environment's proxy settings, with either model.

The provider's own address is a closed port, and `HTTP_PROXY` names a running offline
provider: a run can only answer if its request went through the proxy. With the host in
`NO_PROXY` the same run goes direct and fails to connect.
"""

from __future__ import annotations

from collections.abc import Iterator

import openai
import pytest
from agents import RunConfig, Runner

from chatwait.providers.base import Provider
from chatwait.sim import SimConfig, create_sim_app
from tests.support.servers import free_port, serve_in_thread

PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


@pytest.fixture(scope="module")
def proxy_url() -> Iterator[str]:
    """An offline provider standing as the proxy: it answers what is sent through it."""
    app = create_sim_app(SimConfig(ttft_ms=0, tokens_per_second=2000, answer_tokens=3))
    with serve_in_thread(app) as url:
        yield url


@pytest.fixture
def closed_port() -> int:
    return free_port()  # nothing listens there


def _environment(monkeypatch: pytest.MonkeyPatch, **values: str) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    for name, value in values.items():
        monkeypatch.setenv(name, value)
        monkeypatch.setenv(name.lower(), value)


async def _answer(kind: str, port: int) -> str:
    provider = Provider(
        name="offline",
        base_url=f"http://127.0.0.1:{port}/v1",
        api_key=None,
        models=("offline-1",),
        default_model="offline-1",
        timeout=5,
        max_retries=0,
        client_kind=kind,  # type: ignore[arg-type]
    )
    agent = provider.build_agent(agent_name="proxied", model="offline-1", instructions="Hi.")
    try:  # streamed: the fast model streams; a non-streamed call is the stock model's
        result = Runner.run_streamed(
            agent, "Through the proxy?", run_config=RunConfig(tracing_disabled=True)
        )
        async for _ in result.stream_events():
            pass
        return str(result.final_output)
    finally:
        await provider.aclose()


@pytest.mark.parametrize("kind", ["fast", "sdk"])
async def test_a_run_goes_through_the_environment_proxy(
    kind: str, proxy_url: str, closed_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    _environment(monkeypatch, HTTP_PROXY=proxy_url)
    assert await _answer(kind, closed_port), "the proxy's answer came back"


@pytest.mark.parametrize("kind", ["fast", "sdk"])
async def test_a_host_in_no_proxy_is_reached_directly(
    kind: str, proxy_url: str, closed_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    _environment(monkeypatch, HTTP_PROXY=proxy_url, NO_PROXY="127.0.0.1")
    with pytest.raises(openai.APIConnectionError):
        await _answer(kind, closed_port)
