"""The SDK's MCP servers as ChatWait builds them, and what their failures say.

Both `mcp` majors the SDK accepts (`mcp>=1.19,<3`) are handled here: results carry
`isError` in 1.x and `is_error` in 2.x, the error class is `McpError` or `MCPError`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import mcp.shared.exceptions
from agents.mcp import MCPServerStdio, MCPServerStreamableHttp, create_static_tool_filter
from mcp.types import CONNECTION_CLOSED, CallToolResult

from chatwait.config_file import McpServerConfig

SdkServer = MCPServerStdio | MCPServerStreamableHttp
MCP_ERROR: type[Exception] = (
    vars(mcp.shared.exceptions).get("MCPError") or vars(mcp.shared.exceptions)["McpError"]
)
"""A JSON-RPC error from the server: `McpError` in mcp 1.x, `MCPError` in 2.x."""
_REASON_CHARS = 300


def new_sdk_server(config: McpServerConfig, *, session_timeout_seconds: float) -> SdkServer:
    """A fresh SDK server for `config`: tools listed once per connection, filtered.

    The session timeout bounds every request, start-up (`initialize`) included, so it is
    the start-up budget when that is longer than a tool call's limit (the handle bounds
    each call itself).
    """
    allowed = list(config.tool_filter) if config.tool_filter is not None else None
    common: dict[str, Any] = {
        "cache_tools_list": True,
        "name": config.name,
        "client_session_timeout_seconds": session_timeout_seconds,
        "tool_filter": create_static_tool_filter(allowed_tool_names=allowed),
    }
    if config.url is not None:
        params = {"url": config.url, "timeout": session_timeout_seconds}
        return MCPServerStreamableHttp(params, **common)  # type: ignore[arg-type]
    assert config.command is not None
    stdio = {"command": config.command, "args": list(config.args), "env": dict(config.env)}
    return MCPServerStdio(stdio, **common)  # type: ignore[arg-type]


async def ping(server: SdkServer) -> None:
    """An MCP `ping` round trip; raises when the connection is gone.

    Any JSON-RPC answer proves the server is there, an error too: servers of newer
    protocol revisions answer `ping` with "Method not found" (seen with `mcp` 2.3).
    """
    session = server.session
    if session is None:
        raise ConnectionError("no session")
    try:
        await session.send_ping()
    except MCP_ERROR as exc:
        if getattr(getattr(exc, "error", None), "code", None) == CONNECTION_CLOSED:
            raise


def result_is_error(result: CallToolResult) -> bool:
    return bool(getattr(result, "isError", None) or getattr(result, "is_error", False))


def result_text(result: CallToolResult) -> str:
    """The text parts of an MCP result, as the model would have read them."""
    parts = [getattr(item, "text", None) for item in result.content]
    return "\n".join(part for part in parts if isinstance(part, str))


def describe(exc: BaseException, config: McpServerConfig) -> str:
    """A short reason without the server's secrets (URL query or credentials, env values)."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    text = str(exc).strip()
    reason = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return _redact(reason, config)[:_REASON_CHARS]


def _redact(text: str, config: McpServerConfig) -> str:
    if config.url is not None:
        url = urlsplit(config.url)
        port = f":{url.port}" if url.port else ""
        text = text.replace(config.url, f"{url.scheme}://{url.hostname}{port}{url.path}")
    for value in config.env.values():
        if len(value) >= 4:
            text = text.replace(value, "***")
    return text
