"""A turn's provider requests go out before its rows are written.

The turn's write (a transaction, and the ORM's CPU work on the same event loop) used to
run while the runs were still being set up, so it landed on the time to first token.
Now the write waits until every run's first request has gone out; a follow-up turn reads
its history first, in a session of its own. Checked here by the order in which the
provider's HTTP client sends and the database sees `INSERT INTO turns`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from chatwait.providers import _attempts
from chatwait.runtime import Runtime
from chatwait.sim import SimConfig, create_sim_app
from chatwait.store import repo
from chatwait.turns import TurnRequest
from tests.support import app as test_app
from tests.support.servers import free_port, serve_in_thread

AGENTS = ["offline", "offline-2"]


@pytest.fixture(scope="module")
def sim_url() -> Iterator[str]:
    app = create_sim_app(SimConfig(ttft_ms=5, tokens_per_second=2000, answer_tokens=8))
    with serve_in_thread(app) as url:
        yield url


@pytest.fixture
async def runtime(tmp_path: Path, sim_url: str) -> AsyncIterator[Runtime]:
    settings = test_app.test_settings(
        tmp_path,
        f"sqlite+aiosqlite:///{tmp_path / 'chatwait.db'}",
        free_port(),
        OFFLINE_BASE_URL=f"{sim_url}/v1",
    )
    runtime = await Runtime.start(settings)
    try:
        yield runtime
    finally:
        await runtime.stop()


def _record_order(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """'request' as the provider client sends, 'insert turn' as the database is asked to.

    Both Chat Completions models (`PROVIDER_CLIENT=sdk|fast`) count each request they send
    through `_attempts.count_attempt`, right before sending it.
    """
    order: list[str] = []
    count_attempt = _attempts.count_attempt

    def sent() -> None:
        order.append("request")
        count_attempt()

    def executing(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO TURNS"):
            order.append("insert turn")

    monkeypatch.setattr(_attempts, "count_attempt", sent)
    event.listen(runtime.db.engine.sync_engine, "before_cursor_execute", executing)
    return order


async def _turn(runtime: Runtime, conversation_id: str | None) -> str:
    async with runtime.db.session() as session:
        user_id = await repo.ensure_user(session=session)
    started = await runtime.turns.start(
        TurnRequest(message="hello", conversation_id=conversation_id, agents=AGENTS),
        user_id=user_id,
    )
    await runtime.turns.wait(started)
    assert started.live is not None
    return started.live.conversation_id


async def test_requests_go_out_before_the_turn_is_written(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    order = _record_order(runtime, monkeypatch)
    conversation_id = await _turn(runtime, None)
    assert order == ["request", "request", "insert turn"]

    order.clear()
    await _turn(runtime, conversation_id)  # a follow-up: history first, then the same order
    assert order == ["request", "request", "insert turn"]
