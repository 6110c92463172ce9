"""A run's tool calls as `tool_call` / `tool_result` events, from the Agents SDK.

Two SDK sources tell about a call, and both feed the same idempotent `LiveRun` methods,
keyed by the call id, so each call gets exactly one `tool_call` and one `tool_result`:

- run hooks (`on_tool_start`, `on_tool_end`): called as each local tool starts and ends,
  with the very object it returned, so the times are the tool's own and a finished call
  is known at once, even when a cancel cuts its parallel siblings short;
- stream items (`tool_called`, `tool_output`): the model's calls as soon as its response
  is read, and the results no tool produced (an unknown tool name, answered by the SDK).

Errors are told apart by `chatwait.tools.is_error_output`: ChatWait's tools, MCP servers
and the formatter below return `ErrorOutput` for every error.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agents import (
    AgentBase,
    RunContextWrapper,
    RunHooks,
    RunItem,
    Tool,
    ToolCallItem,
    ToolCallOutputItem,
    ToolErrorFormatterArgs,
)
from agents.tool_context import ToolContext

from chatwait.tools import ErrorOutput, is_error_output, output_text
from chatwait.turns.live_run import LiveRun


def tool_error_formatter(args: ToolErrorFormatterArgs[Any]) -> str | None:
    """The SDK's own tool errors as `ErrorOutput`, so they are `is_error` results."""
    return ErrorOutput(args.default_message)


def _field(raw: object, name: str) -> Any:
    if isinstance(raw, Mapping):
        return raw.get(name)
    return getattr(raw, name, None)


class ToolRelay(RunHooks[Any]):
    """Relays one run's tool calls into its events and its record."""

    def __init__(self, run: LiveRun) -> None:
        self.run = run
        self.names: dict[str, str] = {}
        """Call id -> tool name, from the model's calls (an output names only its call)."""

    async def on_tool_start(
        self, context: RunContextWrapper[Any], agent: AgentBase, tool: Tool
    ) -> None:
        if isinstance(context, ToolContext):
            await self.run.tool_started(
                context.tool_call_id, tool.name, context.tool_arguments or "{}"
            )

    async def on_tool_end(
        self, context: RunContextWrapper[Any], agent: AgentBase, tool: Tool, result: object
    ) -> None:
        if isinstance(context, ToolContext):
            await self.run.tool_ended(
                context.tool_call_id,
                tool.name,
                output_text(result),
                is_error=is_error_output(result),
                arguments=context.tool_arguments or "{}",
            )

    async def on_item(self, item: RunItem) -> None:
        """A stream item: a call the model made, or a result."""
        if isinstance(item, ToolCallItem):
            raw = item.raw_item
            call_id = _field(raw, "call_id") or _field(raw, "id")
            if not call_id:
                return
            name = str(_field(raw, "name") or _field(raw, "type") or "tool")
            self.names[call_id] = name
            arguments = _field(raw, "arguments")
            await self.run.tool_started(
                call_id, name, arguments if isinstance(arguments, str) else "{}"
            )
        elif isinstance(item, ToolCallOutputItem):
            call_id = _field(item.raw_item, "call_id") or _field(item.raw_item, "id")
            if not call_id:
                return
            await self.run.tool_ended(
                call_id,
                self.names.get(call_id, "tool"),
                output_text(item.output),
                is_error=is_error_output(item.output),
            )
