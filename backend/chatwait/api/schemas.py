"""Request and response bodies (they are the OpenAPI contract in `specs/`).

Runs, turns and conversations are the records `turns/records.py` defines once; routes
return them as they are.
"""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from chatwait.turns import ConversationDetail, ConversationPage, ConversationSummary, TurnRecord

__all__ = [
    "ERROR_RESPONSES",
    "AgentPublic",
    "CancelResponse",
    "ChatRequest",
    "ConversationDetail",
    "ConversationPage",
    "ConversationPatch",
    "ConversationSummary",
    "ErrorBody",
    "Health",
    "ShareLink",
    "ShareRequest",
    "VoteRequest",
    "ModelsResponse",
    "TurnRecord",
    "error_responses",
]


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
    blind: bool = Field(
        False,
        description="Label the runs A, B, … in a random order and withhold agent, provider, "
        "model, cost and tokens until POST /chat/turns/{id}/vote or /reveal (2+ agents).",
    )


class VoteRequest(BaseModel):
    """Body of `POST /chat/turns/{id}/vote`: a winner, or a ranking of every run."""

    model_config = ConfigDict(extra="forbid")

    winner: str | None = Field(
        None,
        min_length=1,
        max_length=64,
        description="A slot (A, B, …), a run id, 'tie' or 'both_bad'.",
    )
    ranking: list[str] | None = Field(
        None,
        min_length=2,
        max_length=26,
        description="Every slot or run id of the turn once, best first (stored as the "
        "pairwise battles it implies).",
    )


class ShareRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    hide_costs: bool = Field(False, description="The shared view shows no cost or tokens.")


class ShareLink(BaseModel):
    url: str = Field(description="…/shared/<token>: anyone with it reads the conversation.")


class CancelResponse(BaseModel):
    turn_id: str
    status: str


class McpServerPublic(BaseModel):
    """One MCP server an agent uses, as it is now."""

    name: str
    up: bool
    state: str = Field(description="starting | up | down | closed")
    reason: str | None = Field(description="Why it is down (its last failure); null when up.")
    tools: list[str] = Field(description="Its tools: live when up, the last known when down.")


class AgentPublic(BaseModel):
    name: str
    provider: str
    default_model: str
    models: list[str]
    available: bool
    reason: str | None
    configured: bool = Field(False, description="From the config file's `[[agents]]`.")
    tools: list[str] = Field(
        default_factory=list, description="Every tool it may call: built-in, then MCP."
    )
    mcp_servers: list[McpServerPublic] = Field(default_factory=list)
    takes_key: bool = Field(
        False, description="Whether a user may bring their own key for it (PUT /me/provider-keys)."
    )
    user_key: bool = Field(
        False, description="Whether the caller stored their own key for it (PUT /me/provider-keys)."
    )


class ModelsResponse(BaseModel):
    agents: list[AgentPublic]
    default_agents: list[str]


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


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI `responses` of a route that can answer these error statuses."""
    return {status: {"model": ErrorBody} for status in statuses}


ERROR_RESPONSES = error_responses(400, 404, 409, 422)
