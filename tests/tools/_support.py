"""Test MCP servers as processes (stdio and Streamable HTTP), and their configs."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from chatwait.config_file import McpServerConfig
from chatwait.tools import McpTiming
from tests.support.eventually import eventually
from tests.support.processes import ChildServer, launch
from tests.support.servers import free_port

SERVER = Path(__file__).with_name("mcp_servers") / "server.py"
QUICK = McpTiming(
    connect_timeout_seconds=60.0,
    ping_interval_seconds=0.5,
    ping_timeout_seconds=5.0,
    backoff_initial_seconds=0.1,
    backoff_max_seconds=0.5,
)
"""Patient start-up (a busy 2-core host spawns Python slowly), prompt watching and retries."""


def stdio_config(
    name: str, tools: str = "add,echo,pid,slow,fail,die", **extra: object
) -> McpServerConfig:
    """A stdio server running `server.py` with these tools."""
    args = (str(SERVER), "stdio", "--name", name, "--tools", tools)
    return McpServerConfig(name=name, command=sys.executable, args=args, **extra)  # type: ignore[arg-type]


def http_config(name: str, port: int, **extra: object) -> McpServerConfig:
    return McpServerConfig(name=name, url=f"http://127.0.0.1:{port}/mcp", **extra)  # type: ignore[arg-type]


@contextmanager
def http_server(
    workdir: Path,
    port: int | None = None,
    tools: str = "add,echo,pid,slow,fail,die",
    record: Path | None = None,
) -> Iterator[ChildServer]:
    """`server.py http` on a loopback port, ready (it answers HTTP); killed on exit.

    With `record`, the server appends a line there for every session a client ends.
    """
    port = port or free_port()
    argv = [sys.executable, str(SERVER), "http", "--port", str(port), "--tools", tools]
    argv += ["--record", str(record)] if record is not None else []
    child = launch(argv, name="mcp-http", workdir=workdir, port=port, env={})
    try:
        _wait_answering(child)
        yield child
    finally:
        child.kill()


def _wait_answering(child: ChildServer, timeout: float = 60.0) -> None:

    def answering() -> bool:
        if not child.alive():
            raise RuntimeError(f"MCP server exited early:\n{child.log_text()[-4000:]}")
        httpx.get(f"{child.base_url}/mcp", timeout=2.0)
        return True

    eventually(
        answering,
        timeout=timeout,
        message=lambda: f"MCP server not answering:\n{child.log_text()[-4000:]}",
        ignoring=(httpx.TransportError,),
    )
