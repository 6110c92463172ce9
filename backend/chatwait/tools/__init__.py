"""Tools agents can use: built-in function tools and the MCP servers' lifecycle.

- `BUILTIN_TOOLS` / `builtin_tools(names, timeout_seconds=...)`: `current_time` and
  `calculator`, safe by construction (async, so timeouts stop them; no `eval`).
- `McpServers`: every configured MCP server, started once per process (the app's
  lifespan), supervised and restarted with backoff; `handles(names)` are what
  `Agent(mcp_servers=...)` takes, and they never break a run when a server is down.
- Results: `is_error_output(result)` tells an error result (`ErrorOutput`) from a normal
  one in `RunHooks.on_tool_end` and `ToolCallOutputItem.output`; `output_text` and
  `cap_output` turn a result into the capped text ChatWait stores and sends.

This layer knows nothing of providers or turns (see DESIGN.md).
"""

from chatwait.tools._builtin import BUILTIN_TOOLS, DEFAULT_TOOL_TIMEOUT_SECONDS, builtin_tools
from chatwait.tools._mcp import McpServerHandle, McpServerStatus, McpTiming, ServerState
from chatwait.tools._output import (
    DEFAULT_OUTPUT_MAX_BYTES,
    CappedOutput,
    ErrorOutput,
    ToolFailure,
    cap_output,
    is_error_output,
    output_text,
    tool_error_output,
    tool_timeout_output,
)
from chatwait.tools._servers import McpServers

__all__ = [
    "BUILTIN_TOOLS",
    "DEFAULT_OUTPUT_MAX_BYTES",
    "DEFAULT_TOOL_TIMEOUT_SECONDS",
    "CappedOutput",
    "ErrorOutput",
    "McpServerHandle",
    "McpServerStatus",
    "McpServers",
    "McpTiming",
    "ServerState",
    "ToolFailure",
    "builtin_tools",
    "cap_output",
    "is_error_output",
    "output_text",
    "tool_error_output",
    "tool_timeout_output",
]
