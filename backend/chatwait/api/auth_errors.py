"""Account refusals as `{"error": {...}}` with the headers HTTP asks for.

A 401 names the scheme (`WWW-Authenticate: Bearer`, RFC 6750, with `error="invalid_token"`
when a credential was sent but is no good); a 429 says when to come back (`Retry-After`).
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from chatwait.accounts import AccountError, InvalidRefreshToken, InvalidToken, TooManyAttempts
from chatwait.api.errors import error_response


def _headers(exc: AccountError) -> dict[str, str]:
    headers: dict[str, str] = {"Cache-Control": "no-store"}
    if exc.status_code == 401:
        invalid = isinstance(exc, InvalidToken | InvalidRefreshToken)
        headers["WWW-Authenticate"] = 'Bearer error="invalid_token"' if invalid else "Bearer"
    if isinstance(exc, TooManyAttempts):
        headers["Retry-After"] = str(exc.retry_after)
    return headers


async def _account_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AccountError)
    return error_response(
        exc.status_code, exc.code, exc.message, headers=_headers(exc), retryable=exc.retryable
    )


def install_account_error_handler(app: FastAPI) -> None:
    """More specific than the `ChatWaitError` handler, so Starlette picks this one."""
    app.add_exception_handler(AccountError, _account_error)
