"""Sending the streamed request with aiohttp, under the `openai` client's retry policy.

aiohttp was chosen by measurement (`bench/experiments/clients.py`: client CPU per streamed
token, 16 streams x 60 tokens at 50 tokens/s): its streaming read costs about half of
httpx2's, which is what `openai` uses. The request itself is the one the `openai` client would send
(`_request.py` builds it), so only the sending differs. The policy is the client's own, by
construction: each attempt is counted (`_attempts.count_attempt`, which also fires the run's
`on_first`); connect errors and timeouts, and the statuses `AsyncOpenAI._should_retry`
accepts (408, 409, 429, 5xx, `x-should-retry`), are retried up to `max_retries` times after
`AsyncOpenAI._calculate_retry_timeout` (exponential backoff with jitter, `Retry-After` /
`retry-after-ms` honoured up to two minutes); a final error status raises the exception
`AsyncOpenAI._make_status_error_from_response` builds (same class, message and body). Limits
mirror `Provider.client()`: one pool per provider, `MAX_CONNECTIONS` connections, idle ones
kept 5 s (httpx2's default); environment proxies (`HTTP(S)_PROXY`, `ALL_PROXY`, `NO_PROXY`,
and proxy credentials from `.netrc`) are honoured as httpx2 does: read once per provider
URL, not per request. aiohttp's `trust_env` would read them again for every request in a
worker thread (a thread hop on each run's path to its first token); credentials for the
provider itself come from its key, never from `.netrc`.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import httpx2
from aiohttp.helpers import get_env_proxy_for_url
from openai import AsyncOpenAI
from openai._models import FinalRequestOptions
from yarl import URL

from chatwait.providers import _attempts
from chatwait.providers.fast._request import BuiltRequest
from chatwait.providers.fast._wire_errors import TRANSPORT_ERRORS, client_error, httpx_equivalent

KEEPALIVE_SECONDS = 5.0
_NOT_KEPT = frozenset({b"content-encoding", b"content-length", b"transfer-encoding"})
"""The error body handed to `openai` is already decoded and whole."""


class StreamTransport:
    """One provider's aiohttp session (built in the event loop that first uses it)."""

    def __init__(self, max_connections: int) -> None:
        self._max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[str, tuple[URL | None, aiohttp.BasicAuth | None]] = {}

    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=self._max_connections, limit_per_host=0, keepalive_timeout=KEEPALIVE_SECONDS
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                trust_env=False,  # proxies: `proxy_for`
                cookie_jar=aiohttp.CookieJar(unsafe=True),
                timeout=aiohttp.ClientTimeout(total=None),
            )
        return self._session

    def proxy_for(self, url: str) -> tuple[URL | None, aiohttp.BasicAuth | None]:
        """The environment's proxy for `url` and its credentials (None: go direct)."""
        found = self._proxies.get(url)
        if found is None:
            try:
                found = get_env_proxy_for_url(URL(url))
            except LookupError:
                found = (None, None)
            self._proxies[url] = found
        return found

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def open(
        self, request: BuiltRequest, client: AsyncOpenAI, *, max_retries: int
    ) -> aiohttp.ClientResponse:
        """The response to `request` once its headers say it streams (a 2xx status)."""
        session, timeout = self.session(), _timeout(request.timeout)
        proxy, proxy_auth = self.proxy_for(request.url)
        headers = dict(request.headers)
        for retries_taken in range(max_retries + 1):
            remaining = max_retries - retries_taken
            if request.retry_count_header:
                headers["x-stainless-retry-count"] = str(retries_taken)
            _attempts.count_attempt()  # looked up here, so a test can watch sends
            try:
                response = await session.post(
                    request.url,
                    data=request.content,
                    headers=headers,
                    timeout=timeout,
                    allow_redirects=False,
                    proxy=proxy,
                    proxy_auth=proxy_auth,
                )
            except TRANSPORT_ERRORS as error:
                if remaining > 0:
                    await _sleep(client, remaining, max_retries, None)
                    continue
                failure = client_error(error, request.httpx_request, reading=False)
                raise failure from failure.__cause__
            if 200 <= response.status < 300:  # httpx2's `is_success`: a 3xx is an error too
                return response
            status = _status_response(response, request.httpx_request)
            if remaining > 0 and client._should_retry(status):
                response.close()
                await _sleep(client, remaining, max_retries, status.headers)
                continue
            raise await _status_error(response, status, client)
        raise AssertionError("unreachable: the last attempt returns or raises")


def _timeout(limits: dict[str, Any]) -> aiohttp.ClientTimeout:
    """httpx2's per-operation timeouts as aiohttp's (it has no write timeout)."""
    return aiohttp.ClientTimeout(
        total=None,
        connect=limits.get("pool"),
        sock_connect=limits.get("connect"),
        sock_read=limits.get("read"),
    )


async def _sleep(
    client: AsyncOpenAI, remaining: int, max_retries: int, headers: httpx2.Headers | None
) -> None:
    options = FinalRequestOptions.construct(
        method="post", url="/chat/completions", max_retries=max_retries
    )
    await asyncio.sleep(client._calculate_retry_timeout(remaining, options, headers))


def _status_response(response: aiohttp.ClientResponse, request: httpx2.Request) -> httpx2.Response:
    """The error response's status and headers as httpx2 holds them (no body yet)."""
    headers = [(k, v) for k, v in response.raw_headers if k.lower() not in _NOT_KEPT]
    return httpx2.Response(response.status, headers=headers, request=request)


async def _status_error(
    response: aiohttp.ClientResponse, status: httpx2.Response, client: AsyncOpenAI
) -> Exception:
    """The `openai` exception for a final error status, its body read in full."""
    try:
        body = await response.read()
    except TRANSPORT_ERRORS as error:  # as the stock path: the httpx2 error, not wrapped
        response.close()
        return httpx_equivalent(error, reading=True)
    response.release()
    full = httpx2.Response(
        status.status_code, headers=status.headers, content=body, request=status.request
    )
    return client._make_status_error_from_response(full)
