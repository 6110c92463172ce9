"""What a provider's Chat Completions endpoint does differently, as data on the provider.

Each preset (`presets.py`) carries one `Quirks`; every other provider gets the defaults,
which are what OpenAI itself accepts. `Provider.build_agent` applies them where the Agents
SDK has a knob for them (model settings, the tools it offers, the reasoning replay hook);
the rest are facts a Chat Completions model of ChatWait's own reads from the same object.
The sources of each fact are in `docs/providers.md`.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from agents import FunctionTool, ModelRetrySettings, ModelSettings, Tool
from agents.models.reasoning_content_replay import (
    ReasoningContentReplayContext,
    ShouldReplayReasoningContent,
)


@dataclass(frozen=True, slots=True)
class Quirks:
    """How to talk to one endpoint; the defaults are OpenAI's behaviour."""

    stream_usage: bool = True
    """Ask for usage with `stream_options: {"include_usage": true}`. False leaves
    `stream_options` out: Mistral answers it with 422 `extra_forbidden` and sends usage on
    its last chunk unasked. Without asking, most other endpoints send no usage at all."""
    late_usage: bool = False
    """Usage may come on a chunk before the last one (xAI sends a further chunk with empty
    `choices` after it; Groq an extra usage-only chunk): keep the last usage seen on any
    chunk, as the SDK's stream handler does, never only the final chunk's."""
    strict_tools: bool = True
    """Whether the endpoint enforces `strict` tool schemas. False sends every tool with
    `strict: false`, so a run never counts on a guarantee the endpoint does not give
    (Anthropic documents `strict` as ignored)."""
    parallel_tool_calls: bool | None = None
    """`parallel_tool_calls` to send when tools are offered; None leaves it out (endpoints
    whose API does not document it)."""
    single_choice: bool = False
    """`n` must be absent or 1 (Anthropic: "must be exactly 1"; Groq: 400 otherwise)."""
    response_format: bool = True
    """Whether `response_format` is honoured (Anthropic ignores it: no JSON mode there)."""
    reasoning_field: Literal["reasoning_content", "reasoning"] | None = None
    """Where streamed reasoning arrives in `delta`: `reasoning_content` (DeepSeek) or
    `reasoning` (OpenRouter, Groq, Ollama); None: no reasoning is returned (Anthropic's
    compatibility endpoint returns no thinking even with thinking enabled)."""
    replay_reasoning: bool = False
    """Send a run's earlier `reasoning_content` back on its next request: DeepSeek's
    thinking mode answers 400 when an assistant turn that called tools comes back without
    it. The SDK replays it by default only when the model name contains "deepseek"."""


def model_settings(quirks: Quirks, *, retry: ModelRetrySettings | None) -> ModelSettings:
    """The SDK model settings of every run through an endpoint with these quirks.

    The SDK asks for usage only when the host is api.openai.com (`include_usage=None`
    elsewhere sends no `stream_options`), so usage is asked for explicitly, unless the
    endpoint rejects the option.
    """
    return ModelSettings(
        include_usage=True if quirks.stream_usage else None,
        parallel_tool_calls=quirks.parallel_tool_calls,
        retry=retry,
    )


def offered_tools(quirks: Quirks, tools: Sequence[Tool]) -> list[Tool]:
    """`tools` as this endpoint should be offered them (`strict: false` where not enforced).

    The schema itself stays as it is: a strict-compatible schema is a valid plain one.
    """
    if quirks.strict_tools:
        return list(tools)
    return [_not_strict(tool) if isinstance(tool, FunctionTool) else tool for tool in tools]


def _not_strict(tool: FunctionTool) -> FunctionTool:
    """A copy sent with `strict: false` (the SDK's `__copy__` rebinds its invoker)."""
    if not tool.strict_json_schema:
        return tool
    loose = copy.copy(tool)
    loose.strict_json_schema = False
    return loose


def _replay_always(context: ReasoningContentReplayContext) -> bool:
    """Every reasoning item of a run came from this provider's model: send it back."""
    return True


def reasoning_replay(quirks: Quirks) -> ShouldReplayReasoningContent | None:
    """The SDK replay hook for these quirks; None keeps the SDK's own rule."""
    return _replay_always if quirks.replay_reasoning else None
