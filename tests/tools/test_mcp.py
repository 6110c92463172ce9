"""MCP servers' lifecycle: started once, watched, restarted; a dead one never breaks a call.

The servers are real processes (`mcp_servers/server.py`) over stdio and Streamable HTTP.
Every wait is on observable state (`wait_until` a status), bounded by `asyncio.timeout`.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from chatwait.config_file import McpServerConfig
from chatwait.tools import McpServers, McpServerStatus, ToolFailure
from tests.support.servers import free_port

from ._support import QUICK, http_config, http_server, stdio_config

LIMIT = 90.0
"""Upper bound of any wait (process start-up on a busy host), not a timing goal."""


@asynccontextmanager
async def servers(
    *configs: McpServerConfig, call_timeout: float = 30.0
) -> AsyncIterator[McpServers]:
    async with McpServers(configs, call_timeout_seconds=call_timeout, timing=QUICK) as mcp:
        yield mcp


async def until(
    mcp: McpServers, name: str, condition: Callable[[McpServerStatus], bool]
) -> McpServerStatus:
    async with asyncio.timeout(LIMIT):
        return await mcp[name].wait_until(condition)


def text(result: object) -> str:
    return "\n".join(part.text for part in result.content)  # type: ignore[attr-defined]


def process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def test_stdio_and_http_servers_list_tools_and_answer(tmp_path: Path) -> None:
    with http_server(tmp_path, tools="add,echo") as web:
        async with servers(stdio_config("local"), http_config("remote", web.port)) as mcp:
            status = mcp.status()
            assert status["local"].up and status["remote"].up
            assert status["remote"].tools == ("add", "echo") and status["local"].connects == 1
            for name in ("local", "remote"):
                listed = [tool.name for tool in await mcp[name].list_tools()]
                assert "add" in listed and "echo" in listed
                assert text(await mcp[name].call_tool("add", {"a": 2, "b": 3})) == "5"


async def test_tool_filter_keeps_only_the_allowed_tools() -> None:
    async with servers(stdio_config("calc", tool_filter=("add",))) as mcp:
        assert [tool.name for tool in await mcp["calc"].list_tools()] == ["add"]
        assert mcp.status()["calc"].tools == ("add",)


async def test_a_slow_call_times_out_as_a_tool_failure_and_the_server_stays_up() -> None:
    async with servers(stdio_config("slow", timeout_seconds=0.5)) as mcp:
        with pytest.raises(ToolFailure, match="did not answer within 0.5 s"):
            await mcp["slow"].call_tool("slow", {"seconds": 60})
        assert text(await mcp["slow"].call_tool("echo", {"text": "still here"})) == "still here"
        status = mcp.status()["slow"]
        assert status.up and status.connects == 1


async def test_a_failing_tool_is_a_tool_failure_with_the_servers_text() -> None:
    async with servers(stdio_config("fails")) as mcp:
        with pytest.raises(ToolFailure, match="the tool failed on purpose"):
            await mcp["fails"].call_tool("fail", {})
        assert mcp.status()["fails"].up


async def test_a_server_that_dies_mid_call_is_down_then_restarted() -> None:
    async with servers(stdio_config("mortal")) as mcp:
        handle = mcp["mortal"]
        first_pid = int(text(await handle.call_tool("pid", {})))
        with pytest.raises(ToolFailure, match="failed"):
            await handle.call_tool("die", {})
        down = await until(mcp, "mortal", lambda s: not s.up)
        assert down.state == "down" and down.reason and "lost the connection" in down.reason
        # While down: the tools stay listed (a call must reach the model as an error).
        assert "add" in [tool.name for tool in await handle.list_tools()]
        back = await until(mcp, "mortal", lambda s: s.up)
        assert back.connects == 2 and back.reason is None
        assert int(text(await handle.call_tool("pid", {}))) != first_pid
        assert not process_exists(first_pid)


async def test_calls_while_down_fail_with_the_reason(tmp_path: Path) -> None:
    port = free_port()
    with http_server(tmp_path, port) as web:
        async with servers(http_config("remote", port)) as mcp:
            web.kill()
            down = await until(mcp, "remote", lambda s: not s.up)
            with pytest.raises(ToolFailure, match="remote is down: lost the connection"):
                await mcp["remote"].call_tool("add", {"a": 1, "b": 1})
            assert down.tools == ("add", "echo", "pid", "slow", "fail", "die")
            with http_server(tmp_path, port):
                back = await until(mcp, "remote", lambda s: s.up)
                assert back.connects == 2
                assert text(await mcp["remote"].call_tool("add", {"a": 1, "b": 1})) == "2"


async def test_a_server_that_never_starts_is_down_with_the_reason_while_others_work(
    tmp_path: Path,
) -> None:
    ghost = McpServerConfig(name="ghost", command=str(tmp_path / "no-such-server"))
    quitter = McpServerConfig(name="quitter", command="sh", args=("-c", "exit 3"))
    async with servers(ghost, quitter, stdio_config("good")) as mcp:
        status = mcp.status()
        assert status["ghost"].state == "down" and "No such file" in (status["ghost"].reason or "")
        assert status["quitter"].state == "down" and status["quitter"].reason
        assert status["ghost"].tools == () and await mcp["ghost"].list_tools() == []
        with pytest.raises(ToolFailure, match="ghost is down"):
            await mcp["ghost"].call_tool("add", {})
        assert status["good"].up
        assert text(await mcp["good"].call_tool("add", {"a": 1, "b": 2})) == "3"


async def test_a_server_that_was_not_there_at_start_up_comes_up_later(tmp_path: Path) -> None:
    port = free_port()
    async with servers(http_config("late", port)) as mcp:
        assert mcp.status()["late"].state == "down"
        with http_server(tmp_path, port, tools="echo"):
            up = await until(mcp, "late", lambda s: s.up)
            assert up.tools == ("echo",) and up.connects == 1
            assert text(await mcp["late"].call_tool("echo", {"text": "hi"})) == "hi"


async def test_close_stops_every_server_process() -> None:
    async with servers(stdio_config("a"), stdio_config("b")) as mcp:
        pids = [int(text(await mcp[name].call_tool("pid", {}))) for name in ("a", "b")]
        assert all(process_exists(pid) for pid in pids)
    assert {s.state for s in mcp.status().values()} == {"closed"}
    assert not any(process_exists(pid) for pid in pids)
    with pytest.raises(ToolFailure, match="is closed"):
        await mcp["a"].call_tool("pid", {})


def test_names_must_be_unique() -> None:
    with pytest.raises(ValueError, match="unique"):
        McpServers([stdio_config("x"), stdio_config("x")], call_timeout_seconds=1)
