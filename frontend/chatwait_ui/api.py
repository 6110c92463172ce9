"""The backend's public HTTP API, as the UI uses it (the UI never imports `chatwait`).

One `httpx.AsyncClient` per process, created on first use so the module can be imported
before an event loop exists. Errors come back as `ApiError` carrying the backend's
`{"error": {"code", "message", "retryable"}}`; an unreachable backend is an `ApiError`
too (`code="unreachable"`), so callers handle one exception type.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any, Protocol
from urllib.parse import quote

import httpx
from httpx_sse import EventSource, aconnect_sse

from .api_compare import CompareCalls
from .api_errors import ApiError, json_object

__all__ = [
    "DEFAULT_API_URL",
    "ApiClient",
    "ApiError",
    "Credentials",
    "api_url_from_env",
    "new_idempotency_key",
]

DEFAULT_API_URL = "http://127.0.0.1:8000"
# SSE: the backend pings every ~15 s, so a minute of silence means the connection is dead.
_STREAM_TIMEOUT = httpx.Timeout(10.0, read=60.0)
# Wait mode answers once every run has finished; runs time out on the backend side.
_WAIT_TIMEOUT = httpx.Timeout(10.0, read=None)


def new_idempotency_key() -> str:
    """A key naming one turn start: the same key sent again attaches to that turn."""
    return f"ui-{uuid.uuid4()}"


def api_url_from_env() -> str:
    """`CHATWAIT_API_URL`, so the UI can run against a remote backend."""
    return os.environ.get("CHATWAIT_API_URL", DEFAULT_API_URL).rstrip("/")


class Credentials(Protocol):
    """Where the access token of the user a call is made for comes from."""

    async def token(self, *, stale: str | None = None) -> str | None:
        """The token to send (None: send none); `stale`: the one the backend just refused."""


class ApiClient(CompareCalls):
    """Thin async wrapper over the ChatWait HTTP API.

    With `credentials`, every request carries `Authorization: Bearer <token>` of the
    signed-in user the code runs for (`sessions.UiCredentials`); a 401 gets one retry
    with a refreshed token.
    """

    def __init__(
        self,
        base_url: str | None = None,
        *,
        transport: Any = None,
        credentials: Credentials | None = None,
    ) -> None:
        self.base_url = (base_url or api_url_from_env()).rstrip("/")
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        self.credentials = credentials

    @property
    def http(self) -> httpx.AsyncClient:
        if self._client is None or self._client.is_closed:
            self._client = httpx.AsyncClient(
                base_url=self.base_url, timeout=httpx.Timeout(30.0), transport=self._transport
            )
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def _token(self, stale: str | None = None) -> str | None:
        return await self.credentials.token(stale=stale) if self.credentials else None

    @staticmethod
    def _with_token(kwargs: dict[str, Any], token: str | None) -> dict[str, Any]:
        if token is None:
            return kwargs
        headers = {**(kwargs.get("headers") or {}), "Authorization": f"Bearer {token}"}
        return {**kwargs, "headers": headers}

    async def request(
        self, method: str, path: str, *, token: str | None = None, **kwargs: Any
    ) -> httpx.Response:
        """Send one request; raise `ApiError` for transport failures and error statuses.

        `token`: send this one instead of asking `credentials` (sign-in and sign-out).
        """
        sent = token if token is not None else await self._token()
        response = await self._send(method, path, self._with_token(kwargs, sent))
        if response.status_code == 401 and sent is not None and token is None:
            renewed = await self._token(stale=sent)
            if renewed is not None and renewed != sent:
                response = await self._send(method, path, self._with_token(kwargs, renewed))
        if response.is_error:
            raise ApiError.from_response(response)
        return response

    async def _send(self, method: str, path: str, kwargs: dict[str, Any]) -> httpx.Response:
        try:
            return await self.http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise ApiError(
                "unreachable", f"Backend unreachable at {self.base_url}: {exc}", retryable=True
            ) from exc

    # -- accounts (AUTH_MODE=local) ---------------------------------------------------

    async def login(
        self, email: str, password: str, *, client_ip: str | None = None
    ) -> dict[str, Any]:
        """`POST /auth/login`; the browser's address goes along for login throttling."""
        headers = {"X-Forwarded-For": client_ip} if client_ip else {}
        body = {"email": email, "password": password}
        return json_object(await self._plain("POST", "/auth/login", json=body, headers=headers))

    async def refresh(self, refresh_token: str) -> dict[str, Any]:
        body = {"refresh_token": refresh_token}
        return json_object(await self._plain("POST", "/auth/refresh", json=body))

    async def logout(self, *, token: str) -> None:
        await self.request("POST", "/auth/logout", token=token)

    async def me(self, *, token: str | None = None) -> dict[str, Any]:
        return json_object(await self.request("GET", "/me", token=token))

    async def _plain(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """A request that carries no user's token."""
        response = await self._send(method, path, kwargs)
        if response.is_error:
            raise ApiError.from_response(response)
        return response

    # -- chat -----------------------------------------------------------------------

    async def models(self) -> dict[str, Any]:
        return json_object(await self.request("GET", "/models"))

    async def usage(self) -> dict[str, Any]:
        """`GET /me/usage`: each limit's state and today's and this month's usage."""
        return json_object(await self.request("GET", "/me/usage"))

    # -- provider keys and admin toggles ----------------------------------------------

    async def provider_keys(self) -> list[dict[str, Any]]:
        """`GET /me/provider-keys`: agent, last4, created_at, last_used_at (never a key)."""
        body = (await self.request("GET", "/me/provider-keys")).json()
        return [item for item in body if isinstance(item, dict)] if isinstance(body, list) else []

    async def save_provider_key(self, agent: str, api_key: str) -> None:
        """`PUT /me/provider-keys/{agent}`, checked with the provider first."""
        body = {"api_key": api_key, "validate": True}
        await self.request("PUT", f"/me/provider-keys/{quote(agent, safe='')}", json=body)

    async def delete_provider_key(self, agent: str) -> None:
        await self.request("DELETE", f"/me/provider-keys/{quote(agent, safe='')}")

    async def admin_agents(self) -> list[dict[str, Any]]:
        agents = json_object(await self.request("GET", "/admin/agents")).get("agents")
        return [a for a in agents if isinstance(a, dict)] if isinstance(agents, list) else []

    async def toggle_agent(self, agent: str, *, enabled: bool) -> None:
        path = f"/admin/agents/{quote(agent, safe='')}"
        await self.request("PATCH", path, json={"enabled": enabled})

    async def set_agent_models(self, agent: str, models: list[str] | None) -> None:
        """The models users may pick (None: all of them)."""
        path = f"/admin/agents/{quote(agent, safe='')}"
        await self.request("PATCH", path, json={"models": models})

    async def wait(
        self, body: Mapping[str, Any], *, idempotency_key: str | None = None, attempts: int = 1
    ) -> dict[str, Any]:
        """`POST /chat/wait`. With a key, a lost connection is retried up to `attempts`
        times: the backend attaches the retry to the turn the first one started."""
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        for attempt in range(1, attempts + 1):
            try:
                response = await self.request(
                    "POST", "/chat/wait", json=body, headers=headers, timeout=_WAIT_TIMEOUT
                )
                return json_object(response)
            except ApiError as exc:
                if exc.code != "unreachable" or not idempotency_key or attempt == attempts:
                    raise
                await asyncio.sleep(min(0.5 * 2 ** (attempt - 1), 4.0))
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    async def turn(self, turn_id: str) -> dict[str, Any]:
        return json_object(await self.request("GET", f"/chat/turns/{turn_id}"))

    async def cancel(self, turn_id: str) -> bool:
        """Ask the backend to cancel a live turn; False when it had already ended (409)."""
        try:
            await self.request("POST", f"/chat/turns/{turn_id}/cancel")
        except ApiError as exc:
            if exc.status == 409:
                return False
            raise
        return True

    @asynccontextmanager
    async def open_stream(
        self,
        *,
        body: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
        turn_id: str | None = None,
        after: int = 0,
    ) -> AsyncIterator[EventSource]:
        """Start a turn (`body`, named by `idempotency_key`: sent again, it attaches to
        that turn) or attach to one (`turn_id`); events after `after`.

        A 401 gets one retry with a refreshed token (a refused start started nothing).
        """
        headers = {"Last-Event-ID": str(after)} if after else {}
        if body is not None:
            if idempotency_key:
                headers["Idempotency-Key"] = idempotency_key
            method, path, kwargs = "POST", "/chat/streaming", {"json": body}
        else:
            method, path, kwargs = "GET", f"/chat/streaming/{turn_id}", {}
        token = await self._token()
        for retry in (False, True):
            sent = self._with_token({"headers": headers}, token)["headers"]
            async with aconnect_sse(
                self.http, method, path, timeout=_STREAM_TIMEOUT, headers=sent, **kwargs
            ) as source:
                response = source.response
                if response.status_code == 401 and token is not None and not retry:
                    renewed = await self._token(stale=token)
                    if renewed is not None and renewed != token:
                        token = renewed
                        continue
                if response.is_error:
                    await response.aread()
                    raise ApiError.from_response(response)
                yield source
                return

    # -- conversations --------------------------------------------------------------

    async def conversations(self, *, limit: int = 20, offset: int = 0) -> dict[str, Any]:
        params = {"limit": limit, "offset": offset}
        return json_object(await self.request("GET", "/conversations", params=params))

    async def conversation(self, conversation_id: str) -> dict[str, Any] | None:
        """The conversation with its turns, or None when it does not exist."""
        try:
            return json_object(await self.request("GET", f"/conversations/{conversation_id}"))
        except ApiError as exc:
            if exc.status in (404, 422):
                return None
            raise

    async def update_conversation(
        self,
        conversation_id: str,
        *,
        title: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if title is not None:
            body["title"] = title
        if metadata is not None:
            body["metadata"] = dict(metadata)
        return json_object(
            await self.request("PATCH", f"/conversations/{conversation_id}", json=body)
        )

    async def merge_metadata(
        self, conversation_id: str, updates: Mapping[str, Any]
    ) -> dict[str, Any] | None:
        """Read-modify-write, so keys other clients own survive whatever PATCH semantics."""
        current = await self.conversation(conversation_id)
        if current is None:
            return None
        metadata = {**(current.get("metadata") or {}), **updates}
        if metadata == current.get("metadata"):
            return current
        return await self.update_conversation(conversation_id, metadata=metadata)

    async def delete_conversation(self, conversation_id: str) -> None:
        try:
            await self.request("DELETE", f"/conversations/{conversation_id}")
        except ApiError as exc:
            if exc.status != 404:
                raise
