"""The consumer that matters: an Agents SDK run over the chat completions model."""

from __future__ import annotations

from typing import Any

from agents import Agent, ModelSettings, OpenAIChatCompletionsModel, RunConfig, Runner
from openai import AsyncOpenAI
from openai.types.responses import ResponseTextDeltaEvent

from ._support import FAST


async def test_streamed_agent_run_sees_deltas_history_and_usage(api: AsyncOpenAI) -> None:
    agent = Agent(
        name="offline",
        instructions="Be kind.",
        model=OpenAIChatCompletionsModel("offline-2", api),
        model_settings=ModelSettings(include_usage=True),
    )
    history: list[Any] = [
        {"role": "user", "content": "First question"},
        {"role": "assistant", "content": "First answer."},
        {"role": "user", "content": "Second question, please"},
    ]
    run = Runner.run_streamed(agent, history, run_config=RunConfig(tracing_disabled=True))
    deltas = [
        event.data.delta
        async for event in run.stream_events()
        if event.type == "raw_response_event" and isinstance(event.data, ResponseTextDeltaEvent)
    ]
    expected_tokens = 2 * FAST.answer_tokens
    assert len(deltas) == expected_tokens and "".join(deltas) == run.final_output
    assert 'You asked: "Second question, please", and this conversation now holds 2 user' in (
        run.final_output
    )
    usage = run.context_wrapper.usage
    assert usage.output_tokens == expected_tokens and usage.input_tokens > 0
