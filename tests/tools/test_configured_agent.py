"""From the config file to a running agent: what `providers/` will do with these pieces."""

from __future__ import annotations

import sys
from pathlib import Path

from agents import (
    Agent,
    ModelSettings,
    OpenAIChatCompletionsModel,
    RunConfig,
    RunContextWrapper,
    Runner,
)
from openai import AsyncOpenAI
from openai.types.shared import Reasoning

from chatwait.config_file import AgentConfig, parse_config
from chatwait.tools import BUILTIN_TOOLS, McpServers, builtin_tools

from ._support import QUICK, SERVER

CONFIG = f"""
[[mcp_servers]]
name = "calc"
command = "{Path(sys.executable).as_posix()}"
args = ["{SERVER.as_posix()}", "stdio", "--tools", "add,echo"]
tool_filter = ["add"]

[[agents]]
name = "helper"
provider = "offline"
model = "offline-tools"
instructions = "Use your tools."
temperature = 0.2
max_output_tokens = 200
reasoning_effort = "low"
tools = ["calculator"]
mcp_servers = ["calc"]
"""


def build_agent(config: AgentConfig, api: AsyncOpenAI, mcp: McpServers) -> Agent:
    """One configured agent as the SDK takes it (the provider supplies `api`)."""
    settings = ModelSettings(
        temperature=config.temperature,
        max_tokens=config.max_output_tokens,
        reasoning=Reasoning(effort=config.reasoning_effort) if config.reasoning_effort else None,
        include_usage=True,
    )
    return Agent(
        name=config.name,
        instructions=config.instructions,
        model=OpenAIChatCompletionsModel(config.model, api),
        model_settings=settings,
        tools=list(builtin_tools(config.tools, timeout_seconds=30)),
        mcp_servers=list(mcp.handles(config.mcp_servers)),
    )


async def test_a_configured_agent_uses_its_builtin_and_mcp_tools(sim: AsyncOpenAI) -> None:
    config = parse_config(
        CONFIG, Path("chatwait.toml"), known_providers={"offline"}, known_tools=set(BUILTIN_TOOLS)
    )
    [helper] = config.agents
    async with McpServers(config.mcp_servers, call_timeout_seconds=30, timing=QUICK) as mcp:
        agent = build_agent(helper, sim, mcp)
        offered = await agent.get_all_tools(RunContextWrapper(context=None))
        assert sorted(t.name for t in offered) == ["add", "calculator"]  # echo is filtered
        both = 'calculator {"expression": "2 ** 8"} then add {"a": 1, "b": 2}; echo too'
        result = await Runner.run(agent, both, run_config=RunConfig(tracing_disabled=True))
    answer = str(result.final_output)
    assert answer.startswith('The calculator tool returned "256". The add tool returned "3".')
    assert "echo tool" not in answer
