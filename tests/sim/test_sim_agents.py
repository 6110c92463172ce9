"""The consumer that matters: Agents SDK runs over the chat completions model, real HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from agents import (
    Agent,
    MaxTurnsExceeded,
    ModelBehaviorError,
    ModelSettings,
    OpenAIChatCompletionsModel,
    RawResponsesStreamEvent,
    ReasoningItem,
    RunConfig,
    RunItemStreamEvent,
    Runner,
    ToolCallItem,
    ToolCallOutputItem,
    function_tool,
)
from openai import AsyncOpenAI
from openai.types.responses import ResponseReasoningSummaryTextDeltaEvent, ResponseTextDeltaEvent

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


async def test_streamed_agent_run_calls_a_function_tool_and_quotes_its_output(
    api: AsyncOpenAI,
) -> None:
    called: list[tuple[int, int]] = []

    @function_tool
    async def add(a: int, b: int) -> str:
        """Add two integers."""
        called.append((a, b))
        return str(a + b)

    @function_tool
    async def echo(text: str) -> str:
        """Repeat the text."""
        return text.upper()

    agent = Agent(
        name="tools",
        model=OpenAIChatCompletionsModel("offline-tools", api),
        model_settings=ModelSettings(include_usage=True),
        tools=[add, echo],
    )
    question = 'Please add {"a": 20, "b": 22} and echo {"text": "done"}.'
    run = Runner.run_streamed(agent, question, run_config=RunConfig(tracing_disabled=True))
    items = [e.item async for e in run.stream_events() if isinstance(e, RunItemStreamEvent)]
    tool_calls = [i.raw_item for i in items if isinstance(i, ToolCallItem)]
    outputs = [i.output for i in items if isinstance(i, ToolCallOutputItem)]
    assert [call.name for call in tool_calls] == ["add", "echo"]  # type: ignore[union-attr]
    assert len({call.call_id for call in tool_calls}) == 2  # type: ignore[union-attr]
    assert called == [(20, 22)] and outputs == ["42", "DONE"]
    assert str(run.final_output).startswith(
        'The add tool returned "42". The echo tool returned "DONE".'
    )
    assert run.context_wrapper.usage.requests == 2


async def test_streamed_agent_run_sees_reasoning_before_the_answer(api: AsyncOpenAI) -> None:
    agent = Agent(
        name="reasoner",
        model=OpenAIChatCompletionsModel("offline-reasoner", api),
        model_settings=ModelSettings(include_usage=True),
    )
    run = Runner.run_streamed(
        agent, "Why is the sea salty?", run_config=RunConfig(tracing_disabled=True)
    )
    order: list[str] = []
    thinking: list[str] = []
    async for event in run.stream_events():
        if isinstance(event, RawResponsesStreamEvent):
            if isinstance(event.data, ResponseReasoningSummaryTextDeltaEvent):
                thinking.append(event.data.delta)
                order.append("reasoning")
            elif isinstance(event.data, ResponseTextDeltaEvent):
                order.append("text")
        elif isinstance(event, RunItemStreamEvent) and isinstance(event.item, ReasoningItem):
            order.append("reasoning_item")
    assert len(thinking) == FAST.answer_tokens // 2
    assert "".join(thinking).startswith('Let me think about "Why is the sea salty?".')
    assert order.index("text") > max(i for i, kind in enumerate(order) if kind == "reasoning")
    assert "reasoning_item" in order
    assert str(run.final_output).startswith('You asked: "Why is the sea salty?"')
    usage = run.context_wrapper.usage
    assert usage.output_tokens_details.reasoning_tokens == FAST.answer_tokens // 2


async def test_fault_tool_loop_runs_into_the_turn_limit(api: AsyncOpenAI) -> None:
    """What `MAX_TOOL_ROUNDS` rests on: a model that never stops calling tools."""
    calls: list[str] = []

    @function_tool
    async def ping() -> str:
        """Answer pong."""
        calls.append("ping")
        return "pong"

    agent = Agent(
        name="loop", model=OpenAIChatCompletionsModel("fault-tool-loop", api), tools=[ping]
    )
    run = Runner.run_streamed(
        agent, "Go.", max_turns=3, run_config=RunConfig(tracing_disabled=True)
    )
    with pytest.raises(MaxTurnsExceeded):
        async for _ in run.stream_events():
            pass
    assert calls == ["ping"] * 3


async def test_fault_unknown_tool_is_an_error_the_model_reads_when_asked(
    api: AsyncOpenAI,
) -> None:
    agent = Agent(name="lost", model=OpenAIChatCompletionsModel("fault-unknown-tool", api))
    config = RunConfig(tracing_disabled=True, tool_not_found_behavior="return_error_to_model")
    result = await Runner.run(agent, "Do something.", run_config=config)
    opening = str(result.final_output).split(". ")[0]
    assert opening.startswith('The no_such_tool tool returned "') and "not found" in opening
    with pytest.raises(ModelBehaviorError, match="no_such_tool"):
        await Runner.run(agent, "Do something.", run_config=RunConfig(tracing_disabled=True))
