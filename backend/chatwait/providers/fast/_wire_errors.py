"""aiohttp's failures as the exceptions the `openai` client raises for the same failure.

Everything above the model reads failures through the `openai` client's classes: the run's
`RunFailure` (`providers/_errors.py`), the SDK's retry advice (`APIConnectionError` /
`APITimeoutError` in the chain) and ChatWait's own stream retry (`providers/_retry.py`, which
looks for `httpx2.RemoteProtocolError` / `ReadError` under it). So a failure surfaces as the
same pair the stock path raises: the `openai` error, caused by the `httpx2` error httpx2
would have raised, itself caused by aiohttp's original (kept for the traceback).
"""

from __future__ import annotations

import asyncio

import aiohttp
import httpx2
import openai


def httpx_equivalent(error: BaseException, *, reading: bool) -> httpx2.TransportError:
    """The httpx2 error for an aiohttp (or socket) failure; `reading`: after the headers."""
    message = str(error) or type(error).__name__
    if isinstance(error, asyncio.TimeoutError):
        if isinstance(error, aiohttp.ConnectionTimeoutError):
            return httpx2.ConnectTimeout(message)
        return httpx2.ReadTimeout(message)
    if isinstance(error, aiohttp.ClientConnectorError):
        return httpx2.ConnectError(message)
    if isinstance(error, aiohttp.ClientPayloadError | aiohttp.ServerDisconnectedError):
        return httpx2.RemoteProtocolError(message)
    if isinstance(error, aiohttp.ClientOSError | ConnectionError):
        return httpx2.ReadError(message) if reading else httpx2.ConnectError(message)
    return httpx2.TransportError(message)


def client_error(
    error: BaseException, request: httpx2.Request, *, reading: bool
) -> openai.APIError:
    """The `openai` error (caused by the httpx2 equivalent) the stock client raises."""
    equivalent = httpx_equivalent(error, reading=reading)
    equivalent.__cause__ = error
    wrapped: openai.APIError
    if isinstance(equivalent, httpx2.TimeoutException):
        wrapped = openai.APITimeoutError(request=request)
    else:
        wrapped = openai.APIConnectionError(request=request)
    wrapped.__cause__ = equivalent
    return wrapped


TRANSPORT_ERRORS = (aiohttp.ClientError, asyncio.TimeoutError, ConnectionError)
"""What a request or a read through aiohttp raises when the network, not the data, failed."""
