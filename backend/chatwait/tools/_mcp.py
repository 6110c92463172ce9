"""One MCP server that outlives its connections: a stable handle agents hold.

Agents get `McpServerHandle`s (`Agent(mcp_servers=[...])`); behind each one a background
task owns the SDK's `MCPServerStdio` / `MCPServerStreamableHttp`. It connects and lists
the tools once (`cache_tools_list=True`), pings to notice a death, and then cleans up and
connects a fresh server with backoff. Connect and cleanup run in that one task, as
anyio's cancel scopes require (openai-agents-python #1393, #2005).

Why not hand the SDK's servers to agents directly (`tests/tools/test_mcp_sdk_behaviour.py`
pins this down): a server whose process died keeps listing its cached tools and every
call fails with `anyio.ClosedResourceError`, turned into the SDK's generic "An error
occurred while running the tool" forever, with no reconnect; a server never connected (or
cleaned up) makes `list_tools` raise `UserError`, which kills every run of every agent
holding it. The handle instead lists the last known tools while the server is down, so a
call is an `is_error` result saying why; it never raises from `list_tools`; and a failed
call wakes the supervisor at once, so the restart starts without waiting for a ping.

`MCPServerManager` is not used: it notices failures only while connecting, and its
`reconnect()` restarts all servers or the ones that failed to connect, never one that
died later.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from agents import AgentBase, RunContextWrapper
from agents.mcp import MCPServer
from mcp.types import CallToolResult, GetPromptResult, ListPromptsResult
from mcp.types import Tool as MCPTool

from chatwait.config_file import McpServerConfig
from chatwait.tools._mcp_transport import (
    SdkServer,
    describe,
    new_sdk_server,
    ping,
    result_is_error,
    result_text,
)
from chatwait.tools._output import ToolFailure, tool_error_output

logger = logging.getLogger(__name__)

ServerState = Literal["starting", "up", "down", "closed"]


@dataclass(frozen=True, slots=True)
class McpTiming:
    """How patiently servers are started, watched and restarted."""

    connect_timeout_seconds: float = 30.0
    """Start-up budget: spawning a Python server alone can take seconds on a busy host."""
    ping_interval_seconds: float = 15.0
    ping_timeout_seconds: float = 10.0
    backoff_initial_seconds: float = 0.5
    backoff_max_seconds: float = 30.0

    def backoff(self, failures: int) -> float:
        """Seconds before attempt `failures + 1`: doubling, capped, with jitter."""
        delay = self.backoff_initial_seconds * 2 ** max(0, failures - 1)
        return float(min(self.backoff_max_seconds, delay) * random.uniform(0.8, 1.0))


@dataclass(frozen=True, slots=True)
class McpServerStatus:
    """What `GET /models` says about one server."""

    name: str
    state: ServerState
    reason: str | None
    """Why it is down (the last failure), None when up."""
    tools: tuple[str, ...]
    """The tools agents see: the live list when up, the last known one when down."""
    connects: int
    """Successful connections so far; more than one means it was restarted."""

    @property
    def up(self) -> bool:
        return self.state == "up"


@dataclass(frozen=True, slots=True)
class _Ending:
    """How one connection attempt ended."""

    reason: str | None
    """Why (None: the handle is closing)."""
    connected: bool
    """It was up: the next attempt starts a fresh backoff."""


class McpServerHandle(MCPServer):
    """The `MCPServer` an agent holds; the live connection behind it comes and goes."""

    def __init__(
        self, config: McpServerConfig, *, call_timeout_seconds: float, timing: McpTiming
    ) -> None:
        super().__init__(failure_error_function=tool_error_output)
        self.config = config
        self.call_timeout_seconds = config.timeout_seconds or call_timeout_seconds
        self.timing = timing
        self._live: SdkServer | None = None
        self._tools: list[MCPTool] = []
        self._state: ServerState = "starting"
        self._reason: str | None = None
        self._connects = 0
        self._closing = False
        self._wake = asyncio.Event()
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    # -- what agents use ---------------------------------------------------------------

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def cached_tools(self) -> list[MCPTool] | None:
        return [tool.model_copy(deep=True) for tool in self._tools]

    async def connect(self) -> None:
        """Nothing: `McpServers` owns the lifecycle (`start()` / `close()`)."""

    async def cleanup(self) -> None:
        """Nothing: `McpServers` owns the lifecycle (`start()` / `close()`)."""

    async def list_tools(
        self, run_context: RunContextWrapper[Any] | None = None, agent: AgentBase | None = None
    ) -> list[MCPTool]:
        """The live tools (cached, filtered), else the last known ones; never raises."""
        live = self._live
        if live is not None:
            try:
                return await live.list_tools(run_context, agent)
            except Exception:
                self.suspect()
        return self.cached_tools or []

    async def call_tool(
        self, tool_name: str, arguments: dict[str, Any] | None, meta: dict[str, Any] | None = None
    ) -> CallToolResult:
        """The tool's result; any failure raises `ToolFailure`, which the model reads."""
        live = self._require_live()
        try:
            async with asyncio.timeout(self.call_timeout_seconds):
                if meta is None:
                    result = await live.call_tool(tool_name, arguments)
                else:
                    result = await live.call_tool(tool_name, arguments, meta=meta)
        except TimeoutError:
            self.suspect()
            raise ToolFailure(
                f"The tool {tool_name} on MCP server {self.name} did not answer within "
                f"{self.call_timeout_seconds:g} s."
            ) from None
        except Exception as exc:
            self.suspect()
            raise ToolFailure(
                f"The tool {tool_name} on MCP server {self.name} failed: {self._describe(exc)}"
            ) from None
        if result_is_error(result):
            raise ToolFailure(result_text(result) or f"The tool {tool_name} failed.")
        return result

    async def list_prompts(self) -> ListPromptsResult:
        return await self._require_live().list_prompts()

    async def get_prompt(
        self, name: str, arguments: dict[str, Any] | None = None
    ) -> GetPromptResult:
        return await self._require_live().get_prompt(name, arguments)

    # -- state -------------------------------------------------------------------------

    def status(self) -> McpServerStatus:
        names = tuple(tool.name for tool in self._tools)
        return McpServerStatus(self.name, self._state, self._reason, names, self._connects)

    def suspect(self) -> None:
        """Something failed: check the connection now instead of at the next ping."""
        self._wake.set()

    async def wait_until(self, condition: Callable[[McpServerStatus], bool]) -> McpServerStatus:
        """The first status meeting `condition` (bound the wait with `asyncio.timeout`)."""
        while not condition(status := self.status()):
            await self._changed.wait()
        return status

    def _set_state(self, state: ServerState, reason: str | None = None) -> None:
        if state == "down" and self._state != "down":
            logger.warning("MCP server %s is down: %s", self.name, reason)
        self._state, self._reason = state, reason
        self._changed.set()
        self._changed = asyncio.Event()

    def _require_live(self) -> SdkServer:
        live = self._live
        if live is not None:
            return live
        if self._state == "down":
            raise ToolFailure(
                f"The MCP server {self.name} is down: {self._reason}. It is being restarted; "
                "its tools are unavailable until then."
            )
        raise ToolFailure(f"The MCP server {self.name} is {self._state}.")

    # -- lifecycle (the supervisor task) -----------------------------------------------

    def start(self) -> None:
        """Start the supervisor task (connects in the background)."""
        if self._task is None:
            self._launch(delay=0.0)

    def _launch(self, delay: float) -> None:
        self._task = asyncio.create_task(self._supervise(delay), name=f"mcp-{self.name}")
        self._task.add_done_callback(self._supervisor_ended)

    def _supervisor_ended(self, task: asyncio.Task[None]) -> None:
        """Last resort: a supervisor that died unexpectedly is replaced by a new task.

        A new task, because the dead one may still be inside a transport's cancel scope.
        """
        if self._closing:
            return
        error = None if task.cancelled() else task.exception()
        why = type(error).__name__ if error else "cancelled"
        logger.error("MCP server %s: supervisor stopped (%s)", self.name, why, exc_info=error)
        self._live = None
        self._set_state("down", f"its supervisor stopped ({why}); restarting it")
        self._launch(delay=self.timing.backoff_max_seconds)

    async def close(self, grace_seconds: float) -> None:
        """Stop: the supervisor cleans up in its own task; cancelled if it takes too long."""
        self._closing = True
        self._wake.set()
        task = self._task
        if task is None:
            self._set_state("closed")
            return
        done, _ = await asyncio.wait({task}, timeout=grace_seconds)
        if not done:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._live = None
        self._set_state("closed")

    async def _supervise(self, delay: float) -> None:
        await self._pause(delay)
        failures = 0
        while not self._closing:
            server = self._new_server()
            ending = await self._serve(server)
            failures = 1 if ending.connected else failures + 1
            self._live = None
            if not self._closing:
                self._set_state("down", ending.reason)
            await self._cleanup(server)
            if not self._closing:
                await self._pause(self.timing.backoff(failures))

    async def _serve(self, server: SdkServer) -> _Ending:
        """Connect, then watch until the connection is lost.

        A Streamable HTTP transport whose server vanished cancels the cancel scope its
        connect opened, and that scope belongs to this task: the `CancelledError` lands
        here, not in a caller's task. It means "connection lost" unless `close()` is
        cancelling us; `cleanup()`, in this same task, then leaves the scope.
        """
        connected = False
        try:
            reason = await self._connect(server)
            if reason is not None:
                return _Ending(reason, connected=False)
            connected = True
            return _Ending(await self._watch(server), connected=True)
        except asyncio.CancelledError:
            if self._closing:
                raise
            return _Ending("lost the connection (the transport closed it)", connected)

    async def _connect(self, server: SdkServer) -> str | None:
        """None once connected with its tools listed, else why not."""
        try:
            async with asyncio.timeout(self.timing.connect_timeout_seconds):
                await server.connect()  # type: ignore[no-untyped-call]  # SDK leaves it untyped
                tools = await server.list_tools()
        except TimeoutError:
            return f"did not start within {self.timing.connect_timeout_seconds:g} seconds"
        except Exception as exc:
            return self._describe(exc)
        self._tools, self._live = tools, server
        self._connects += 1
        self._set_state("up")
        return None

    async def _watch(self, server: SdkServer) -> str | None:
        """Ping until the server stops answering (why) or the handle closes (None)."""
        while True:
            await self._pause(self.timing.ping_interval_seconds)
            if self._closing:
                return None
            try:
                async with asyncio.timeout(self.timing.ping_timeout_seconds):
                    await ping(server)
            except TimeoutError:
                return (
                    f"stopped answering (no ping reply in {self.timing.ping_timeout_seconds:g} s)"
                )
            except Exception as exc:
                return f"lost the connection ({self._describe(exc)})"

    async def _cleanup(self, server: SdkServer) -> None:
        try:
            async with asyncio.timeout(self.timing.connect_timeout_seconds):
                await server.cleanup()  # type: ignore[no-untyped-call]  # SDK leaves it untyped
        except Exception as exc:
            logger.warning("MCP server %s: cleanup failed: %s", self.name, self._describe(exc))

    async def _pause(self, seconds: float) -> None:
        """Wait `seconds`, or less when woken (a suspect call, closing)."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._wake.wait()
        self._wake.clear()

    def _new_server(self) -> SdkServer:
        """A fresh SDK server per attempt: nothing of a dead connection is reused."""
        session_timeout = max(self.call_timeout_seconds, self.timing.connect_timeout_seconds)
        return new_sdk_server(self.config, session_timeout_seconds=session_timeout)

    def _describe(self, exc: BaseException) -> str:
        return describe(exc, self.config)
