"""Every configured MCP server of the process, started once and closed once.

Created in the app's lifespan (`async with McpServers(...)`, or `start()` / `close()`),
shared by every run: connecting per request would spawn a process per run and clean up
in another task than the one that connected (cancel-scope errors).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable, Sequence
from types import TracebackType

from chatwait.config_file import McpServerConfig
from chatwait.tools._mcp import McpServerHandle, McpServerStatus, McpTiming

_CLOSE_GRACE_SECONDS = 10.0


def _tried(status: McpServerStatus) -> bool:
    return status.state != "starting"


class McpServers:
    """The MCP servers the config file names, each supervised in its own task."""

    def __init__(
        self,
        configs: Sequence[McpServerConfig],
        *,
        call_timeout_seconds: float,
        timing: McpTiming | None = None,
    ) -> None:
        timing = timing or McpTiming()
        self.timing = timing
        self._handles = {
            c.name: McpServerHandle(c, call_timeout_seconds=call_timeout_seconds, timing=timing)
            for c in configs
        }
        if len(self._handles) != len(configs):
            raise ValueError("MCP server names must be unique")

    async def __aenter__(self) -> McpServers:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def start(self) -> None:
        """Start every server; return once each is up or known to be down.

        A server that cannot start never stops the others or the app: it is reported
        down with the reason and retried in the background.
        """
        for handle in self._handles.values():
            handle.start()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.timing.connect_timeout_seconds * 2):
                await asyncio.gather(*(h.wait_until(_tried) for h in self._handles.values()))

    async def close(self) -> None:
        """Stop every server (each cleans up in its own supervisor task)."""
        await asyncio.gather(*(h.close(_CLOSE_GRACE_SECONDS) for h in self._handles.values()))

    def __contains__(self, name: object) -> bool:
        return name in self._handles

    def __getitem__(self, name: str) -> McpServerHandle:
        return self._handles[name]

    def handles(self, names: Iterable[str]) -> list[McpServerHandle]:
        """The servers an agent names, for `Agent(mcp_servers=...)` (KeyError if unknown)."""
        return [self._handles[name] for name in names]

    def status(self) -> dict[str, McpServerStatus]:
        """Each server's state, reason and tools, by name."""
        return {name: handle.status() for name, handle in self._handles.items()}
