"""A small MCP server the tool tests start: `python server.py stdio|http [options]`.

It runs as its own process so a test can kill it, or let its `die` tool end it mid-call,
the way a real server crashes. `--tools` picks which tools it has (a "slow" server is
one with `slow`, a "failing" one has `fail`). `http --record FILE` appends one line per
session a client ends (its HTTP DELETE, with the `mcp-session-id`). Written against the
installed `mcp`: 2.x renamed `FastMCP` to `mcp.server.mcpserver.MCPServer`; both expose
the same decorator.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
from typing import Any

try:  # mcp >= 2
    from mcp.server.mcpserver import MCPServer as Server  # type: ignore[import-not-found]
    from mcp.server.mcpserver.exceptions import ToolError  # type: ignore[import-not-found]
except ImportError:  # mcp 1.x
    from mcp.server.fastmcp import FastMCP as Server
    from mcp.server.fastmcp.exceptions import ToolError

ALL_TOOLS = ("add", "echo", "pid", "slow", "fail", "die")


def build(name: str, tools: set[str]) -> Any:
    """An MCP server named `name` with the chosen tools."""
    server = Server(name)

    async def add(a: int, b: int) -> str:
        """Add two integers."""
        return str(a + b)

    async def echo(text: str) -> str:
        """Return the text unchanged."""
        return text

    async def pid() -> str:
        """This server process's id (a restarted server has a new one)."""
        return str(os.getpid())

    async def slow(seconds: float) -> str:
        """Answer after `seconds`."""
        await asyncio.sleep(seconds)
        return f"slept {seconds}"

    async def fail(reason: str = "on purpose") -> str:
        """Always fails: an `isError` result with this text (2.x hides other exceptions')."""
        raise ToolError(f"the tool failed {reason}")

    async def die() -> str:
        """End this server process in the middle of the call."""
        os._exit(3)

    for tool in (add, echo, pid, slow, fail, die):
        if tool.__name__ in tools:
            server.tool()(tool)
    return server


def _note(path: str, line: str) -> None:
    with open(path, "a", encoding="utf-8") as record:  # tiny and rare: blocking is fine
        record.write(line + "\n")


def recording_terminations(app: Any, path: str) -> Any:
    """`app` that first appends `DELETE <session id>` to `path` for each session ended."""

    async def recording(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "DELETE":
            headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
            _note(path, f"DELETE {headers.get('mcp-session-id', '')}")
        await app(scope, receive, send)

    return recording


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("transport", choices=("stdio", "http"))
    parser.add_argument("--name", default="test")
    parser.add_argument("--tools", default=",".join(ALL_TOOLS))
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--record", default=None, help="http: where to note ended sessions")
    args = parser.parse_args()
    logging.disable(logging.INFO)  # one line per request on stderr otherwise
    server = build(args.name, set(args.tools.split(",")))
    if args.transport == "stdio":
        server.run("stdio")
        return
    import uvicorn

    app = server.streamable_http_app()
    if args.record:
        app = recording_terminations(app, args.record)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
