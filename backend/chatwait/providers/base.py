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

import hashlib
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import httpx2
from agents import Agent, Model, ModelSettings, OpenAIResponsesModel, Tool
from agents.mcp import MCPServer
from openai import APIStatusError, AsyncOpenAI

from chatwait.providers._attempts import count_request
from chatwait.providers._chunk_repair import RepairingChatCompletionsModel
from chatwait.providers._quirks import Quirks, model_settings, offered_tools, reasoning_replay
from chatwait.providers._retry import stream_retry
from chatwait.providers.fast import FastChatModel, RequestFactory, StreamTransport
from chatwait.providers.prices import cost_usd

MAX_CONNECTIONS = 4096
"""Streams held open at once per provider; benchmarks hold over a thousand."""
USER_KEY_FACTORIES = 256
"""Request factories kept per provider for users' own keys (least recently used go)."""


class InvalidKey(Exception):
    """The provider refused a key (401 or 403 on its models list)."""


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
    api: Literal["chat", "responses"] = "chat"
    """`responses`: the SDK's Responses model instead (`OPENAI_API`, OpenAI only)."""
    takes_key: bool = True
    """Whether a user may bring their own key for it (not the offline provider, not Ollama)."""
    _client: AsyncOpenAI | None = field(default=None, repr=False)
    _fast: tuple[RequestFactory, StreamTransport] | None = field(default=None, repr=False)
    _keyed: OrderedDict[str, RequestFactory] = field(default_factory=OrderedDict, repr=False)

    @property
    def available(self) -> bool:
        return self.unavailable_reason is None

    def available_with(self, *, user_key: bool) -> bool:
        """Whether runs can go out: it is available, or only lacked the key the user has."""
        if self.available:
            return True
        return user_key and self.takes_key and not self.api_key

    def keyed_client(self, api_key: str | None) -> AsyncOpenAI:
        """The shared client, or a copy sending `api_key` over the same connection pool."""
        client = self.client()
        return client if api_key is None else client.with_options(api_key=api_key)

    async def check_key(self, api_key: str) -> None:
        """One cheap call (the models list) with `api_key`; `InvalidKey` on 401 or 403.

        Any other failure (unreachable, 5xx) raises the `openai` error, for the caller to
        translate.
        """
        client = self.keyed_client(api_key).with_options(max_retries=0)
        try:
            await client.models.list()
        except APIStatusError as exc:
            if exc.status_code in (401, 403):
                raise InvalidKey(f"{self.name} refused the key ({exc.status_code})") from None
            raise

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

    def chat_model(self, model: str, *, api_key: str | None = None) -> Model:
        """The Agents SDK model one run streams `model` with, as `client_kind` says.

        `api_key`: a user's own key, sent instead of the provider's (over the same
        connections; never in model settings, which traces record).
        Both models take the reasoning replay hook (`FastChatModel` builds its request
        with a stock model holding it).
        """
        client = self.keyed_client(api_key)
        if self.api == "responses":
            return OpenAIResponsesModel(model=model, openai_client=client)
        if self.client_kind != "fast":
            return RepairingChatCompletionsModel(
                model=model,
                openai_client=client,
                should_replay_reasoning_content=reasoning_replay(self.quirks),
            )
        if self._fast is None:
            self._fast = (RequestFactory(self.client()), StreamTransport(MAX_CONNECTIONS))
        requests, transport = self._fast
        if api_key is not None:
            requests = self._keyed_requests(api_key, client)
        return FastChatModel(
            model,
            openai_client=client,
            requests=requests,
            transport=transport,
            should_replay_reasoning_content=reasoning_replay(self.quirks),
        )

    def _keyed_requests(self, api_key: str, client: AsyncOpenAI) -> RequestFactory:
        """The request factory for a user's key: its headers carry that key."""
        digest = hashlib.sha256(api_key.encode()).hexdigest()
        requests = self._keyed.pop(digest, None) or RequestFactory(client)
        self._keyed[digest] = requests
        while len(self._keyed) > USER_KEY_FACTORIES:
            self._keyed.popitem(last=False)
        return requests

    def build_agent(
        self,
        *,
        agent_name: str,
        model: str,
        instructions: str,
        tools: Sequence[Tool] = (),
        mcp_servers: Sequence[MCPServer] = (),
        tuning: ModelSettings | None = None,
        api_key: str | None = None,
    ) -> Agent:
        """An Agents SDK agent answering with `model` through this provider, quirks applied.

        `tuning` (a configured agent's temperature, token limit, reasoning effort) is laid
        over the provider's own settings; `mcp_servers` are the shared, already running
        servers whose tools the agent may call; `api_key` is the user's own key, if they
        run it with one.
        """
        settings = model_settings(self.quirks, retry=stream_retry(self.max_retries))
        if tuning is not None:
            settings = settings.resolve(tuning)
        if self.api == "responses" and settings.reasoning is not None:
            # the Responses API streams reasoning only as summaries, and only when asked
            summary = settings.reasoning.summary or "auto"
            reasoning = settings.reasoning.model_copy(update={"summary": summary})
            settings = settings.resolve(ModelSettings(reasoning=reasoning))
        return Agent(
            name=agent_name,
            instructions=instructions,
            model=self.chat_model(model, api_key=api_key),
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
        self._keyed.clear()
        if self._fast is not None:
            transport = self._fast[1]
            self._fast = None
            await transport.aclose()
        if self._client is not None:
            await self._client.close()
            self._client = None
