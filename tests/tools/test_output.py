"""Tool results: error results are recognisable, and output is capped for storing and sending."""

from __future__ import annotations

from typing import Any

import pytest
from agents import ModelBehaviorError, RunContextWrapper
from mcp.types import TextContent

import chatwait.tools as tools
from chatwait.tools import ErrorOutput, ToolFailure, cap_output, is_error_output, output_text
from chatwait.tools import tool_error_output as error_output

CONTEXT: RunContextWrapper[Any] = RunContextWrapper(context=None)


def test_exports_are_exactly_the_public_surface() -> None:
    """Both ways, as httpx checks it: nothing public unexported, nothing exported missing."""
    public = {name for name in vars(tools) if not name.startswith("_")}
    assert len(tools.__all__) == len(set(tools.__all__)) and set(tools.__all__) == public


def test_error_outputs_are_strings_the_model_reads_and_chatwait_recognises() -> None:
    error = ErrorOutput("no such city")
    assert error == "no such city" and isinstance(error, str)
    assert is_error_output(error) and not is_error_output("no such city")
    assert not is_error_output({"type": "text", "text": "x"})


def test_failures_become_error_results_without_leaking_unknown_exceptions() -> None:
    told = error_output(CONTEXT, ToolFailure("The MCP server x is down."))
    assert is_error_output(told) and told == "The MCP server x is down."
    bad_input = error_output(CONTEXT, ModelBehaviorError("Invalid JSON input for tool t"))
    assert bad_input == "Invalid JSON input for tool t"
    hidden = error_output(CONTEXT, RuntimeError("password=hunter2"))
    assert is_error_output(hidden) and "hunter2" not in hidden and "RuntimeError" in hidden


@pytest.mark.parametrize(
    ("result", "text"),
    [
        ("plain", "plain"),
        (ErrorOutput("bad"), "bad"),
        ({"type": "text", "text": "from mcp"}, "from mcp"),
        ({"type": "image", "image_url": "data:image/png;base64,AAAA"}, "[image]"),
        ([{"type": "text", "text": "a"}, {"type": "text", "text": "b"}], "a\nb"),
        (TextContent(type="text", text="model"), "model"),
        (42, "42"),
        ({"answer": 42}, '{"answer": 42}'),
    ],
)
def test_output_text(result: object, text: str) -> None:
    assert output_text(result) == text
    assert type(output_text(result)) is str


def test_short_output_is_not_capped() -> None:
    capped = cap_output("x" * 1000, 1000)
    assert capped.text == "x" * 1000 and not capped.truncated and capped.original_bytes == 1000


@pytest.mark.parametrize("unit", ["a", "é", "€", "🙂"])
def test_long_output_is_cut_on_a_character_edge_and_marked(unit: str) -> None:
    text = unit * 20_000
    capped = cap_output(text, 16_384)
    encoded = capped.text.encode("utf-8")
    assert capped.truncated and capped.original_bytes == len(text.encode("utf-8"))
    assert 16_384 - 4 <= len(encoded) <= 16_384
    assert capped.text.endswith(f"[output truncated: {capped.original_bytes} bytes in all]")
    assert text.startswith(capped.text.split("\n[output truncated")[0])


def test_a_cap_too_small_for_the_marker_is_refused() -> None:
    with pytest.raises(ValueError):
        cap_output("x" * 500, 100)
