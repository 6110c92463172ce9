"""Built-in function tools: safe by construction, cheap, and async (so timeouts work).

The SDK's `timeout` only stops async tools (a sync tool runs in a thread nothing can stop),
so both tools are `async def`. Their failures are returned as `ErrorOutput`, not raised:
the model reads why, ChatWait marks the result `is_error`, and the run goes on.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from agents import FunctionTool, function_tool

from chatwait.tools._calculator import CalculatorError, evaluate, format_number
from chatwait.tools._output import ErrorOutput, tool_error_output, tool_timeout_output

DEFAULT_TOOL_TIMEOUT_SECONDS = 30.0
_MAX_ZONE_CHARS = 64


@function_tool(
    timeout=DEFAULT_TOOL_TIMEOUT_SECONDS,
    timeout_error_function=tool_timeout_output,
    failure_error_function=tool_error_output,
)
async def current_time(timezone: str | None = None) -> str:
    """The current date, time and weekday.

    Args:
        timezone: An IANA time zone such as "Europe/Paris"; UTC when omitted.
    """
    name = (timezone or "UTC").strip() or "UTC"
    try:
        if len(name) > _MAX_ZONE_CHARS:
            raise ValueError(name)
        zone = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        shown = name[:_MAX_ZONE_CHARS]
        return ErrorOutput(f"Unknown time zone {shown!r}: use an IANA name such as Europe/Paris.")
    now = datetime.now(zone)
    return f"{now.isoformat(timespec='seconds')} ({name}, {now:%A})"


@function_tool(
    timeout=DEFAULT_TOOL_TIMEOUT_SECONDS,
    timeout_error_function=tool_timeout_output,
    failure_error_function=tool_error_output,
)
async def calculator(expression: str) -> str:
    """Evaluate an arithmetic expression exactly, e.g. "(2 + 3) * 7 / 2" or "sqrt(2) ** 3".

    Supports + - * / // % ** and parentheses, abs, round, min, max, sqrt, log, log10, exp,
    sin, cos, tan, and the constants pi, e, tau.

    Args:
        expression: The arithmetic expression to evaluate.
    """
    try:
        return format_number(evaluate(expression))
    except CalculatorError as exc:
        return ErrorOutput(f"Cannot evaluate {expression[:80]!r}: {exc}.")


BUILTIN_TOOLS: dict[str, FunctionTool] = {tool.name: tool for tool in (current_time, calculator)}
"""Every built-in tool by name, as a configured agent's `tools` names them."""


def builtin_tools(names: Iterable[str], *, timeout_seconds: float) -> list[FunctionTool]:
    """Copies of the named built-in tools with `TOOL_TIMEOUT_SECONDS` applied.

    Copies, so the registry's defaults never change under another agent.
    """
    chosen = list(names)
    unknown = sorted(set(chosen) - set(BUILTIN_TOOLS))
    if unknown:
        raise KeyError(f"unknown built-in tools: {', '.join(unknown)}")
    return [
        dataclasses.replace(BUILTIN_TOOLS[name], timeout_seconds=timeout_seconds) for name in chosen
    ]
