"""Following a streaming turn against the real backend, including dropped connections.

Drops are real: the client's transport cuts the SSE body after some bytes, the way a
proxy or a flaky network would, and the follower must resume with `Last-Event-ID`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from chatwait_ui.api import ApiClient, ApiError
from chatwait_ui.stream import follow_turn
from chatwait_ui.turn_view import TurnView
from tests.support.app import running_app

AGENTS = ["offline", "offline-2"]


class _CutStream(httpx.AsyncByteStream):
    """The body of a response that breaks after `limit` bytes."""

    def __init__(self, inner: httpx.AsyncByteStream, limit: int) -> None:
        self._inner = inner
        self._limit = limit

    async def __aiter__(self) -> AsyncIterator[bytes]:
        sent = 0
        async for chunk in self._inner:
            if sent + len(chunk) >= self._limit:
                yield chunk[: self._limit - sent]
                raise httpx.ReadError("connection dropped by the test transport")
            sent += len(chunk)
            yield chunk

    async def aclose(self) -> None:
        await self._inner.aclose()


class DroppingTransport(httpx.AsyncBaseTransport):
    """Real HTTP; each SSE response in `cuts` is cut after that many bytes, in order."""

    def __init__(self, cuts: list[int]) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self.cuts = list(cuts)
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        response = await self._inner.handle_async_request(request)
        is_sse = response.headers.get("content-type", "").startswith("text/event-stream")
        if not (is_sse and self.cuts):
            return response
        assert isinstance(response.stream, httpx.AsyncByteStream)
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=_CutStream(response.stream, self.cuts.pop(0)),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self._inner.aclose()


async def no_backoff(attempt: int) -> None:
    return None


@pytest.fixture(scope="module")
def slow_app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Slow enough that a drop lands while the runs are still streaming."""
    directory: Path = tmp_path_factory.mktemp("stream-app")
    with running_app(directory, SIM_TOKENS_PER_SECOND=60.0, SIM_ANSWER_TOKENS=30) as (url, _):
        yield url


async def follow(api: ApiClient, body: dict[str, object]) -> tuple[TurnView, list[tuple]]:
    view = TurnView("streaming", planned=[(a, "") for a in AGENTS])
    seen = [
        (e.data["run_id"], e.data["index"])
        async for e in follow_turn(api, view, body=body, backoff=no_backoff)
        if e.type == "delta"
    ]
    return view, seen


async def assert_matches_backend(api: ApiClient, view: TurnView) -> None:
    assert view.turn_id is not None
    turn = await api.turn(view.turn_id)
    assert turn["status"] == view.status == "done"
    assert {r["run_id"]: r["output"] for r in turn["runs"]} == {
        run_id: pane.text for run_id, pane in view.panes.items()
    }
    assert all(pane.text for pane in view.panes.values())


async def test_a_streamed_turn_shows_exactly_what_the_backend_stored(slow_app_url: str) -> None:
    api = ApiClient(slow_app_url)
    try:
        view, seen = await follow(api, {"message": "stream please", "agents": AGENTS})
        await assert_matches_backend(api, view)
        assert len(seen) == len(set(seen))
        assert [p.agent for p in view.panes.values()] == AGENTS
        assert all(p.run and p.run["usage"]["output_tokens"] for p in view.panes.values())
    finally:
        await api.aclose()


async def test_dropped_connections_resume_without_losing_or_doubling_text(
    slow_app_url: str,
) -> None:
    transport = DroppingTransport(cuts=[900, 1500, 700])
    api = ApiClient(slow_app_url, transport=transport)
    try:
        view, seen = await follow(api, {"message": "survive the drops", "agents": AGENTS})
        await assert_matches_backend(api, view)
        assert len(seen) == len(set(seen)), "no chunk is applied twice"
        resumes = [
            r for r in transport.requests if r.method == "GET" and "/streaming/" in r.url.path
        ]
        assert len(resumes) >= 3
        resumed_after = [int(r.headers["Last-Event-ID"]) for r in resumes[:3]]
        assert resumed_after == sorted(resumed_after) and resumed_after[0] > 0
    finally:
        await api.aclose()


