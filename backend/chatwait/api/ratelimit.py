"""The IETF RateLimit header fields (draft-ietf-httpapi-ratelimit-headers) and the 429.

    RateLimit-Policy: "turns";q=30;w=60, "concurrency";q=4;qu="concurrent-requests"
    RateLimit: "turns";r=0;t=17, "concurrency";r=3

Policies are the limits set for the user (unlimited ones are left out); cost is in US
cents, as the fields hold integers. A refusal also says `Retry-After` in whole seconds,
never earlier than the refused limit's `t`.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from chatwait.api.errors import error_response
from chatwait.limits import LimitExceeded, LimitState


def policy_header(states: list[LimitState]) -> str:
    items = []
    for state in states:
        item = f'"{state.policy}";q={state.quota}'
        if state.unit is not None:
            item += f';qu="{state.unit}"'
        if state.window is not None:
            item += f";w={state.window}"
        items.append(item)
    return ", ".join(items)


def state_header(states: list[LimitState]) -> str:
    items = []
    for state in states:
        item = f'"{state.policy}";r={state.remaining}'
        if state.reset is not None:
            item += f";t={state.reset}"
        items.append(item)
    return ", ".join(items)


def ratelimit_headers(states: list[LimitState]) -> dict[str, str]:
    """`RateLimit-Policy` and `RateLimit`, or nothing when every limit is off."""
    if not states:
        return {}
    return {"RateLimit-Policy": policy_header(states), "RateLimit": state_header(states)}


async def _limit_exceeded(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, LimitExceeded)
    headers = {
        **ratelimit_headers(exc.states),
        "Retry-After": str(exc.retry_after),
        "Cache-Control": "no-store",
    }
    body = exc.to_dict()
    body.pop("code")
    body.pop("message")
    return error_response(429, exc.code, exc.message, headers=headers, **body)


def install_limit_error_handler(app: FastAPI) -> None:
    """More specific than the `ChatWaitError` handler, so Starlette picks this one."""
    app.add_exception_handler(LimitExceeded, _limit_exceeded)
