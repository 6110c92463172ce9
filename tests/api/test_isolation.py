"""Per-user isolation over every route: someone else's object answers 404 like a missing one.

Two accounts on one AUTH_MODE=local server. Alice owns a finished turn and a live one (a
hung agent); Bob, with his own valid token, tries every route on them. Each answer must
be byte-for-byte the answer for an id that does not exist, and nothing of Alice's may
change. CI runs this module again with the Redis event log (`CHATWAIT_TEST_REDIS_URL`):
LibreChat's CVE-2026-31950 was exactly a resumable stream without an owner check.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.accounts._support import Account, local_app, signed_up
from tests.support.sse import read_stream

MISSING = "00000000-0000-4000-8000-00000000abcd"
BODY = {"message": "mine alone", "agents": ["offline"]}
HANG = {"message": "still going", "agents": ["offline"], "models": {"offline": "fault-hang"}}


@dataclass
class World:
    client: httpx.Client
    alice: Account
    bob: Account
    conversation: str
    turn: str
    live_turn: str


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    directory = tmp_path_factory.mktemp("isolation")
    with (
        local_app(directory, PROVIDER_TIMEOUT_SECONDS=120) as (url, _),
        httpx.Client(base_url=url, timeout=60) as client,
    ):
        alice, bob = signed_up(client), signed_up(client)
        done = client.post("/chat/wait", json=BODY, headers=alice.auth).json()
        live = read_stream(
            client, "POST", "/chat/streaming", json_body=HANG, headers=alice.auth, limit=2
        )
        yield World(
            client, alice, bob, done["conversation_id"], done["turn_id"], live[0].data["turn_id"]
        )
        client.post(f"/chat/turns/{live[0].data['turn_id']}/cancel", headers=alice.auth)


ROUTES: list[tuple[str, str, dict[str, Any]]] = [
    ("GET", "/conversations/{conversation}", {}),
    ("PATCH", "/conversations/{conversation}", {"json": {"title": "taken"}}),
    ("DELETE", "/conversations/{conversation}", {}),
    ("GET", "/chat/turns/{turn}", {}),
    ("GET", "/chat/turns/{live_turn}", {}),
    ("POST", "/chat/turns/{live_turn}/cancel", {}),
    ("POST", "/chat/turns/{turn}/cancel", {}),
    ("GET", "/chat/streaming/{turn}", {}),
    ("GET", "/chat/streaming/{turn}", {"headers": {"Last-Event-ID": "2"}}),
    ("GET", "/chat/streaming/{live_turn}", {}),
    ("GET", "/chat/streaming/{live_turn}", {"headers": {"Last-Event-ID": "1"}}),
    ("GET", "/chat/streaming/{live_turn}?after=1", {}),
    ("POST", "/chat/turns/{turn}/vote", {"json": {"winner": "tie"}}),
    ("POST", "/chat/turns/{live_turn}/vote", {"json": {"winner": "tie"}}),
    ("POST", "/chat/turns/{turn}/reveal", {}),
    ("POST", "/chat/turns/{turn}/runs/{turn}/retry", {}),
    ("GET", "/conversations/{conversation}/export", {}),
    ("GET", "/conversations/{conversation}/export?format=markdown", {}),
    ("POST", "/conversations/{conversation}/share", {}),
    ("DELETE", "/conversations/{conversation}/share", {}),
]


@pytest.mark.parametrize(("method", "template", "extra"), ROUTES)
def test_someone_elses_object_is_a_404_like_a_missing_one(
    world: World, method: str, template: str, extra: dict[str, Any]
) -> None:
    ids = {"conversation": world.conversation, "turn": world.turn, "live_turn": world.live_turn}
    path = template.format(**ids)
    unknown = template.format(**dict.fromkeys(ids, MISSING))
    headers = {**world.bob.auth, **extra.get("headers", {})}
    kwargs = {k: v for k, v in extra.items() if k != "headers"}
    theirs = world.client.request(method, path, headers=headers, **kwargs)
    missing = world.client.request(method, unknown, headers=headers, **kwargs)
    assert theirs.status_code == missing.status_code == 404, theirs.text
    error = theirs.json()["error"]
    for real in ids.values():
        error["message"] = error["message"].replace(real, MISSING)
    assert error == missing.json()["error"], "the same answer as for an id that does not exist"


@pytest.mark.parametrize("path", ["/chat/wait", "/chat/streaming"])
def test_continuing_someone_elses_conversation_is_a_404(world: World, path: str) -> None:
    body = {**BODY, "conversation_id": world.conversation}
    response = world.client.post(path, json=body, headers=world.bob.auth)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_lists_show_only_ones_own_conversations(world: World) -> None:
    alices = world.client.get("/conversations", headers=world.alice.auth).json()
    bobs = world.client.get("/conversations", headers=world.bob.auth).json()
    assert world.conversation in {c["id"] for c in alices["items"]}
    assert world.conversation not in {c["id"] for c in bobs["items"]}


def test_an_idempotency_key_is_its_users_own(world: World) -> None:
    """Bob sending Alice's key starts his own turn; it never attaches to hers."""
    key = f"shared-{uuid.uuid4()}"
    hers = world.client.post(
        "/chat/wait", json=BODY, headers={**world.alice.auth, "Idempotency-Key": key}
    ).json()
    his = world.client.post(
        "/chat/wait", json=BODY, headers={**world.bob.auth, "Idempotency-Key": key}
    ).json()
    assert his["turn_id"] != hers["turn_id"]
    assert his["conversation_id"] != hers["conversation_id"]
    other_body = {**BODY, "message": "no conflict across users"}
    third = world.client.post(
        "/chat/wait", json=other_body, headers={**world.bob.auth, "Idempotency-Key": f"{key}-b"}
    )
    assert third.status_code == 200


def test_nothing_of_the_owners_changed(world: World) -> None:
    """Run last in this module: every attempt above left Alice's objects as they were."""
    conversation = world.client.get(
        f"/conversations/{world.conversation}", headers=world.alice.auth
    )
    assert conversation.status_code == 200
    assert conversation.json()["title"] != "taken"
    live = world.client.get(f"/chat/turns/{world.live_turn}", headers=world.alice.auth).json()
    assert live["status"] == "running", "Bob's cancel did not reach Alice's turn"
    stream = read_stream(
        world.client, "GET", f"/chat/streaming/{world.turn}", headers=world.alice.auth
    )
    assert stream[-1].type == "turn_done"