async def test_attaching_to_a_finished_turn_replays_it_whole(slow_app_url: str) -> None:
    api = ApiClient(slow_app_url)
    try:
        first, _ = await follow(api, {"message": "finish first", "agents": AGENTS})
        late = TurnView("streaming")
        late.turn_id = first.turn_id
        events = [e async for e in follow_turn(api, late, backoff=no_backoff)]
        assert events[0].type == "turn_started" and events[-1].type == "turn_done"
        assert {k: p.text for k, p in late.panes.items()} == {
            k: p.text for k, p in first.panes.items()
        }
    finally:
        await api.aclose()


async def test_the_follower_gives_up_after_fruitless_reconnects(slow_app_url: str) -> None:
    transport = DroppingTransport(cuts=[1200] + [0] * 20)
    api = ApiClient(slow_app_url, transport=transport)
    view = TurnView("streaming")
    try:
        with pytest.raises(ApiError) as caught:
            body = {"message": "never resumes", "agents": AGENTS}
            async for _ in follow_turn(api, view, body=body, max_reconnects=2, backoff=no_backoff):
                pass
        assert caught.value.code == "stream_lost" and view.turn_id is not None
    finally:
        await api.aclose()


async def test_a_refused_turn_raises_the_backend_error(slow_app_url: str) -> None:
    api = ApiClient(slow_app_url)
    try:
        with pytest.raises(ApiError) as caught:
            await follow(api, {"message": "hi", "agents": ["no-such-agent"]})
        assert caught.value.status is not None and 400 <= caught.value.status < 500
        assert caught.value.message
    finally:
        await api.aclose()


async def test_an_unreachable_backend_is_an_api_error() -> None:
    api = ApiClient("http://127.0.0.1:9")
    try:
        with pytest.raises(ApiError) as caught:
            await api.models()
        assert caught.value.code == "unreachable" and caught.value.retryable
    finally:
        await api.aclose()


async def test_no_backend_no_stream() -> None:
    api = ApiClient("http://127.0.0.1:9")
    try:
        with pytest.raises(ApiError) as caught:
            await follow(api, {"message": "anyone there?"})
        assert caught.value.code == "unreachable" and "127.0.0.1:9" in caught.value.message
    finally:
        await api.aclose()


async def _turns_in(api: ApiClient, conversation_id: str | None) -> int:
    assert conversation_id is not None
    conversation = await api.conversation(conversation_id)
    assert conversation is not None
    return len(conversation["turns"])


async def test_a_start_cut_before_turn_started_attaches_with_its_key(slow_app_url: str) -> None:
    transport = DroppingTransport(cuts=[5])
    api = ApiClient(slow_app_url, transport=transport)
    view = TurnView("streaming", planned=[(a, "") for a in AGENTS])
    try:
        body = {"message": "cut me early", "agents": AGENTS}
        async for _ in follow_turn(
            api, view, body=body, idempotency_key="key-cut-early", backoff=no_backoff
        ):
            pass
        await assert_matches_backend(api, view)
        starts = [r for r in transport.requests if r.method == "POST"]
        assert [r.headers["Idempotency-Key"] for r in starts] == ["key-cut-early"] * 2
        assert await _turns_in(api, view.conversation_id) == 1, "the retry attached"
    finally:
        await api.aclose()


async def test_without_a_key_a_start_cut_before_turn_started_is_an_error(
    slow_app_url: str,
) -> None:
    api = ApiClient(slow_app_url, transport=DroppingTransport(cuts=[5]))
    try:
        with pytest.raises(ApiError) as caught:
            await follow(api, {"message": "no key, no retry", "agents": AGENTS})
        assert caught.value.code == "unreachable"
    finally:
        await api.aclose()


class LosingTransport(httpx.AsyncBaseTransport):
    """Real HTTP, but the answer to the first `POST /chat/wait` is lost on its way back."""

    def __init__(self) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self.waits: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        if request.method == "POST" and request.url.path == "/chat/wait":
            self.waits.append(request)
            if len(self.waits) == 1:
                await response.aread()
                raise httpx.ReadError("the answer was lost on the way back")
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


async def test_a_wait_whose_answer_was_lost_is_retried_onto_the_same_turn(
    slow_app_url: str,
) -> None:
    transport = LosingTransport()
    api = ApiClient(slow_app_url, transport=transport)
    try:
        body = {"message": "answer me twice", "agents": AGENTS}
        answer = await api.wait(body, idempotency_key="key-lost-answer", attempts=3)
        assert len(transport.waits) == 2
        assert answer["status"] == "done" and all(r["output"] for r in answer["runs"])
        assert await _turns_in(api, answer["conversation_id"]) == 1
    finally:
        await api.aclose()
