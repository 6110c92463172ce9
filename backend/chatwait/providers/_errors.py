"""Translate provider and SDK exceptions into `RunFailure` at the provider edge.

The message a person reads comes from the provider's own error body, so it says what went
wrong ("Incorrect API key", "model not found"), but it passes through `redact` first:
providers echo keys back in 401 bodies, and nothing ChatWait stores or sends may hold one.
Gemini's OpenAI-compatible endpoint wraps its errors in a JSON list
(`[{"error": {...}}]`), which the `openai` client hands over as a list body with
`.code is None`; `_error_detail` reads the first element.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

import httpx2
import openai
from agents.exceptions import ModelBehaviorError

from chatwait.errors import RunFailure

_KEY_PATTERNS = re.compile(
    r"((?<![A-Za-z0-9])sk-[A-Za-z0-9_\-]{6,}|(?<![A-Za-z0-9])AIza[0-9A-Za-z_\-]{20,}"
    r"|(?<![A-Za-z0-9])(?:gsk_|xai-)[A-Za-z0-9_\-]{16,}"
    r"|Bearer\s+[A-Za-z0-9._\-]{6,})"
)
"""Key shapes (OpenAI, Anthropic `sk-ant-`, OpenRouter `sk-or-`, DeepSeek `sk-`, Gemini
`AIza`, Groq `gsk_`, xAI `xai-`), anchored at a word start so "ask-me-anything" survives.
Mistral keys have no prefix: only the configured key itself is redacted for them."""


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Remove every known secret and anything shaped like an API key from `text`."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "[redacted]")
    return _KEY_PATTERNS.sub("[redacted]", text)


def _error_detail(body: object) -> tuple[str | None, str | None]:
    """(message, code) from an OpenAI-style dict body or Gemini's list-wrapped one."""
    if isinstance(body, list) and body and isinstance(body[0], dict):
        body = body[0].get("error", body[0])
    if isinstance(body, dict):
        message, code = body.get("message"), body.get("code") or body.get("status")
        if isinstance(message, dict):
            message = _validation_detail(message) or json.dumps(message)
        return (str(message) if message else None, str(code) if code is not None else None)
    return None, None


def _validation_detail(message: dict[str, object]) -> str | None:
    """Mistral's 422 nests pydantic errors in `message.detail` (openai-agents-python#442):
    "Extra inputs are not permitted (body.stream_options.include_usage)"."""
    details = message.get("detail")
    if not isinstance(details, list):
        return None
    parts = [
        f"{d.get('msg')} ({'.'.join(map(str, d.get('loc') or ()))})"
        for d in details
        if isinstance(d, dict) and d.get("msg")
    ]
    return "; ".join(parts) or None


_STATUS_CODES: tuple[tuple[type[openai.APIStatusError], str, bool], ...] = (
    (openai.RateLimitError, "rate_limited", True),
    (openai.AuthenticationError, "auth_error", False),
    (openai.PermissionDeniedError, "auth_error", False),
    (openai.NotFoundError, "not_found", False),
    (openai.BadRequestError, "bad_request", False),
    (openai.UnprocessableEntityError, "bad_request", False),
    (openai.InternalServerError, "provider_error", True),
)


def _reasons(body: object) -> set[str]:
    """Google's `error.details[].reason` values (e.g. API_KEY_INVALID), list-wrapped or not."""
    if isinstance(body, list) and body and isinstance(body[0], dict):
        body = body[0].get("error", body[0])
    details = body.get("details") if isinstance(body, dict) else None
    if not isinstance(details, list):
        return set()
    return {str(d["reason"]) for d in details if isinstance(d, dict) and "reason" in d}


def _refine(code: str, retryable: bool, body: object) -> tuple[str, bool]:
    """What the body says beyond the status (both cases seen in recorded traffic).

    Gemini answers a bad key with 400 INVALID_ARGUMENT + API_KEY_INVALID: that is an
    auth_error to the user. OpenAI's `insufficient_quota` 429 is billing, not load, so
    sending again cannot help.
    """
    if "API_KEY_INVALID" in _reasons(body):
        return "auth_error", False
    if _error_detail(body)[1] == "insufficient_quota":
        return code, False
    return code, retryable


def _status_failure(exc: openai.APIStatusError, provider: str) -> RunFailure:
    message, _ = _error_detail(exc.body)
    status = exc.status_code
    code, retryable = "provider_error", status == 408 or status >= 500
    for cls, known_code, known_retryable in _STATUS_CODES:
        if isinstance(exc, cls):
            code, retryable = known_code, known_retryable
            break
    code, retryable = _refine(code, retryable, exc.body)
    text = f"{provider} answered HTTP {status}: {message or exc.message or 'no details'}"
    return RunFailure(text, code=code, retryable=retryable)


def _root_cause(exc: BaseException) -> BaseException:
    """The first openai/httpx error in the cause chain (the SDK may wrap them)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, openai.OpenAIError | httpx2.HTTPError | json.JSONDecodeError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return exc


def translate_error(
    exc: BaseException, *, provider: str, started: bool, secrets: Iterable[str] = ()
) -> RunFailure:
    """The `RunFailure` a run records for `exc`; `started` = text was already streamed."""
    failure = _classify(_root_cause(exc), provider=provider, started=started)
    failure.message = redact(failure.message, secrets)
    return failure


def _classify(exc: BaseException, *, provider: str, started: bool) -> RunFailure:
    if isinstance(exc, openai.APIStatusError):
        return _status_failure(exc, provider)
    if isinstance(exc, openai.APITimeoutError | httpx2.TimeoutException):
        return RunFailure(
            f"{provider} did not answer in time", code="timeout", retryable=True, status="timeout"
        )
    if isinstance(exc, openai.APIResponseValidationError | json.JSONDecodeError):
        return RunFailure(f"{provider} sent a malformed response", code="malformed_response")
    if isinstance(exc, ModelBehaviorError):
        # e.g. a tool call to a tool the agent does not have: say which (redacted later)
        return RunFailure(
            f"{provider} sent a response ChatWait cannot use: {exc.message}",
            code="malformed_response",
        )
    if isinstance(exc, openai.APIConnectionError | httpx2.TransportError):
        if started:
            return RunFailure(
                f"the connection to {provider} dropped mid-answer",
                code="stream_dropped",
                retryable=True,
            )
        return RunFailure(f"could not reach {provider}", code="connection_error", retryable=True)
    if isinstance(exc, openai.APIError):
        # An error event inside a 200 stream (OpenRouter sends upstream failures this way,
        # after the status is long gone): the provider's own words, never retried.
        message, _ = _error_detail(exc.body)
        return RunFailure(
            f"{provider} reported an error mid-stream: {message or exc.message}",
            code="provider_error",
        )
    return RunFailure(
        f"unexpected error while talking to {provider} ({type(exc).__name__})",
        code="internal_error",
    )
