"""Start-up builds what a provider's first run would (`Provider.warm_up`), sending nothing.

`openai` builds its models' schemas on first use; unwarmed, the first turn after start-up
paid for them. Checked in a fresh interpreter, where no earlier test built them.
"""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
import textwrap

import pytest

from chatwait.providers.base import Provider
from chatwait.providers.registry import AgentSpec, ProviderRegistry

FRESH = textwrap.dedent(
    """
    import asyncio, socket, sys
    from openai.types.responses import Response, ResponseCompletedEvent
    from chatwait.providers.base import Provider

    models = (Response, ResponseCompletedEvent)
    before = [m.__pydantic_complete__ for m in models]
    listener = socket.create_server(("127.0.0.1", 0))
    listener.setblocking(False)
    provider = Provider(
        name="offline",
        base_url=f"http://127.0.0.1:{listener.getsockname()[1]}/v1",
        api_key=None,
        models=("offline-1",),
        default_model="offline-1",
    )
    asyncio.run(provider.warm_up())
    after = [m.__pydantic_complete__ for m in models]
    try:
        listener.accept()
        sent = True
    except BlockingIOError:
        sent = False
    print(before, after, sent)
    """
)


def test_warm_up_builds_the_stream_models_a_first_run_would_and_sends_nothing() -> None:
    done = subprocess.run(
        [sys.executable, "-c", FRESH], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.split("\n")[-2] == "[False, False] [True, True] False"


def _provider(name: str, *, unavailable_reason: str | None = None) -> Provider:
    return Provider(
        name=name,
        base_url="http://127.0.0.1:9/v1",
        api_key=None,
        models=("m",),
        default_model="m",
        unavailable_reason=unavailable_reason,
    )


def test_usable_providers_are_warmed_up_and_a_failure_is_logged_not_raised(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    providers = [
        _provider("broken"),
        _provider("keyless", unavailable_reason="KEYLESS_API_KEY is not set"),
        _provider("offline"),
    ]
    registry = ProviderRegistry([AgentSpec(p.name, p, "m") for p in providers], [])
    warmed: list[str] = []

    async def warm_up(self: Provider) -> None:
        if self.name == "broken":
            raise RuntimeError("sk-never-logged")
        warmed.append(self.name)

    monkeypatch.setattr(Provider, "warm_up", warm_up)
    with caplog.at_level(logging.WARNING, logger="chatwait.providers"):
        asyncio.run(registry.warm_up())
    assert warmed == ["offline"], "the broken one did not stop the rest; the keyless one waits"
    assert "provider broken: not warmed up (RuntimeError)" in caplog.text
    assert "sk-never-logged" not in caplog.text
