"""Request and response bodies (they are the OpenAPI contract in `specs/`)."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ChatRequest(BaseModel):
    """Body of `POST /chat/wait` and `POST /chat/streaming`."""

    model_config = ConfigDict(extra="forbid")

    message: str = Field(
        min_length=1, description="The user's message (non-blank, within MAX_MESSAGE_CHARS)."
    )
    conversation_id: uuid.UUID | None = Field(None, description="Continue this conversation.")
    agents: list[str] | None = Field(
        None, max_length=64, description="Agent names from GET /models; omitted = the defaults."
    )
    models: dict[str, str] = Field(
        default_factory=dict, description="Agent name -> model within that agent's allowlist."
    )


class Usage(BaseModel):
    input_tokens: int
    output_tokens: int


class RunErrorBody(BaseModel):
    code: str
    message: str | None
    retryable: bool


class RunPublic(BaseModel):
    run_id: str
    agent: str
    provider: str
    model: str
    status: str = Field(description="running | done | error | timeout | cancelled | interrupted")
    output: str
    error: RunErrorBody | None
    usage: Usage
    cost_usd: float | None
    latency_ms: float | None
    ttft_ms: float | None
    attempts: int


class TurnPublic(BaseModel):
    """A turn with every run: the answer of `POST /chat/wait`."""

    turn_id: str
    conversation_id: str
    status: str
    message: str
    created_at: str | None
    runs: list[RunPublic]


class CancelResponse(BaseModel):
    turn_id: str
    status: str


class AgentPublic(BaseModel):
    name: str
    provider: str
    default_model: str
    models: list[str]
    available: bool
    reason: str | None


class ModelsResponse(BaseModel):
    agents: list[AgentPublic]
    default_agents: list[str]


class ConversationSummary(BaseModel):
    id: str
    title: str
    created_at: str | None
    updated_at: str | None
    metadata: dict[str, Any]


class ConversationPage(BaseModel):
    items: list[ConversationSummary]
    total: int
    limit: int
    offset: int


class ConversationDetail(ConversationSummary):
    turns: list[TurnPublic]


class ConversationPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(
        None,
        min_length=1,
        max_length=200,
        description="New title (non-blank, at most 200 characters).",
    )
    metadata: dict[str, Any] | None = Field(
        None, description="Client-owned JSON (UI choices); replaces the stored object."
    )


class ErrorDetail(BaseModel):
    code: str
    message: str
    retryable: bool | None = None


class ErrorBody(BaseModel):
    error: ErrorDetail


class Health(BaseModel):
    status: str
    database: str
    event_log: str


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody} for status in (400, 404, 409, 422)
}
