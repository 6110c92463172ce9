"""Parse an OpenAI chat completions request body, answering 400 the way OpenAI does."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from chatwait.sim._models import DEFAULT_MODEL


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


async def read_chat_request(request: Request) -> ChatRequest:
    """The parsed request, or `BadRequest` (malformed JSON, missing `messages`, ...)."""
    try:
        body = json.loads(await request.body())
    except ValueError as exc:
        raise BadRequest(f"We could not parse the JSON body of your request: {exc}") from exc
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object.")
    return ChatRequest(
        model=_model(body),
        messages=_messages(body),
        stream=_flag(body, "stream"),
        include_usage=_include_usage(body),
        max_tokens=_max_tokens(body),
        api_key=_bearer(request.headers.get("authorization", "")),
    )


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


def _flag(body: dict[str, Any], name: str) -> bool:
    value = body.get(name)
    if value is not None and not isinstance(value, bool):
        raise BadRequest(f"`{name}` must be a boolean.", name)
    return bool(value)


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
