"""A provider: one OpenAI-compatible endpoint, its key, its model allowlist.

Every provider, the offline one included, is reached the same way: an `AsyncOpenAI`
client with an explicit timeout and retry budget under an Agents SDK Chat Completions model,
the SDK's `OpenAIChatCompletionsModel` or ChatWait's `FastChatModel` (same requests, events,
errors and retries for less CPU per token; `PROVIDER_CLIENT` picks, `chat_model` builds).
What an endpoint does differently from OpenAI is its `quirks` (`_quirks.py`), applied where
the agent and its model settings are built: the fast model builds its requests with the
stock model's code from the same settings and tools, so both send the same body.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import httpx2
from agents import Agent, Model, ModelSettings, OpenAIChatCompletionsModel, Tool
from agents.mcp import MCPServer
from openai import AsyncOpenAI

from chatwait.providers._attempts import count_request
from chatwait.providers._quirks import Quirks, model_settings, offered_tools, reasoning_replay
from chatwait.providers._retry import stream_retry
from chatwait.providers.fast import FastChatModel, RequestFactory, StreamTransport
from chatwait.providers.prices import cost_usd

MAX_CONNECTIONS = 4096
"""Streams held open at once per provider; benchmarks hold over a thousand."""


@dataclass
class Provider:
    """One endpoint and what may be asked of it."""

    name: str
    base_url: str
    api_key: str | None
    models: tuple[str, ...]
    default_model: str
    timeout: float = 60.0
    max_retries: int = 2
    price_provider: str | None = None
    unavailable_reason: str | None = None
    accepts: Callable[[str], bool] | None = None
    """Extra models allowed beyond `models` (the offline provider's parametrised faults)."""
    quirks: Quirks = field(default_factory=Quirks)
    client_kind: Literal["sdk", "fast"] = "fast"
    """`PROVIDER_CLIENT`: which model streams runs (see `chat_model`)."""
    _client: AsyncOpenAI | None = field(default=None, repr=False)
    _fast: tuple[RequestFactory, StreamTransport] | None = field(default=None, repr=False)

    @property
    def available(self) -> bool:
        return self.unavailable_reason is None

    def allows(self, model: str) -> bool:
        """Whether `model` is within this provider's allowlist."""
        return model in self.models or (self.accepts is not None and self.accepts(model))

    def client(self) -> AsyncOpenAI:
        """The shared client, built on first use (a missing key never fails start-up)."""
        if self._client is None:
            http_client = httpx2.AsyncClient(
                timeout=self.timeout,
                limits=httpx2.Limits(
                    max_connections=MAX_CONNECTIONS, max_keepalive_connections=256
                ),
                event_hooks={"request": [count_request]},
            )
            self._client = AsyncOpenAI(
                base_url=self.base_url,
                api_key=self.api_key or "unused",
                timeout=self.timeout,
                max_retries=self.max_retries,
                http_client=http_client,
            )
        return self._client

    def chat_model(self, model: str) -> Model:
        """The Agents SDK model one run streams `model` with, as `client_kind` says.

        The reasoning replay hook reaches the stock model only: `FastChatModel` takes none
        yet, so on the fast path the SDK's own rule ("deepseek" in the model name) decides.
        """
        if self.client_kind != "fast":
            return OpenAIChatCompletionsModel(
                model=model,
                openai_client=self.client(),
                should_replay_reasoning_content=reasoning_replay(self.quirks),
            )
        if self._fast is None:
            self._fast = (RequestFactory(self.client()), StreamTransport(MAX_CONNECTIONS))
        requests, transport = self._fast
        return FastChatModel(
            model, openai_client=self.client(), requests=requests, transport=transport
        )

    def build_agent(
        self,
        *,
        agent_name: str,
        model: str,
        instructions: str,
        tools: Sequence[Tool] = (),
        mcp_servers: Sequence[MCPServer] = (),
        tuning: ModelSettings | None = None,
    ) -> Agent:
        """An Agents SDK agent answering with `model` through this provider, quirks applied.

        `tuning` (a configured agent's temperature, token limit, reasoning effort) is laid
        over the provider's own settings; `mcp_servers` are the shared, already running
        servers whose tools the agent may call.
        """
        settings = model_settings(self.quirks, retry=stream_retry(self.max_retries))
        if tuning is not None:
            settings = settings.resolve(tuning)
        return Agent(
            name=agent_name,
            instructions=instructions,
            model=self.chat_model(model),
            model_settings=settings,
            tools=offered_tools(self.quirks, tools),
            mcp_servers=list(mcp_servers),
        )

    def cost_usd(self, model: str, *, input_tokens: int, output_tokens: int) -> float | None:
        """What this usage cost, or None where no price is known."""
        return cost_usd(
            price_provider=self.price_provider,
            model=model,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
        )

    def secrets(self) -> tuple[str, ...]:
        """Values that must never appear in an error, a log line or a stored row."""
        return (self.api_key,) if self.api_key else ()

    async def aclose(self) -> None:
        if self._fast is not None:
            transport = self._fast[1]
            self._fast = None
            await transport.aclose()
        if self._client is not None:
            await self._client.close()
            self._client = None
