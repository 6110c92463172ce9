"""Chainlit's data layer over the real backend API: threads are conversations."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from chainlit.types import Pagination, ThreadFilter
from chainlit.user import User

from chatwait_ui.api import ApiClient
from chatwait_ui.bindings import ThreadBindings
from chatwait_ui.data_layer import LOCAL_USER, ApiDataLayer

AGENTS = ["offline", "offline-2"]


@pytest.fixture
async def layer(app_url: str) -> AsyncIterator[ApiDataLayer]:
    data_layer = ApiDataLayer(ApiClient(app_url), thread_bindings=ThreadBindings())
    yield data_layer
    await data_layer.close()


@pytest.fixture
async def http(app_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """The test's own view of the backend, independent of the layer under test."""
    async with httpx.AsyncClient(base_url=app_url, timeout=60) as client:
        yield client


async def start_conversation(http: httpx.AsyncClient, message: str, **extra: Any) -> dict[str, Any]:
    body = {"message": message, "agents": AGENTS, **extra}
    response = await http.post("/chat/wait", json=body)
    response.raise_for_status()
    return response.json()


async def test_the_local_user_exists_and_nobody_else(layer: ApiDataLayer) -> None:
    user = await layer.create_user(User(identifier=LOCAL_USER))
    assert user is not None and user.identifier == user.id == LOCAL_USER
    assert await layer.get_user("someone-else") is None


async def test_get_thread_rebuilds_every_turn_with_its_panes(
    layer: ApiDataLayer, http: httpx.AsyncClient
) -> None:
    first = await start_conversation(http, "Tell me about panes")
    second = await start_conversation(
        http,
        "And one failing",
        conversation_id=first["conversation_id"],
        models={"offline-2": "fault-401"},
    )
    thread = await layer.get_thread(first["conversation_id"])
    assert thread is not None
    assert thread["userIdentifier"] == LOCAL_USER
    assert await layer.get_thread_author(first["conversation_id"]) == LOCAL_USER
    steps = thread["steps"]
    assert [(s["type"], s["output"]) for s in steps[::2]] == [
        ("user_message", "Tell me about panes"),
        ("user_message", "And one failing"),
    ]
    assert {s["type"] for s in steps[1::2]} == {"assistant_message"}
    elements = thread["elements"] or []
    assert [e["forId"] for e in elements] == [s["id"] for s in steps[1::2]]
    for turn, element in zip((first, second), elements, strict=True):
        panes = element["props"]["panes"]
        assert [p["key"] for p in panes] == [r["run_id"] for r in turn["runs"]]
        assert [p["text"] for p in panes] == [r["output"] for r in turn["runs"]]
        assert all(p["footer"] for p in panes)
    failed = elements[1]["props"]["panes"][1]
    assert failed["status"] == "error" and failed["error"]["code"]


async def test_unknown_threads_are_not_found(layer: ApiDataLayer) -> None:
    missing = str(uuid.uuid4())
    assert await layer.get_thread(missing) is None
    assert await layer.get_thread_author(missing) == ""
    assert await layer.get_thread("not-a-uuid") is None


async def test_threads_are_listed_newest_first_page_by_page(
    layer: ApiDataLayer, http: httpx.AsyncClient
) -> None:
    for n in range(3):
        await start_conversation(http, f"Paging probe {n}")
    total = (await http.get("/conversations", params={"limit": 1})).json()["total"]
    only_mine = ThreadFilter(userId=LOCAL_USER)
    page1 = await layer.list_threads(Pagination(first=2), only_mine)
    assert len(page1.data) == 2 and page1.pageInfo.hasNextPage
    assert page1.data[0]["name"].startswith("Paging probe 2")
    page2 = await layer.list_threads(
        Pagination(first=100, cursor=page1.pageInfo.endCursor), only_mine
    )
    ids = [t["id"] for t in page1.data + page2.data]
    assert len(ids) == len(set(ids)) == total
    assert not page2.pageInfo.hasNextPage
    others = await layer.list_threads(Pagination(first=5), ThreadFilter(userId="stranger"))
    assert others.data == []


async def test_search_matches_titles(layer: ApiDataLayer, http: httpx.AsyncClient) -> None:
    await start_conversation(http, "Zebra crossings and other stripes")
    found = await layer.list_threads(Pagination(first=10), ThreadFilter(search="zebra"))
    assert [t["name"] for t in found.data] and all("Zebra" in t["name"] for t in found.data)


async def test_rename_keeps_ui_metadata_and_ignores_chainlit_session_dumps(
    layer: ApiDataLayer, http: httpx.AsyncClient
) -> None:
    conversation_id = (await start_conversation(http, "Rename me"))["conversation_id"]
    ui = {"mode": "wait", "agents": ["offline"], "models": {"offline": "offline-2"}}
    await http.patch(f"/conversations/{conversation_id}", json={"metadata": {"ui": ui}})
    await layer.update_thread(conversation_id, name="Renamed in the sidebar")
    session_dump = {"ui": {"mode": "stale"}, "env": {}, "chat_settings": {}, "is_shared": False}
    await layer.update_thread(conversation_id, metadata=session_dump)
    stored = (await http.get(f"/conversations/{conversation_id}")).json()
    assert stored["title"] == "Renamed in the sidebar"
    assert stored["metadata"] == {"ui": ui, "is_shared": False}


async def test_delete_removes_the_conversation(
    layer: ApiDataLayer, http: httpx.AsyncClient
) -> None:
    conversation_id = (await start_conversation(http, "Delete me"))["conversation_id"]
    await layer.delete_thread(conversation_id)
    assert (await http.get(f"/conversations/{conversation_id}")).status_code == 404
    assert await layer.get_thread(conversation_id) is None


async def test_a_new_thread_is_held_until_the_backend_names_its_conversation(
    layer: ApiDataLayer,
) -> None:
    """Chainlit announces a new thread right after update_thread returns (bindings.py)."""
    placeholder = str(uuid.uuid4())
    layer.bindings.expect(placeholder)
    announce = asyncio.create_task(layer.update_thread(placeholder, name="first message"))
    await asyncio.sleep(0)
    assert not announce.done()
    layer.bindings.resolve(placeholder, "the-conversation-id")
    await asyncio.wait_for(announce, 5)
    # a session dump for a placeholder never bound does not wait
    other = str(uuid.uuid4())
    layer.bindings.expect(other)
    await asyncio.wait_for(layer.update_thread(other, metadata={"env": {}}), 5)
