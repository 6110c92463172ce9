"""Admin toggles set on replica A apply on replica B, which is never restarted.

Two replica processes (AUTH_MODE=local) share a fresh Postgres database and a Redis
prefix. B reads the toggles table at most once per AGENT_SETTINGS_CACHE_SECONDS (its
default, 1 s): the tests wait for B's own answers to change, up to a bound well past that.
Every change is also in the audit log, readable from either replica, and non-admins get
403 from every admin route.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.accounts._support import LOCAL, Account, admin_of, signed_up
from tests.scaleout._replicas import Cluster, cluster
from tests.support.eventually import eventually

pytestmark = [pytest.mark.redis, pytest.mark.postgres]

SPREAD_SECONDS = 15.0
"""How long B may take to apply a toggle (its cache lasts 1 s; start-up load is slow)."""


@pytest.fixture(scope="module")
def pair(
    tmp_path_factory: pytest.TempPathFactory, redis_url: str, postgres_admin_url: str
) -> Iterator[Cluster]:
    with cluster(
        tmp_path_factory.mktemp("toggles"),
        redis_url=redis_url,
        postgres_admin_url=postgres_admin_url,
        REGISTRATION="open",
        LOGIN_MAX_ATTEMPTS="1000",
        **LOCAL,
    ) as group:
        group.start("a", "b")
        yield group


def _until(check: Callable[[], bool]) -> None:
    """Until `check()` holds (B's own answer changed), or fail after `SPREAD_SECONDS`."""
    eventually(check, timeout=SPREAD_SECONDS, message="replica B never applied the toggle")


def _agents(client: httpx.Client, account: Account) -> dict[str, Any]:
    body = client.get("/models", headers=account.auth).json()
    return {a["name"]: a for a in body["agents"]} | {"_defaults": body["default_agents"]}


def _wait(client: httpx.Client, account: Account, **body: Any) -> httpx.Response:
    return client.post("/chat/wait", json={"message": "hi", **body}, headers=account.auth)


def test_a_toggle_on_one_replica_applies_on_the_other(pair: Cluster) -> None:
    with (
        httpx.Client(base_url=pair["a"].base_url, timeout=60) as a,
        httpx.Client(base_url=pair["b"].base_url, timeout=60) as b,
    ):
        admin = admin_of(a, pair.env["DATABASE_URL"])
        user = signed_up(b)
        assert _agents(b, user)["offline-2"]["available"] is True

        off = a.patch("/admin/agents/offline-2", json={"enabled": False}, headers=admin.auth)
        assert off.status_code == 200 and off.json()["enabled"] is False, off.text
        _until(lambda: _agents(b, user)["offline-2"]["available"] is False)
        listed = _agents(b, user)
        assert listed["offline-2"]["reason"] == "disabled by an admin"
        assert "offline-2" not in listed["_defaults"]
        refused = _wait(b, user, agents=["offline", "offline-2"])
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "agent_disabled"

        only = a.patch("/admin/agents/offline", json={"models": ["offline-1"]}, headers=admin.auth)
        assert only.json()["allowed_models"] == ["offline-1"], only.text
        _until(lambda: _agents(b, user)["offline"]["models"] == ["offline-1"])
        disallowed = _wait(b, user, agents=["offline"], models={"offline": "offline-2"})
        assert disallowed.status_code == 403
        assert disallowed.json()["error"]["code"] == "model_disabled"
        allowed = _wait(b, user, agents=["offline"], models={"offline": "offline-1"})
        assert allowed.status_code == 200 and allowed.json()["runs"][0]["status"] == "done"

        on = a.patch(
            "/admin/agents/offline-2", json={"enabled": True, "models": None}, headers=admin.auth
        )
        assert on.status_code == 200 and on.json()["enabled"] is True
        _until(lambda: _wait(b, user, agents=["offline-2"]).status_code == 200)


def test_bad_toggles_are_refused(pair: Cluster) -> None:
    with httpx.Client(base_url=pair["a"].base_url, timeout=60) as a:
        admin = admin_of(a, pair.env["DATABASE_URL"])
        cases = [
            ("/admin/agents/nobody", {"enabled": False}, 404),
            ("/admin/agents/offline", {"models": ["gpt-9"]}, 422),
            ("/admin/agents/offline", {"models": []}, 422),
            ("/admin/agents/offline", {"enabled": "maybe"}, 422),
            ("/admin/agents/offline", {"colour": "red"}, 422),
        ]
        for path, body, status in cases:
            response = a.patch(path, json=body, headers=admin.auth)
            assert response.status_code == status, (body, response.text)
            assert "error" in response.json()


def test_non_admins_get_403_and_every_change_is_audited(pair: Cluster) -> None:
    with (
        httpx.Client(base_url=pair["a"].base_url, timeout=60) as a,
        httpx.Client(base_url=pair["b"].base_url, timeout=60) as b,
    ):
        admin = admin_of(a, pair.env["DATABASE_URL"])
        user = signed_up(a)
        for method, path, body in [
            ("GET", "/admin/agents", None),
            ("PATCH", "/admin/agents/offline", {"enabled": False}),
            ("GET", "/admin/audit", None),
        ]:
            response = b.request(method, path, json=body, headers=user.auth)
            assert response.status_code == 403, (path, response.text)
        assert _agents(b, user)["offline"]["available"] is True

        a.patch("/admin/agents/offline-2", json={"models": ["offline-2"]}, headers=admin.auth)
        demoted = a.patch(f"/admin/users/{user.id}", json={"role": "admin"}, headers=admin.auth)
        assert demoted.status_code == 200
        limited = a.patch(
            f"/admin/users/{user.id}", json={"limits": {"tokens_per_day": 5000}}, headers=admin.auth
        )
        assert limited.status_code == 200, limited.text
        page = b.get("/admin/audit", params={"limit": 3}, headers=admin.auth).json()
        limits_change, newest, agent_change = page["entries"]
        assert limits_change["action"] == "user.limits"
        assert limits_change["before"] == {"limits": {}}
        assert limits_change["after"] == {"limits": {"tokens_per_day": 5000}}
        assert (newest["action"], newest["target"]) == ("user.update", f"user:{user.id}")
        assert newest["before"] == {"role": "user", "disabled": False}
        assert newest["after"] == {"role": "admin", "disabled": False}
        assert (newest["actor_id"], newest["actor_email"]) == (admin.id, admin.email)
        assert agent_change["action"] == "agent.update"
        assert agent_change["target"] == "agent:offline-2"
        assert agent_change["after"]["models"] == ["offline-2"]
        assert agent_change["at"] <= newest["at"]
        older = b.get(
            "/admin/audit", params={"before": page["next_before"]}, headers=admin.auth
        ).json()
        assert all(entry["id"] < agent_change["id"] for entry in older["entries"])

        listed = b.get("/admin/agents", headers=admin.auth).json()["agents"]
        offline_2 = next(agent for agent in listed if agent["name"] == "offline-2")
        assert offline_2["allowed_models"] == ["offline-2"]
        assert offline_2["updated_by"] == admin.id
