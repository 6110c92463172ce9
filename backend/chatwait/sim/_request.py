"""Parse an OpenAI chat completions request body, answering 400 the way OpenAI does.

Bad JSON of any kind is a 400, never a 500: `json.loads` raises `RecursionError` on deep
nesting (a 50,000-deep `[[[...]]]` is 100 KB), and a body nested just under that limit
would still blow the stack later when the messages are re-serialised for the answer seed,
so nesting is also capped at `MAX_JSON_DEPTH`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from chatwait.sim._models import DEFAULT_MODEL

MAX_JSON_DEPTH = 128
"""Deepest nesting of arrays/objects accepted (tool schemas are rarely past 10)."""


class BadRequest(Exception):
    """The body is not a chat completions request; `param` names the offending field."""

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param


@dataclass(frozen=True)
class ChatRequest:
    """The fields the offline provider reads; every other field is accepted and ignored."""

    model: str
    messages: list[dict[str, Any]]
    stream: bool
    include_usage: bool
    max_tokens: int | None
    api_key: str
    tools: tuple[str, ...] = ()
    """Names of the offered function tools, in request order."""
    tool_choice: str = "auto"
    """`auto`, `none`, `required`, or the name of the one function the model must call."""
    parallel_tool_calls: bool = True


async def read_chat_request(request: Request) -> ChatRequest:
    """The parsed request, or `BadRequest` (malformed JSON, missing `messages`, ...)."""
    body = _parse(await request.body())
    tools = _tools(body)
    return ChatRequest(
        model=_model(body),
        messages=_messages(body),
        stream=_flag(body, "stream"),
        include_usage=_include_usage(body),
        max_tokens=_max_tokens(body),
        api_key=_bearer(request.headers.get("authorization", "")),
        tools=tools,
        tool_choice=_tool_choice(body, tools),
        parallel_tool_calls=_flag(body, "parallel_tool_calls", default=True),
    )


def _parse(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw)
    except RecursionError:
        raise BadRequest("The JSON body of your request is nested too deeply.") from None
    except ValueError as exc:
        raise BadRequest(f"We could not parse the JSON body of your request: {exc}") from exc
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object.")
    if _deeper_than(body, MAX_JSON_DEPTH):
        raise BadRequest(
            f"The JSON body of your request is nested more than {MAX_JSON_DEPTH} levels deep."
        )
    return body


def _deeper_than(value: dict[str, Any] | list[Any], limit: int) -> bool:
    """True when arrays/objects nest more than `limit` levels (iterative: no recursion)."""
    stack: list[tuple[dict[str, Any] | list[Any], int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        children: Iterable[Any] = item.values() if isinstance(item, dict) else item
        stack.extend((c, depth + 1) for c in children if isinstance(c, dict | list))
    return False


def _model(body: dict[str, Any]) -> str:
    model = body.get("model", DEFAULT_MODEL)
    if not isinstance(model, str) or not model:
        raise BadRequest("`model` must be a non-empty string.", "model")
    return model


def _messages(body: dict[str, Any]) -> list[dict[str, Any]]:
    messages = body.get("messages")
    if messages is None:
        raise BadRequest("Missing required parameter: 'messages'.", "messages")
    if not isinstance(messages, list) or not messages:
        raise BadRequest("`messages` must be a non-empty array.", "messages")
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            raise BadRequest(f"`messages[{i}]` must be an object with a `role`.", "messages")
    return messages


def _flag(body: dict[str, Any], name: str, *, default: bool = False) -> bool:
    value = body.get(name)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise BadRequest(f"`{name}` must be a boolean.", name)
    return value


def _tools(body: dict[str, Any]) -> tuple[str, ...]:
    tools = body.get("tools")
    if tools is None:
        return ()
    if not isinstance(tools, list):
        raise BadRequest("`tools` must be an array.", "tools")
    names: list[str] = []
    for i, tool in enumerate(tools):
        function = tool.get("function") if isinstance(tool, dict) else None
        name = function.get("name") if isinstance(function, dict) else None
        if not isinstance(tool, dict) or tool.get("type") != "function":
            raise BadRequest(f"`tools[{i}]` must be an object with `type: function`.", "tools")
        if not isinstance(name, str) or not name:
            raise BadRequest(f"`tools[{i}].function.name` must be a non-empty string.", "tools")
        names.append(name)
    return tuple(names)


def _tool_choice(body: dict[str, Any], tools: tuple[str, ...]) -> str:
    choice = body.get("tool_choice")
    if choice is None:
        return "auto"
    if choice in ("auto", "none", "required"):
        return str(choice)
    function = choice.get("function") if isinstance(choice, dict) else None
    name = function.get("name") if isinstance(function, dict) else None
    if not isinstance(name, str) or name not in tools:
        raise BadRequest(
            "`tool_choice` must be auto, none, required or an offered function.", "tool_choice"
        )
    return name


def _include_usage(body: dict[str, Any]) -> bool:
    options = body.get("stream_options")
    if options is None:
        return False
    if not isinstance(options, dict):
        raise BadRequest("`stream_options` must be an object.", "stream_options")
    return _flag(options, "include_usage")


def _max_tokens(body: dict[str, Any]) -> int | None:
    for name in ("max_completion_tokens", "max_tokens"):
        value = body.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise BadRequest(f"`{name}` must be an integer >= 1.", name)
        return value
    return None


def _bearer(header: str) -> str:
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else header.strip()
