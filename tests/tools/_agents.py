"""Run an agent on the offline provider and record what its tools did."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agents import (
    Agent,
    AgentBase,
    ModelSettings,
    OpenAIChatCompletionsModel,
    RunConfig,
    RunContextWrapper,
    RunHooks,
    Runner,
    Tool,
)
from agents.mcp import MCPServer
from agents.tool_context import ToolContext
from openai import AsyncOpenAI

from chatwait.tools import is_error_output, output_text


@dataclass
class ToolEnd:
    call_id: str
    name: str
    output: str
    is_error: bool


@dataclass
class Recorder(RunHooks[Any]):
    """What `turns/` will do: one record per finished tool call, from `on_tool_end`."""

    ended: list[ToolEnd] = field(default_factory=list)

    async def on_tool_end(
        self, context: RunContextWrapper[Any], agent: AgentBase, tool: Tool, result: object
    ) -> None:
        call_id = context.tool_call_id if isinstance(context, ToolContext) else ""
        self.ended.append(ToolEnd(call_id, tool.name, output_text(result), is_error_output(result)))


async def run_agent(
    api: AsyncOpenAI,
    message: str,
    *,
    tools: list[Any] | None = None,
    mcp_servers: list[MCPServer] | None = None,
    model: str = "offline-tools",
) -> tuple[str, Recorder]:
    """The final output of one streamed run and the tool calls it finished."""
    agent = Agent(
        name="agent",
        model=OpenAIChatCompletionsModel(model, api),
        model_settings=ModelSettings(include_usage=True),
        tools=tools or [],
        mcp_servers=mcp_servers or [],
    )
    recorder = Recorder()
    run = Runner.run_streamed(
        agent, message, hooks=recorder, run_config=RunConfig(tracing_disabled=True)
    )
    async for _ in run.stream_events():
        pass
    return str(run.final_output), recorder
