"""Users' own provider keys over real HTTP, with a real `chatwait` process at DEBUG.

The `openai` agent points at the offline provider run as a separate process and has no
server key, so it is usable only with a user's key. The offline provider keeps the
SHA-256 of every `Authorization` header it receives (`GET /v1/debug/authorizations`):
that is how these tests see which key a run actually sent. Then the server's whole log,
every row of every table and every answer are searched for the keys.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from chatwait.sim import REFUSED_KEY_PREFIX, authorization_digest
from tests.accounts._support import LOCAL, SECRET_KEY, Account, cli, login, signed_up
from tests.reliability._db import dump_tables, query
from tests.support.databases import throwaway_database
from tests.support.processes import ChildServer, chatwait_server, sim_server

NEW_SECRET = "rotated-secret-" + secrets.token_urlsafe(32)


@dataclass
class Setup:
    server: ChildServer
    sim: ChildServer
    database: str
    workdir: Path
    env: dict[str, Any]
    answers: list[str] = field(default_factory=list)


def _env(sim: ChildServer) -> dict[str, Any]:
    return {
        **LOCAL,
        "LOG_LEVEL": "DEBUG",
        "REGISTRATION": "open",
        "OPENAI_BASE_URL": f"{sim.base_url}/v1",
        "OPENAI_MODELS": '["offline-1", "offline-2"]',
        "OPENAI_DEFAULT_MODEL": "offline-1",
        "AUTH_CACHE_SECONDS": "0",
    }


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    directory: Path = tmp_path_factory.mktemp("byok")
    with (
        throwaway_database(directory) as database,
        sim_server(directory / "sim") as sim,
    ):
        env = _env(sim)
        with chatwait_server(directory / "server", database, **env) as server:
            yield Setup(server, sim, database, directory, env)


def _user_key() -> str:
    return "sk-user-" + secrets.token_urlsafe(24)


def _seen_by_provider(sim: ChildServer) -> list[str]:
    return list(httpx.get(f"{sim.base_url}/v1/debug/authorizations").json()["sha256"])


def _agents(client: httpx.Client, account: Account) -> dict[str, dict[str, Any]]:
    body = client.get("/models", headers=account.auth).json()
    return {agent["name"]: agent for agent in body["agents"]} | {"_defaults": body}


def _wait(client: httpx.Client, account: Account, agent: str) -> httpx.Response:
    return client.post(
        "/chat/wait", json={"message": "hello", "agents": [agent]}, headers=account.auth
    )


def test_a_users_key_is_theirs_alone_and_stored_sealed(setup: Setup) -> None:
    key, refused = _user_key(), REFUSED_KEY_PREFIX + secrets.token_urlsafe(16)
    with httpx.Client(base_url=setup.server.base_url, timeout=60) as client:
        alice, bob = signed_up(client), signed_up(client)
        assert _agents(client, alice)["openai"]["available"] is False
        assert _wait(client, alice, "openai").json()["error"]["code"] == "agent_unavailable"

        put = client.put(
            "/me/provider-keys/openai",
            json={"api_key": refused, "validate": True},
            headers=alice.auth,
        )
        assert put.status_code == 422 and put.json()["error"]["code"] == "invalid_provider_key"
        offline = client.put("/me/provider-keys/offline", json={"api_key": key}, headers=alice.auth)
        assert offline.status_code == 422, offline.text
        unknown = client.put("/me/provider-keys/nobody", json={"api_key": key}, headers=alice.auth)
        assert unknown.status_code == 404
        assert client.get("/me/provider-keys", headers=alice.auth).json() == []

        saved = client.put(
            "/me/provider-keys/openai", json={"api_key": key, "validate": True}, headers=alice.auth
        )
        assert saved.status_code == 204, saved.text
        listed = client.get("/me/provider-keys", headers=alice.auth)
        assert [(k["agent"], k["last4"], k["last_used_at"]) for k in listed.json()] == [
            ("openai", key[-4:], None)
        ]

        mine, theirs = _agents(client, alice), _agents(client, bob)
        assert mine["openai"]["available"] is True and mine["openai"]["user_key"] is True
        assert "openai" in mine["_defaults"]["default_agents"]
        assert theirs["openai"]["available"] is False and theirs["openai"]["user_key"] is False
        assert "openai" not in theirs["_defaults"]["default_agents"]

        before = len(_seen_by_provider(setup.sim))
        ran = _wait(client, alice, "openai")
        assert ran.status_code == 200, ran.text
        run = ran.json()["runs"][0]
        assert (run["agent"], run["status"]) == ("openai", "done"), run
        sent = _seen_by_provider(setup.sim)[before:]
        assert authorization_digest(f"Bearer {key}") in sent

        refused_for_bob = _wait(client, bob, "openai")
        assert refused_for_bob.status_code == 422
        assert refused_for_bob.json()["error"]["code"] == "agent_unavailable"
        assert client.get("/me/provider-keys", headers=bob.auth).json() == []
        not_bobs = client.delete("/me/provider-keys/openai", headers=bob.auth)
        assert not_bobs.status_code == 404

        used = client.get("/me/provider-keys", headers=alice.auth).json()
        assert used[0]["last_used_at"] is not None
        setup.answers += [r.text for r in (put, saved, listed, ran, refused_for_bob)]
        setup.answers.append(json.dumps(used))

    rows = query(setup.database, "SELECT * FROM provider_keys")
    assert len(rows) == 1 and rows[0]["key_version"] == 1
    _assert_nowhere(setup, [key, refused])


def test_deleting_a_key_takes_the_agent_away(setup: Setup) -> None:
    key = _user_key()
    with httpx.Client(base_url=setup.server.base_url, timeout=60) as client:
        carol = signed_up(client)
        assert (
            client.put(
                "/me/provider-keys/openai", json={"api_key": key}, headers=carol.auth
            ).status_code
            == 204
        )
        assert _wait(client, carol, "openai").json()["runs"][0]["status"] == "done"
        assert client.delete("/me/provider-keys/openai", headers=carol.auth).status_code == 204
        assert client.delete("/me/provider-keys/openai", headers=carol.auth).status_code == 404
        assert _agents(client, carol)["openai"]["available"] is False
        assert _wait(client, carol, "openai").status_code == 422
    _assert_nowhere(setup, [key])


def test_rotation_re_seals_every_key_under_the_new_secret(setup: Setup) -> None:
    key = _user_key()
    with httpx.Client(base_url=setup.server.base_url, timeout=60) as client:
        dave = signed_up(client)
        put = client.put("/me/provider-keys/openai", json={"api_key": key}, headers=dave.auth)
        assert put.status_code == 204
    sealed = {r["user_id"]: r for r in query(setup.database, "SELECT * FROM provider_keys")}

    wrong = cli(
        "keys",
        "rotate",
        "--old-secret-stdin",
        database_url=setup.database,
        stdin="not-the-old-secret\n",
        CHATWAIT_SECRET_KEY=NEW_SECRET,
    )
    assert wrong.returncode != 0 and "nothing rotated" in wrong.stderr
    assert query(setup.database, "SELECT * FROM provider_keys")[0]["key_version"] == 1

    rotated = cli(
        "keys",
        "rotate",
        "--old-secret-stdin",
        database_url=setup.database,
        stdin=SECRET_KEY + "\n",
        CHATWAIT_SECRET_KEY=NEW_SECRET,
    )
    assert rotated.returncode == 0, rotated.stderr
    after = {r["user_id"]: r for r in query(setup.database, "SELECT * FROM provider_keys")}
    assert set(after) == set(sealed)
    for user_id, row in after.items():
        assert row["key_version"] == sealed[user_id]["key_version"] + 1
        assert bytes(row["ciphertext"]) != bytes(sealed[user_id]["ciphertext"])

    env = {**setup.env, "CHATWAIT_SECRET_KEY": NEW_SECRET}
    with (
        chatwait_server(setup.workdir / "rotated", setup.database, **env) as server,
        httpx.Client(base_url=server.base_url, timeout=60) as client,
    ):
        assert login(client, dave).status_code == 200
        before = len(_seen_by_provider(setup.sim))
        ran = _wait(client, dave, "openai")
        assert ran.status_code == 200 and ran.json()["runs"][0]["status"] == "done", ran.text
        assert authorization_digest(f"Bearer {key}") in _seen_by_provider(setup.sim)[before:]
        assert key not in server.log_text()
    _assert_nowhere(setup, [key])


def _assert_nowhere(setup: Setup, keys: list[str]) -> None:
    """No key in any answer, log line or row (the searches cannot pass vacuously)."""
    for answer in setup.answers:
        assert not [k for k in keys if k in answer], answer[:300]
    log = setup.server.log_text()
    assert '"path": "/me/provider-keys/openai"' in log, "the access lines were captured"
    assert not [line for line in log.splitlines() if any(k in line for k in keys)]
    for table, rows in dump_tables(setup.database).items():
        for row in rows:
            text = json.dumps(row, default=lambda v: v.hex() if isinstance(v, bytes) else str(v))
            assert not [k for k in keys if k in text], f"in {table}: {row}"
            raw = json.dumps(row, default=str)
            assert not [k for k in keys if k in raw], f"in {table}: {row}"
