"""Agents using MCP servers through the handles: every failure is a result the model reads.

Real processes, the real Agents SDK runner, the offline provider over HTTP: `offline-tools`
calls the tool the message names, then answers quoting what the tool returned.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from openai import AsyncOpenAI

from chatwait.tools import McpServers
from tests.support.servers import free_port

from ._agents import run_agent
from ._support import QUICK, http_config, http_server, stdio_config

LIMIT = 90.0


async def test_an_agent_calls_an_mcp_tool_and_answers_with_its_output(sim: AsyncOpenAI) -> None:
    async with McpServers([stdio_config("calc")], call_timeout_seconds=30, timing=QUICK) as mcp:
        answer, tools = await run_agent(
            sim, 'Please add {"a": 19, "b": 23}.', mcp_servers=mcp.handles(["calc"])
        )
    [ended] = tools.ended
    assert (ended.name, ended.output, ended.is_error) == ("add", "42", False)
    assert ended.call_id.startswith("call_")
    assert answer.startswith('The add tool returned "42".')


async def test_a_failing_and_a_slow_tool_are_error_results_and_the_run_goes_on(
    sim: AsyncOpenAI,
) -> None:
    configs = [stdio_config("flaky", timeout_seconds=0.5)]
    async with McpServers(configs, call_timeout_seconds=30, timing=QUICK) as mcp:
        handles = mcp.handles(["flaky"])
        failed, failing = await run_agent(sim, "Try fail now.", mcp_servers=handles)
        slow, slowing = await run_agent(sim, 'Try slow {"seconds": 60}.', mcp_servers=handles)
        assert mcp.status()["flaky"].up
    assert [(e.name, e.is_error) for e in failing.ended] == [("fail", True)]
    assert "the tool failed on purpose" in failing.ended[0].output
    assert failed.startswith('The fail tool returned "Error executing tool fail: the tool failed')
    assert [(e.name, e.is_error) for e in slowing.ended] == [("slow", True)]
    assert "did not answer within 0.5 s" in slowing.ended[0].output
    assert slow.startswith('The slow tool returned "The tool slow on MCP server flaky did not')


async def test_a_dead_server_fails_its_calls_and_leaves_other_agents_alone(
    sim: AsyncOpenAI, tmp_path: Path
) -> None:
    port = free_port()
    with http_server(tmp_path, port) as web:
        configs = [http_config("remote", port), stdio_config("local")]
        async with McpServers(configs, call_timeout_seconds=30, timing=QUICK) as mcp:
            web.kill()
            async with asyncio.timeout(LIMIT):
                await mcp["remote"].wait_until(lambda s: not s.up)
            (dead, dead_tools), (alive, alive_tools) = await asyncio.gather(
                run_agent(sim, 'add {"a": 1, "b": 2}', mcp_servers=mcp.handles(["remote"])),
                run_agent(sim, 'add {"a": 1, "b": 2}', mcp_servers=mcp.handles(["local"])),
            )
    [failed] = dead_tools.ended
    assert failed.is_error and "remote is down" in failed.output
    assert dead.startswith('The add tool returned "The MCP server remote is down:')
    assert [(e.output, e.is_error) for e in alive_tools.ended] == [("3", False)]
    assert alive.startswith('The add tool returned "3".')


async def test_an_agent_with_a_server_that_never_started_still_answers(
    sim: AsyncOpenAI, tmp_path: Path
) -> None:
    configs = [http_config("nowhere", free_port()), stdio_config("calc", tools="add")]
    async with McpServers(configs, call_timeout_seconds=30, timing=QUICK) as mcp:
        assert mcp.status()["nowhere"].state == "down"
        handles = mcp.handles(["nowhere", "calc"])
        answer, tools = await run_agent(sim, 'add {"a": 2, "b": 2}', mcp_servers=handles)
    assert [(e.name, e.output) for e in tools.ended] == [("add", "4")]
    assert answer.startswith('The add tool returned "4".')


async def test_a_server_that_dies_mid_call_comes_back_for_the_next_run(sim: AsyncOpenAI) -> None:
    async with McpServers([stdio_config("mortal")], call_timeout_seconds=30, timing=QUICK) as mcp:
        handles = mcp.handles(["mortal"])
        answer, tools = await run_agent(sim, "Please die.", mcp_servers=handles)
        [died] = tools.ended
        assert died.name == "die" and died.is_error and "Connection closed" in died.output
        assert answer.startswith('The die tool returned "The tool die on MCP server mortal')
        async with asyncio.timeout(LIMIT):
            await mcp["mortal"].wait_until(lambda s: s.up and s.connects == 2)
        answer, tools = await run_agent(sim, 'add {"a": 5, "b": 5}', mcp_servers=handles)
    assert [(e.output, e.is_error) for e in tools.ended] == [("10", False)]
    assert answer.startswith('The add tool returned "10".')
