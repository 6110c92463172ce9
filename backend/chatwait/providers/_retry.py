"""The one retry the `openai` client cannot make: a stream that breaks before its first token.

The client retries a *request* (connect errors, 408, 429, 5xx, honouring Retry-After),
but a connection dropped after the response headers and before any text breaks while
the body is read, out of its reach: such a run used to fail on its first attempt
although the reliability rules call it transient. The Agents SDK can retry a streamed
model call and never does once output was emitted (no duplicated text); this policy lets
it retry only a dropped connection, so every other failure keeps the client's budget.
"""

from __future__ import annotations

import httpx2
from agents import ModelRetrySettings
from agents.retry import RetryPolicyContext

_DROPPED = (httpx2.RemoteProtocolError, httpx2.ReadError)


def _dropped_connection(context: RetryPolicyContext) -> bool:
    """Whether the failure is the peer closing the connection (anywhere in the chain)."""
    error: BaseException | None = context.error
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, _DROPPED):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False


def stream_retry(max_retries: int) -> ModelRetrySettings | None:
    """SDK retry settings for a provider allowed `max_retries` retries (None: no retries)."""
    if max_retries <= 0:
        return None
    return ModelRetrySettings(max_retries=max_retries, policy=_dropped_connection)
