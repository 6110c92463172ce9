"""What the Agents SDK does on its own with a dead MCP server: why the handles exist.

These pin the installed SDK's behaviour (0.24, mcp 1.x) so an upgrade that changes it is
noticed: then `chatwait.tools._mcp` may be simplified, or may need to change.
"""

from __future__ import annotations

import sys

import pytest
from agents import Agent, OpenAIChatCompletionsModel, RunConfig, Runner, UserError
from agents.mcp import MCPServerStdio
from openai import AsyncOpenAI

from chatwait.tools import is_error_output

from ._agents import run_agent
from ._support import SERVER


def _raw_server() -> MCPServerStdio:
    params = {"command": sys.executable, "args": [str(SERVER), "stdio"]}
    return MCPServerStdio(params, cache_tools_list=True, client_session_timeout_seconds=60)  # type: ignore[arg-type]


async def test_a_dead_cached_server_gives_a_generic_text_that_is_not_an_error_result(
    sim: AsyncOpenAI,
) -> None:
    server = _raw_server()
    await server.connect()
    try:
        await server.list_tools()
        with pytest.raises(Exception, match="Connection closed"):
            await server.call_tool("die", {})
        # The dead server still lists its cached tools, so the model calls one...
        assert "add" in [tool.name for tool in await server.list_tools()]
        answer, tools = await run_agent(sim, 'add {"a": 1, "b": 2}', mcp_servers=[server])
    finally:
        await server.cleanup()
    # ...and reads the SDK's fixed text, which nothing marks as an error, with no reconnect.
    [ended] = tools.ended
    assert ended.output == "An error occurred while running the tool. Please try again."
    assert not ended.is_error and not is_error_output(ended.output)
    assert answer.startswith('The add tool returned "An error occurred')


async def test_a_server_that_never_connected_kills_the_run(sim: AsyncOpenAI) -> None:
    agent = Agent(
        name="agent",
        model=OpenAIChatCompletionsModel("offline-tools", sim),
        mcp_servers=[_raw_server()],
    )
    with pytest.raises(UserError, match="Server not initialized"):
        await Runner.run(agent, "add", run_config=RunConfig(tracing_disabled=True))
