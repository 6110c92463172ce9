"""Typed errors with stable codes.

Every error ChatWait reports, over HTTP or inside an SSE event, is one of these. The
`code` is part of the public contract (clients branch on it); `message` is for people and
never holds a secret; `retryable` says whether sending the same thing again could help.

    ChatWaitError
    ├── BadRequest (400/404/409/422, raised by api and turns on bad input)
    │   ├── ValidationFailed        validation_error
    │   ├── UnknownAgent            unknown_agent
    │   ├── UnknownModel            unknown_model
    │   ├── AgentUnavailable        agent_unavailable
    │   ├── AgentDisabled           agent_disabled (403: an admin turned it off)
    │   ├── ModelDisabled           model_disabled (403: outside the admin's allowlist)
    │   ├── InvalidProviderKey      invalid_provider_key (422: the provider refused it)
    │   ├── NotFound                not_found
    │   └── Conflict                conflict
    ├── ProviderCheckFailed         provider_check_failed (502: checking a key, the provider
    │                               failed otherwise than refusing it)
    └── RunFailure (a provider run ended badly; data on the run, never an HTTP 5xx)
        codes: rate_limited, provider_error, auth_error, bad_request, not_found,
               timeout, connection_error, stream_dropped, malformed_response,
               cancelled, interrupted, internal_error
"""

from __future__ import annotations

from chatwait.statuses import FailureStatus


class ChatWaitError(Exception):
    """Base of every error ChatWait reports."""

    code: str = "error"
    status_code: int = 500
    retryable: bool = False

    def __init__(self, message: str, *, code: str | None = None, retryable: bool | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if retryable is not None:
            self.retryable = retryable

    def to_dict(self) -> dict[str, object]:
        """The public error body: `{"code", "message", "retryable"}`."""
        return {"code": self.code, "message": self.message, "retryable": self.retryable}


class BadRequest(ChatWaitError):
    """The request cannot be served as sent."""

    code = "bad_request"
    status_code = 400


class ValidationFailed(BadRequest):
    """A field is missing, empty, too long or of the wrong form."""

    code = "validation_error"
    status_code = 422


class UnknownAgent(BadRequest):
    """An agent name that `GET /models` does not list."""

    code = "unknown_agent"
    status_code = 422


class UnknownModel(BadRequest):
    """A model outside the agent's allowlist."""

    code = "unknown_model"
    status_code = 422


class AgentUnavailable(BadRequest):
    """The agent exists but cannot run (its key is missing, say)."""

    code = "agent_unavailable"
    status_code = 422


class AgentDisabled(BadRequest):
    """An admin turned the agent off (`PATCH /admin/agents/{name}`)."""

    code = "agent_disabled"
    status_code = 403


class ModelDisabled(BadRequest):
    """The model is the agent's, but outside the allowlist an admin set."""

    code = "model_disabled"
    status_code = 403


class InvalidProviderKey(BadRequest):
    """The provider answered 401/403 to the key a user is saving."""

    code = "invalid_provider_key"
    status_code = 422


class NotFound(BadRequest):
    """No such conversation or turn."""

    code = "not_found"
    status_code = 404


class Conflict(BadRequest):
    """The request contradicts the current state."""

    code = "conflict"
    status_code = 409


class ProviderCheckFailed(ChatWaitError):
    """Checking a user's key, the provider neither accepted nor refused it (down, 5xx)."""

    code = "provider_check_failed"
    status_code = 502
    retryable = True


class RunFailure(ChatWaitError):
    """Why an agent run ended without a full answer; stored on the run, sent as `run_error`."""

    code = "provider_error"

    def __init__(
        self,
        message: str,
        *,
        code: str = "provider_error",
        retryable: bool = False,
        status: FailureStatus = "error",
    ):
        super().__init__(message, code=code, retryable=retryable)
        self.status = status
        """Terminal run status this failure leads to: error, timeout, cancelled, interrupted."""
