"""A turn service without sockets: agents answer from the SDK's `ScriptedModel`.

`ScriptedProvider` is a `Provider` whose agents use a `ScriptedModel` built per run from
a `Script`: the text chunks to stream, the usage to report, and hooks that let a test
hold the stream at a chunk (`gate`) or fail it. The model says its request "went out"
the way the HTTP client does for real providers (`count_request`), so the service's
dispatch wait and the run's attempt count behave as in production.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agents import Agent, ModelSettings
from agents.items import TResponseStreamEvent
from agents.testing import ModelCall, ModelStep, ScriptedModel, assistant_message
from agents.usage import Usage

from chatwait.config import Settings
from chatwait.event_log import MemoryEventLog
from chatwait.providers import AgentSpec, Provider, ProviderRegistry
from chatwait.providers._attempts import count_request
from chatwait.store import Database
from chatwait.turns import TurnService


@dataclass
class Script:
    """What one run of an agent streams, and where it stops."""

    chunks: list[str]
    input_tokens: int = 7
    output_tokens: int = 5
    dispatch_after: int = 0
    """The request "goes out" before chunk `dispatch_after`: chunks before it are early."""
    hold_at: int | None = None
    """Before chunk `hold_at`, set `reached` and wait for `gate` (None: never)."""
    fail_at: int | None = None
    """Before chunk `fail_at`, set `reached` and raise `fail_with` (None: never)."""
    fail_with: Exception | None = None
    gate: asyncio.Event = field(default_factory=asyncio.Event)
    reached: asyncio.Event = field(default_factory=asyncio.Event)
    sent_in: list[contextvars.Context] = field(default_factory=list)
    """The context the request went out in, as a pooled HTTP connection would keep it."""


async def _request_sent(script: Script) -> None:
    script.sent_in.append(contextvars.copy_context())
    await count_request(None)  # type: ignore[arg-type]  # the hook ignores the request


def _stream(script: Script) -> Callable[[ModelCall], AsyncIterator[TResponseStreamEvent]]:
    """A stream factory: the SDK's own events for the whole answer, its text in chunks."""

    async def events(call: ModelCall) -> AsyncIterator[TResponseStreamEvent]:
        usage = Usage(input_tokens=script.input_tokens, output_tokens=script.output_tokens)
        answer = assistant_message("".join(script.chunks))
        whole = ScriptedModel([ModelStep(output=[answer], usage=usage)])
        stream = whole.stream_response(
            call.system_instructions,
            call.input,
            call.model_settings,
            call.tools,
            call.output_schema,
            call.handoffs,
            call.tracing,
            previous_response_id=None,
            conversation_id=None,
            prompt=None,
        )
        async for event in stream:
            if event.type != "response.output_text.delta":
                yield event
                continue
            for index, chunk in enumerate(script.chunks):
                if index == script.dispatch_after:
                    await _request_sent(script)
                if index == script.hold_at:
                    script.reached.set()
                    await script.gate.wait()
                if index == script.fail_at and script.fail_with is not None:
                    script.reached.set()
                    raise script.fail_with
                yield event.model_copy(update={"delta": chunk})
            if script.dispatch_after >= len(script.chunks):
                await _request_sent(script)

    return events


@dataclass
class ScriptedProvider(Provider):
    """A provider whose every run plays the next `Script` of its agent."""

    scripts: dict[str, list[Script]] = field(default_factory=dict)

    def build_agent(  # type: ignore[override]  # tools and tuning are not scripted
        self, *, agent_name: str, model: str, instructions: str, **_: Any
    ) -> Agent[Any]:
        script = self.scripts[agent_name].pop(0)
        return Agent(
            name=agent_name,
            instructions=instructions,
            model=ScriptedModel([ModelStep.stream(_stream(script))]),
            model_settings=ModelSettings(include_usage=True),
        )


def scripted_provider(agents: list[str]) -> ScriptedProvider:
    """A provider with an empty script list per agent name."""
    return ScriptedProvider(
        name="scripted",
        base_url="http://scripted.invalid/v1",
        api_key=None,
        models=("scripted-1",),
        default_model="scripted-1",
        scripts={name: [] for name in agents},
    )


def scripted_service(
    tmp_path: Path, db: Database, agents: list[str], **settings: Any
) -> tuple[TurnService, ScriptedProvider]:
    """A `TurnService` over `db` whose agents are scripted; no server, no socket."""
    provider = scripted_provider(agents)
    registry = ProviderRegistry([AgentSpec(n, provider, "scripted-1") for n in agents], agents)
    config = Settings(  # type: ignore[call-arg]
        _env_file=None, CHATWAIT_DATA_DIR=str(tmp_path), CHATWAIT_UI=False, **settings
    )
    service = TurnService(
        settings=config, db=db, registry=registry, event_log=MemoryEventLog(), owner="test"
    )
    return service, provider
