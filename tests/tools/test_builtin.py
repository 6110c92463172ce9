"""Built-in tools: `calculator` (a whitelist over `ast`, never `eval`) and `current_time`."""

from __future__ import annotations

import asyncio
import json
import math
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from agents import FunctionTool, function_tool
from agents.tool import invoke_function_tool
from agents.tool_context import ToolContext
from openai import AsyncOpenAI

from chatwait.tools import (
    BUILTIN_TOOLS,
    ErrorOutput,
    builtin_tools,
    is_error_output,
    tool_timeout_output,
)
from chatwait.tools._calculator import MAX_EXPRESSION_CHARS, CalculatorError, evaluate

from ._agents import run_agent


async def call(tool: FunctionTool, **arguments: Any) -> Any:
    """Invoke a tool the way the SDK's runner does (timeout and failure handling included)."""
    text = json.dumps(arguments)
    context = ToolContext(
        context=None, tool_name=tool.name, tool_call_id="call_1", tool_arguments=text
    )
    return await invoke_function_tool(function_tool=tool, context=context, arguments=text)


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("7 / 2", 3.5),
        ("7 // 2", 3),
        ("-7 % 3", 2),
        ("2 ** 10", 1024),
        ("2 ** -1", 0.5),
        ("-(3 - 5)", 2),
        ("sqrt(16) + abs(-2)", 6.0),
        ("round(2.675, 2)", 2.67),
        ("max(1, 5, 3) - min(4, 2)", 3),
        ("log(8, 2)", 3.0),
        ("2 * pi", math.tau),
        ("1_000 * 3", 3000),
        ("10 ** 300 * 10 ** 300 // 10 ** 599", 10),
    ],
)
def test_arithmetic_is_evaluated(expression: str, value: float) -> None:
    assert evaluate(expression) == pytest.approx(value)


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("__import__('os').system('true')", "not allowed"),
        ("().__class__.__bases__", "not allowed"),
        ("open('/etc/passwd')", "'open' is not allowed"),
        ("x + 1", "'x' is not allowed"),
        ("[1, 2][0]", "not allowed"),
        ("(lambda: 1)()", "not allowed"),
        ("sum(i for i in range(9))", "not allowed"),
        ("'a' * 3", "is not a number"),
        ("True + 1", "is not a number"),
        ("1j * 2", "is not a number"),
        ("1 << 100", "not allowed"),
        ("1 if 1 else 2", "not allowed"),
        ("sqrt(x=4)", "not allowed"),
        ("1 / 0", "division by zero"),
        ("2 ** 10 ** 9", "exponents are limited"),
        ("9 ** 4000", "too large"),
        ("(-8) ** (1 / 3)", "not a real number"),
        ("1e308 * 10", "too large"),
        ("exp(1000)", "too large"),
        ("sqrt(-1)", "math error"),
        ("round(1, -10 ** 9)", "round's digits"),
        ("max(" + ",".join(["1"] * 40) + ")", "takes 1 to 32 arguments"),
        ("-" * 100 + "1", "nests more than"),
        ("1 +", "not an arithmetic expression"),
        ("1" * (MAX_EXPRESSION_CHARS + 1), "longer than"),
    ],
)
def test_anything_else_is_refused_with_a_reason(expression: str, reason: str) -> None:
    with pytest.raises(CalculatorError, match=reason):
        evaluate(expression)


async def test_calculator_answers_or_returns_an_error_result() -> None:
    calculator = BUILTIN_TOOLS["calculator"]
    assert await call(calculator, expression="6 * 7") == "42"
    assert await call(calculator, expression="0.1 + 0.2") == "0.30000000000000004"
    refused = await call(calculator, expression="__import__('os')")
    assert is_error_output(refused) and "not allowed" in refused
    bad_arguments = await call(calculator, formula="1")
    assert is_error_output(bad_arguments) and "Invalid JSON input" in bad_arguments


async def test_current_time_in_utc_and_in_a_zone() -> None:
    tool = BUILTIN_TOOLS["current_time"]
    before = datetime.now(UTC).replace(microsecond=0)
    utc = await call(tool)
    paris = await call(tool, timezone="Europe/Paris")
    after = datetime.now(UTC)
    stamp, label = utc.split(" ", 1)
    assert before <= datetime.fromisoformat(stamp) <= after and label.startswith("(UTC, ")
    local = datetime.fromisoformat(paris.split(" ")[0])
    assert before <= local <= after
    assert local.utcoffset() == datetime.now(ZoneInfo("Europe/Paris")).utcoffset()
    assert paris.endswith(f"(Europe/Paris, {local:%A})")


@pytest.mark.parametrize(
    "zone", ["Mars/Olympus_Mons", "../../etc/passwd", "/etc/localtime", "x" * 300]
)
async def test_current_time_refuses_unknown_zones(zone: str) -> None:
    result = await call(BUILTIN_TOOLS["current_time"], timezone=zone)
    assert is_error_output(result) and "Unknown time zone" in result and len(result) < 200


async def test_builtin_tools_are_copies_with_the_configured_timeout() -> None:
    copies = builtin_tools(["calculator", "current_time"], timeout_seconds=2.5)
    assert [t.name for t in copies] == ["calculator", "current_time"]
    assert all(t.timeout_seconds == 2.5 for t in copies)
    assert all(t.timeout_error_function is tool_timeout_output for t in copies)
    assert BUILTIN_TOOLS["calculator"].timeout_seconds == 30.0
    assert await call(copies[0], expression="2 + 2") == "4"
    with pytest.raises(KeyError, match="shell"):
        builtin_tools(["calculator", "shell"], timeout_seconds=1)


async def test_a_timed_out_async_tool_is_an_error_result() -> None:
    @function_tool(timeout=0.05, timeout_error_function=tool_timeout_output)
    async def wait_forever() -> str:
        """Never answers."""
        await asyncio.Event().wait()
        return "unreachable"

    result = await call(wait_forever)
    assert isinstance(result, ErrorOutput)
    assert result == "The tool wait_forever timed out after 0.05 seconds."


async def test_an_agent_uses_the_calculator(sim: AsyncOpenAI) -> None:
    tools = builtin_tools(["calculator"], timeout_seconds=5)
    answer, record = await run_agent(sim, 'calculator {"expression": "6 * 7"}', tools=tools)
    assert [(e.name, e.output, e.is_error) for e in record.ended] == [("calculator", "42", False)]
    assert answer.startswith('The calculator tool returned "42".')
    answer, record = await run_agent(sim, 'calculator {"expression": "1 / 0"}', tools=tools)
    assert record.ended[0].is_error and "division by zero" in answer
