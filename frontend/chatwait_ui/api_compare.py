"""The compare part of the backend client: votes, regenerate, fuse, the leaderboard,
export and share (a mixin of `ApiClient`, which sends every request)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

from .api_errors import json_object

__all__ = ["CompareCalls"]


class CompareCalls:
    """`ApiClient`'s compare calls; `request` is the client's."""

    async def request(
        self, method: str, path: str, *, token: str | None = None, **kwargs: Any
    ) -> httpx.Response:
        raise NotImplementedError  # pragma: no cover - ApiClient sends

    async def vote(
        self, turn_id: str, winner: str | None = None, *, ranking: list[str] | None = None
    ) -> dict[str, Any]:
        """`POST /chat/turns/{id}/vote`: a slot, `tie` or `both_bad`, or a `ranking` of
        every slot, best first; reveals a blind turn."""
        body: dict[str, Any] = {"ranking": ranking} if ranking is not None else {"winner": winner}
        return json_object(await self.request("POST", f"/chat/turns/{turn_id}/vote", json=body))

    async def retry(self, turn_id: str, run_id: str) -> dict[str, Any]:
        """`POST /chat/turns/{id}/runs/{run_id}/retry` → 202 `{run_id, retry_of, after}`."""
        path = f"/chat/turns/{turn_id}/runs/{quote(run_id, safe='')}/retry"
        return json_object(await self.request("POST", path))

    async def fuse(
        self, turn_id: str, *, agent: str, strategy: str, model: str | None = None
    ) -> dict[str, Any]:
        """`POST /chat/turns/{id}/fuse` → 202 `{run_id, fusion, after}`."""
        body: dict[str, Any] = {"agent": agent, "strategy": strategy}
        if model:
            body["model"] = model
        return json_object(await self.request("POST", f"/chat/turns/{turn_id}/fuse", json=body))

    async def reveal(self, turn_id: str) -> dict[str, Any]:
        """`POST /chat/turns/{id}/reveal`: the turn with names (its vote is forfeited)."""
        return json_object(await self.request("POST", f"/chat/turns/{turn_id}/reveal"))

    async def leaderboard(
        self, *, scope: str = "me", board: str = "blind", since: str | None = None
    ) -> dict[str, Any]:
        """`GET /leaderboard`; `since` an ISO 8601 moment (None: all time)."""
        params = {"scope": scope, "board": board}
        if since is not None:
            params["since"] = since
        return json_object(await self.request("GET", "/leaderboard", params=params))

    async def export(self, conversation_id: str, fmt: str) -> bytes:
        """`GET /conversations/{id}/export?format=markdown|json`, as the file's bytes."""
        path = f"/conversations/{conversation_id}/export"
        return (await self.request("GET", path, params={"format": fmt})).content

    async def share(self, conversation_id: str, *, hide_costs: bool = False) -> str:
        """`POST /conversations/{id}/share` → the read-only link (a new one replaces it)."""
        path = f"/conversations/{conversation_id}/share"
        body = json_object(await self.request("POST", path, json={"hide_costs": hide_costs}))
        return str(body.get("url") or "")

    async def unshare(self, conversation_id: str) -> None:
        await self.request("DELETE", f"/conversations/{conversation_id}/share")
