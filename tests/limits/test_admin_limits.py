"""Admins override one user's limits (`PATCH /admin/users/{id}`) and see everyone's usage."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.accounts._support import Account, admin_of, local_app, signed_up
from tests.limits._support import QUICK


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[httpx.Client, Account]]:
    directory: Path = tmp_path_factory.mktemp("admin-limits")
    with local_app(directory) as (url, database_url), httpx.Client(base_url=url, timeout=30) as c:
        yield c, admin_of(c, database_url)


def test_an_override_limits_that_user_only(server: tuple[httpx.Client, Account]) -> None:
    client, admin = server
    limited, other = signed_up(client), signed_up(client)
    patched = client.patch(
        f"/admin/users/{limited.id}",
        json={"limits": {"turns_per_minute": 1, "tokens_per_day": "unlimited"}},
        headers=admin.auth,
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["limits"] == {"turns_per_minute": 1, "tokens_per_day": "unlimited"}
    assert patched.json()["email"] == limited.email
    assert client.post("/chat/wait", json=QUICK, headers=limited.auth).status_code == 200
    refused = client.post("/chat/wait", json=QUICK, headers=limited.auth)
    assert refused.status_code == 429 and refused.json()["error"]["code"] == "rate_limited"
    assert refused.headers["RateLimit-Policy"] == '"turns";q=1;w=60'
    for _ in range(2):
        assert client.post("/chat/wait", json=QUICK, headers=other.auth).status_code == 200

    mine = client.get("/me/usage", headers=limited.auth).json()
    assert mine["limits"]["turns_per_minute"]["limit"] == 1
    assert mine["limits"]["turns_per_minute"]["used"] == 1
    assert mine["limits"]["tokens_per_day"]["limit"] is None
    theirs = client.get("/me/usage", headers=other.auth).json()
    assert theirs["limits"]["turns_per_minute"] == {
        "limit": None,
        "used": 2,
        "reserved": 0,
        "remaining": None,
        "resets_at": theirs["limits"]["turns_per_minute"]["resets_at"],
    }

    everyone = client.get("/admin/usage", headers=admin.auth)
    assert everyone.status_code == 200
    by_id = {entry["user_id"]: entry for entry in everyone.json()["users"]}
    assert by_id[limited.id]["overrides"] == patched.json()["limits"]
    assert by_id[limited.id]["email"] == limited.email
    assert by_id[limited.id]["today"]["tokens"] == mine["today"]["tokens"] > 0
    assert by_id[other.id]["overrides"] == {}

    back = {"limits": {"turns_per_minute": None}}
    restored = client.patch(f"/admin/users/{limited.id}", json=back, headers=admin.auth)
    assert restored.json()["limits"] == {"tokens_per_day": "unlimited"}

    audit = client.get("/admin/audit", headers=admin.auth).json()["entries"]
    changes = [e for e in audit if e["action"] == "user.limits"]
    assert [(e["target"], e["before"], e["after"]) for e in changes[:2]] == [
        (
            f"user:{limited.id}",
            {"limits": patched.json()["limits"]},
            {"limits": restored.json()["limits"]},
        ),
        (f"user:{limited.id}", {"limits": {}}, {"limits": patched.json()["limits"]}),
    ]
    assert changes[0]["actor_id"] == admin.id


def test_only_admins_see_usage_or_set_limits(server: tuple[httpx.Client, Account]) -> None:
    client, _ = server
    user = signed_up(client)
    assert client.get("/admin/usage", headers=user.auth).status_code == 403
    patch = client.patch(
        f"/admin/users/{user.id}", json={"limits": {"concurrent_turns": 99}}, headers=user.auth
    )
    assert patch.status_code == 403
    assert client.get("/me/usage").status_code == 401


@pytest.mark.parametrize(
    "limits",
    [
        {"turns_per_minute": -1},
        {"concurrent_turns": 1.5},
        {"tokens_per_day": "lots"},
        {"cost_usd_per_month": -0.5},
        {"requests_per_hour": 3},
    ],
)
def test_a_bad_override_is_a_422_and_changes_nothing(
    server: tuple[httpx.Client, Account], limits: dict[str, object]
) -> None:
    client, admin = server
    user = signed_up(client)
    response = client.patch(f"/admin/users/{user.id}", json={"limits": limits}, headers=admin.auth)
    assert response.status_code == 422, response.text
    entry = next(
        e
        for e in client.get("/admin/usage", headers=admin.auth).json()["users"]
        if e["user_id"] == user.id
    )
    assert entry["overrides"] == {}


def test_overriding_a_missing_user_is_a_404(server: tuple[httpx.Client, Account]) -> None:
    client, admin = server
    missing = "00000000-0000-4000-8000-000000000000"
    response = client.patch(
        f"/admin/users/{missing}", json={"limits": {"turns_per_minute": 5}}, headers=admin.auth
    )
    assert response.status_code == 404


def test_refused_turns_are_counted_by_limit_in_the_metrics(
    server: tuple[httpx.Client, Account],
) -> None:
    client, admin = server
    user = signed_up(client)
    zero = {"limits": {"concurrent_turns": 0}}
    assert client.patch(f"/admin/users/{user.id}", json=zero, headers=admin.auth).is_success

    def refused() -> float:
        text = client.get("/metrics", headers=admin.auth).text
        for line in text.splitlines():
            if line.startswith('chatwait_refused_requests_total{limit="concurrent_turns"}'):
                return float(line.split()[-1])
        return 0.0

    before = refused()
    assert client.post("/chat/wait", json=QUICK, headers=user.auth).status_code == 429
    assert refused() == before + 1


def test_an_audit_cursor_beyond_any_row_id_is_a_422(server: tuple[httpx.Client, Account]) -> None:
    """Found by schemathesis: a `before` past the id column's integers could not be bound
    (SQLite past 64 bits, Postgres past int4): a 500."""
    client, admin = server
    largest = client.get("/admin/audit", params={"before": 2**31 - 1}, headers=admin.auth)
    assert largest.status_code == 200, largest.text
    for past in (2**31, 2**65 - 1):
        refused = client.get("/admin/audit", params={"before": past}, headers=admin.auth)
        assert refused.status_code == 422, refused.text
        assert refused.json()["error"]["code"] == "validation_error"
