"""No password, refresh token, access token or API key in a log line, a row or an answer.

A real `chatwait` process at DEBUG in AUTH_MODE=local: register, log in (also wrongly),
refresh, replay a spent refresh token, make, use, list and delete API keys, log out.
Then its whole output and every column of every row are searched for each secret, and
every answer for the ones it should not carry (only login/refresh answers carry tokens,
only the create answer the key). The search cannot pass vacuously: the tokens and keys
were used, and the server's log holds the access lines of those requests.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.accounts._support import LOCAL, bearer, new_email, new_password
from tests.reliability._db import dump_tables
from tests.support.databases import throwaway_database
from tests.support.processes import ChildServer, chatwait_server


@dataclass
class Secrets:
    values: list[str] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)
    """Answers that must hold none of the secrets (not those that hand one out)."""


@pytest.fixture(scope="module")
def debug_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ChildServer, str]]:
    directory: Path = tmp_path_factory.mktemp("plaintext")
    with (
        throwaway_database(directory) as database,
        chatwait_server(
            directory / "server", database, LOG_LEVEL="DEBUG", REGISTRATION="open", **LOCAL
        ) as server,
    ):
        yield server, database


def _exercise(client: httpx.Client, seen: Secrets) -> None:
    email, password = new_email(), new_password()
    seen.values.append(password)
    for response in (
        client.post("/auth/register", json={"email": email, "password": password}),
        client.post("/auth/login", json={"email": email, "password": password + "x"}),
    ):
        seen.answers.append(response.text)
    pair = client.post("/auth/login", json={"email": email, "password": password}).json()
    rotated = client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]}).json()
    seen.values += [pair["access_token"], pair["refresh_token"]]
    seen.values += [rotated["access_token"], rotated["refresh_token"]]
    auth = bearer(rotated["access_token"])
    made = client.post("/me/api-keys", json={"name": "ci"}, headers=auth).json()
    seen.values.append(made["key"])
    used = [
        client.get("/me", headers=bearer(made["key"])),
        client.post("/chat/wait", json={"message": "hi"}, headers=bearer(made["key"])),
        client.get("/me/api-keys", headers=auth),
        client.get("/me", headers=bearer(made["key"] + "x")),
        client.delete(f"/me/api-keys/{made['id']}", headers=auth),
        client.post("/auth/logout", headers=auth),
        client.get("/me", headers=auth),
        client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]}),
    ]
    assert [r.status_code for r in used] == [200, 200, 200, 401, 204, 204, 401, 401]
    seen.answers += [response.text for response in used]


def test_secrets_appear_nowhere_they_should_not(debug_server: tuple[ChildServer, str]) -> None:
    server, database = debug_server
    seen = Secrets()
    with httpx.Client(base_url=server.base_url, timeout=60) as client:
        _exercise(client, seen)
    assert len(seen.values) == 6 and all(len(value) >= 12 for value in seen.values)

    for answer in seen.answers:
        assert not [v for v in seen.values if v in answer], answer[:300]
    log = server.log_text()
    assert log.count('"path": "/auth/login"') >= 2, "the access lines were captured"
    leaking = [line for line in log.splitlines() if any(v in line for v in seen.values)]
    assert not leaking, leaking[:3]
    for table, rows in dump_tables(database).items():
        for row in rows:
            text = json.dumps(row, default=str)
            assert not [v for v in seen.values if v in text], f"in {table}: {row}"
