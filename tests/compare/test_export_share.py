"""Export and share over real HTTP: round trips, the no-login view, revocation, isolation."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from tests.accounts._support import Account, local_app, signed_up
from tests.reliability._db import dump_tables

AGENTS = ["offline", "offline-2"]
MISSING = "00000000-0000-4000-8000-00000000abcd"


@dataclass
class World:
    client: httpx.Client
    database: str
    alice: Account
    bob: Account
    conversation: str


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    directory = tmp_path_factory.mktemp("share")
    with (
        local_app(directory) as (url, database),
        httpx.Client(base_url=url, timeout=60) as client,
    ):
        alice, bob = signed_up(client), signed_up(client)
        first = client.post(
            "/chat/wait", json={"message": "First question", "agents": AGENTS}, headers=alice.auth
        ).json()
        client.post(
            "/chat/wait",
            json={
                "message": "Blind one",
                "agents": AGENTS,
                "blind": True,
                "conversation_id": first["conversation_id"],
            },
            headers=alice.auth,
        )
        client.patch(
            f"/conversations/{first['conversation_id']}",
            json={"metadata": {"private": "ui state"}},
            headers=alice.auth,
        )
        yield World(client, database, alice, bob, first["conversation_id"])


def _path(world: World, suffix: str = "") -> str:
    return f"/conversations/{world.conversation}{suffix}"


def test_the_json_export_is_the_conversation_with_every_run(world: World) -> None:
    response = world.client.get(_path(world, "/export"), headers=world.alice.auth)
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    exported = response.json()
    assert exported == world.client.get(_path(world), headers=world.alice.auth).json()
    first, blind = exported["turns"]
    assert {run["agent"] for run in first["runs"]} == set(AGENTS)
    assert all(run["usage"]["output_tokens"] > 0 for run in first["runs"])
    assert blind["blind"] is True and "agent" not in blind["runs"][0]


def test_the_markdown_export_holds_each_message_answer_and_its_metadata(world: World) -> None:
    response = world.client.get(
        _path(world, "/export"), params={"format": "markdown"}, headers=world.alice.auth
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/markdown")
    text = response.text
    turns = world.client.get(_path(world), headers=world.alice.auth).json()["turns"]
    assert text.startswith("# First question")
    assert "First question" in text and "Blind one" in text
    for run in turns[0]["runs"]:
        assert run["output"] in text and f"### {run['agent']} · {run['model']}" in text
    assert "### Slot A (blind)" in text and "tokens" in text


def test_a_shared_link_reads_without_login_and_a_revoked_one_is_a_404(world: World) -> None:
    response = world.client.post(_path(world, "/share"), headers=world.alice.auth)
    assert response.status_code == 201
    url = response.json()["url"]
    token = url.rsplit("/shared/", 1)[1]
    assert len(token) >= 40
    with httpx.Client(timeout=30) as anonymous:
        shared = anonymous.get(url)
        assert shared.status_code == 200 and shared.headers["cache-control"] == "no-store"
        view = shared.json()
        owner = world.client.get(_path(world), headers=world.alice.auth).json()
        assert view["turns"] == owner["turns"] and view["metadata"] == {}
        rows = json.dumps(dump_tables(world.database)["shares"], default=str)
        assert token not in rows and hashlib.sha256(token.encode()).hexdigest() in rows
        revoked = world.client.delete(_path(world, "/share"), headers=world.alice.auth)
        assert revoked.status_code == 204
        gone = anonymous.get(url)
        assert gone.status_code == 404 and gone.json()["error"]["code"] == "not_found"


def test_a_new_link_replaces_the_old_and_can_hide_costs(world: World) -> None:
    old = world.client.post(_path(world, "/share"), headers=world.alice.auth).json()["url"]
    new = world.client.post(
        _path(world, "/share"), json={"hide_costs": True}, headers=world.alice.auth
    ).json()["url"]
    with httpx.Client(timeout=30) as anonymous:
        assert anonymous.get(old).status_code == 404
        view = anonymous.get(new).json()
        assert all(run.get("cost_usd") is None for t in view["turns"] for run in t["runs"])


@pytest.mark.parametrize("token", ["x" * 43, "short", "bad token with spaces" * 3])
def test_an_unknown_or_malformed_token_is_a_json_4xx(world: World, token: str) -> None:
    response = world.client.get(f"/shared/{token}")
    assert response.status_code in (404, 422) and "error" in response.json()


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("GET", "/export"),
        ("GET", "/export?format=markdown"),
        ("POST", "/share"),
        ("DELETE", "/share"),
    ],
)
def test_someone_elses_conversation_is_a_404_like_a_missing_one(
    world: World, method: str, suffix: str
) -> None:
    foreign = world.client.request(method, _path(world, suffix), headers=world.bob.auth)
    missing = world.client.request(
        method, f"/conversations/{MISSING}{suffix}", headers=world.bob.auth
    )
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == {
        "error": {**missing.json()["error"], "message": foreign.json()["error"]["message"]}
    }
    assert MISSING in missing.json()["error"]["message"]


def test_a_bad_export_format_is_a_422(world: World) -> None:
    response = world.client.get(
        _path(world, "/export"), params={"format": "pdf"}, headers=world.alice.auth
    )
    assert response.status_code == 422 and "error" in response.json()
