"""What the offline model says to one request: text, reasoning, or tool calls.

`offline-tools` decides from the conversation alone, so a test picks the behaviour by
what it writes:

- the last message is a tool result (role `tool`): answer quoting every result of that
  tool turn;
- else, when tools are offered: call each offered tool whose name appears as a word in the
  latest user message (only the first offered one unless `parallel_tool_calls`), in the
  order the message names them. A call's arguments are the first JSON object written
  after its name, else the message's first JSON object, else `{}`;
- otherwise answer as `offline-1`.

`offline-reasoner-tools` does the same, streaming `reasoning_content` before its tool
calls (not before the answer that follows the results), so a test can check the
reasoning is sent back on the assistant message of the next request.

`tool_choice` is honoured: `none` never calls, `required` calls the first offered tool when
the message names none, a named function is always the one called.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from chatwait.sim._config import SimConfig
from chatwait.sim._models import DEFAULT_MODEL, ModelSpec
from chatwait.sim._request import ChatRequest
from chatwait.sim._text import (
    answer_tokens,
    message_text,
    reasoning_tokens,
    tool_results_opening,
)

UNKNOWN_TOOL = "no_such_tool"
"""What `fault-unknown-tool` calls."""
_MALFORMED_TOKENS = 2
_ARGUMENT_PIECE_CHARS = 8
_MAX_JSON_CANDIDATES = 16
_TOOL_MODELS = ("tools", "reasoner-tools", "tool-loop", "unknown-tool")


@dataclass(frozen=True)
class ToolCall:
    """One function call, its arguments as the JSON text the wire carries."""

    id: str
    name: str
    arguments: str

    def pieces(self) -> list[str]:
        """The arguments cut the way a model streams them: several short fragments."""
        text = self.arguments
        step = _ARGUMENT_PIECE_CHARS
        return [text[i : i + step] for i in range(0, len(text), step)] or [""]


@dataclass(frozen=True)
class Reply:
    """Everything one completion carries, before it is framed for the wire."""

    tokens: list[str]
    finish_reason: str = "stop"
    reasoning: list[str] = field(default_factory=list)
    tool_calls: list[ToolCall] = field(default_factory=list)

    @property
    def completion_tokens(self) -> int:
        """Answer, reasoning and tool-call fragments (one each), as usage counts them."""
        calls = sum(1 + len(call.pieces()) for call in self.tool_calls)
        return len(self.tokens) + len(self.reasoning) + calls


def compose(spec: ModelSpec, chat: ChatRequest, config: SimConfig) -> Reply:
    """The reply of model `spec` to `chat`; fault models answer as `offline-1`."""
    if spec.behaviour in _TOOL_MODELS:
        calls = _tool_calls(spec, chat)
        if calls:
            thoughts: list[str] = []
            if spec.behaviour == "reasoner-tools":
                thoughts = reasoning_tokens(chat.messages, max(1, config.answer_tokens // 2))
            return Reply([], "tool_calls", thoughts, calls)
    size = config.answer_tokens * (2 if spec.name == "offline-2" else 1)
    opening = _tool_results_opening(chat.messages) if spec.behaviour in _TOOL_MODELS else None
    voice = spec.name if spec.behaviour == "answer" else DEFAULT_MODEL
    tokens = answer_tokens(voice, chat.messages, size, opening=opening)
    if spec.behaviour == "malformed":
        return Reply(tokens[:_MALFORMED_TOKENS])
    reasoning: list[str] = []
    if spec.behaviour == "reasoner":
        reasoning = reasoning_tokens(chat.messages, max(1, config.answer_tokens // 2))
    limit = chat.max_tokens
    if spec.behaviour == "drop" or limit is None or limit >= len(reasoning) + len(tokens):
        return Reply(tokens, reasoning=reasoning)
    kept = tokens[: max(0, limit - len(reasoning))]
    return Reply(kept, "length", reasoning=reasoning[:limit])


def _tool_calls(spec: ModelSpec, chat: ChatRequest) -> list[ToolCall]:
    messages = chat.messages
    if spec.behaviour != "tool-loop" and messages[-1].get("role") == "tool":
        return []
    if spec.behaviour == "unknown-tool":
        return [_call(UNKNOWN_TOOL, {})]
    if not chat.tools or chat.tool_choice == "none":
        return []
    text = _latest_user_text(messages)
    names = _named_tools(chat, text)
    if spec.behaviour == "tool-loop" and not names:
        names = [chat.tools[0]]
    objects = _json_objects(text)
    mentions = sorted((_mention(text, name), name) for name in names)
    return [_call(name, _arguments(objects, at)) for at, name in mentions]


def _named_tools(chat: ChatRequest, text: str) -> list[str]:
    """The tools to call: named in `text`, as `tool_choice` and `parallel_tool_calls` allow."""
    if chat.tool_choice not in ("auto", "required"):
        return [chat.tool_choice]
    names = [name for name in chat.tools if _mention(text, name) >= 0]
    if not names and chat.tool_choice == "required":
        names = [chat.tools[0]]
    return names if chat.parallel_tool_calls else names[:1]


def _mention(text: str, name: str) -> int:
    """Where `name` first appears as a word in `text` (-1: it does not)."""
    found = re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text)
    return found.start() if found else -1


def _arguments(objects: list[tuple[int, dict[str, Any]]], mention: int) -> dict[str, Any]:
    after = [value for start, value in objects if start > mention]
    if after:
        return after[0]
    return objects[0][1] if objects else {}


def _call(name: str, arguments: Mapping[str, Any]) -> ToolCall:
    text = json.dumps(arguments, separators=(",", ":"), ensure_ascii=False)
    return ToolCall(id="call_" + secrets.token_hex(12), name=name, arguments=text)


def _latest_user_text(messages: Sequence[Mapping[str, Any]]) -> str:
    users = [m for m in messages if m.get("role") == "user"]
    return message_text(users[-1]) if users else ""


def _json_objects(text: str) -> list[tuple[int, dict[str, Any]]]:
    """(position, value) of the JSON objects written in `text` (a bounded number of tries)."""
    decoder = json.JSONDecoder()
    found: list[tuple[int, dict[str, Any]]] = []
    start = text.find("{")
    for _ in range(_MAX_JSON_CANDIDATES):
        if start < 0:
            break
        try:
            value, end = decoder.raw_decode(text, start)
        except (ValueError, RecursionError):
            start = text.find("{", start + 1)
            continue
        if isinstance(value, dict):
            found.append((start, value))
        start = text.find("{", end)
    return found


def _tool_results_opening(messages: Sequence[Mapping[str, Any]]) -> str | None:
    """Quotes of the trailing tool results, named from the assistant turn that asked."""
    results: list[Mapping[str, Any]] = []
    for message in reversed(messages):
        if message.get("role") != "tool":
            break
        results.insert(0, message)
    if not results:
        return None
    names = _call_names(messages[-len(results) - 1] if len(messages) > len(results) else {})
    return tool_results_opening(
        [(names.get(str(m.get("tool_call_id")), "requested"), message_text(m)) for m in results]
    )


def _call_names(assistant: Mapping[str, Any]) -> dict[str, str]:
    """Tool call id -> function name in one assistant message."""
    names: dict[str, str] = {}
    calls = assistant.get("tool_calls")
    for call in calls if isinstance(calls, list) else []:
        function = call.get("function") if isinstance(call, Mapping) else None
        if isinstance(function, Mapping) and isinstance(function.get("name"), str):
            names[str(call.get("id"))] = function["name"]
    return names
