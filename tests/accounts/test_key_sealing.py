"""Provider keys below HTTP: the seal binds user, agent and version; the key reaches the
request a run would send, whichever client streams it.
"""

from __future__ import annotations

import secrets

import pytest

from chatwait.accounts._key_cipher import KeyCipher, UndecryptableKey, derive_key
from chatwait.accounts.provider_keys import ProviderKeys, rotate_keys
from chatwait.config import SAMPLE_SECRET_KEY
from chatwait.errors import Conflict
from chatwait.providers import Provider
from chatwait.providers.fast import FastChatModel
from chatwait.store import Database, repo
from chatwait.store.models import ProviderKey

SECRET = "unit-secret-" + secrets.token_urlsafe(32)
KEY = "sk-unit-" + secrets.token_urlsafe(20)


def test_the_seal_is_bound_to_user_agent_and_version() -> None:
    cipher = KeyCipher(SECRET)
    nonce, sealed = cipher.seal(KEY, user_id="u1", agent="openai", key_version=1)
    again, resealed = cipher.seal(KEY, user_id="u1", agent="openai", key_version=1)
    assert nonce != again and sealed != resealed, "a fresh nonce per record"
    assert KEY.encode() not in sealed
    assert cipher.open(nonce, sealed, user_id="u1", agent="openai", key_version=1) == KEY
    for moved in (
        {"user_id": "u2", "agent": "openai", "key_version": 1},
        {"user_id": "u1", "agent": "gemini", "key_version": 1},
        {"user_id": "u1", "agent": "openai", "key_version": 2},
    ):
        with pytest.raises(UndecryptableKey):
            cipher.open(nonce, sealed, **moved)  # type: ignore[arg-type]
    with pytest.raises(UndecryptableKey):
        KeyCipher(SECRET + "x").open(nonce, sealed, user_id="u1", agent="openai", key_version=1)
    assert len(derive_key(SECRET)) == 32 and derive_key(SECRET) != SECRET.encode()[:32]


async def test_without_a_real_secret_nothing_is_stored(db: Database) -> None:
    keys = ProviderKeys(db, SAMPLE_SECRET_KEY)
    assert not keys.enabled
    with pytest.raises(Conflict) as refused:
        await keys.put("someone", "openai", KEY)
    assert refused.value.code == "secret_key_required"


async def test_rotation_changes_nothing_when_the_old_secret_is_wrong(db: Database) -> None:
    async with db.session() as session:
        user_id = await repo.ensure_user(session=session, identifier="rotation")
    keys = ProviderKeys(db, SECRET)
    await keys.put(user_id, "openai", KEY)
    with pytest.raises(UndecryptableKey):
        await rotate_keys(db, old_secret="wrong-" + SECRET, new_secret=SECRET + "-new")
    assert await keys.open(user_id, ["openai"]) == {"openai": KEY}
    assert await rotate_keys(db, old_secret=SECRET, new_secret=SECRET + "-new") == 1
    assert await keys.open(user_id, ["openai"]) == {}, "the old secret no longer opens it"
    rotated = ProviderKeys(db, SECRET + "-new")
    assert await rotated.open(user_id, ["openai"]) == {"openai": KEY}
    async with db.session() as session:
        row = await session.get(ProviderKey, (user_id, "openai"))
        assert row is not None and row.key_version == 2


def _provider(kind: str) -> Provider:
    return Provider(
        name="keyed",
        base_url="http://keyed.invalid/v1",
        api_key="sk-server-" + "s" * 20,
        models=("m",),
        default_model="m",
        client_kind=kind,  # type: ignore[arg-type]
    )


async def test_the_users_key_is_what_the_sdk_model_sends() -> None:
    provider = _provider("sdk")
    model = provider.chat_model("m", api_key=KEY)
    assert model._client.api_key == KEY  # type: ignore[attr-defined]
    assert provider.chat_model("m")._client.api_key != KEY  # type: ignore[attr-defined]
    await provider.aclose()


async def test_the_users_key_is_in_the_fast_models_request_headers() -> None:
    provider = _provider("fast")
    mine = provider.chat_model("m", api_key=KEY)
    server = provider.chat_model("m")
    assert isinstance(mine, FastChatModel) and isinstance(server, FastChatModel)
    own = await mine._requests._read_template()
    shared = await server._requests._read_template()
    assert own.headers["authorization"] == f"Bearer {KEY}"
    assert shared.headers["authorization"] == f"Bearer {provider.api_key}"
    await provider.aclose()


async def test_a_key_the_provider_cannot_check_is_not_stored(db: Database) -> None:
    """An unreachable provider: 502 `provider_check_failed`, the key neither kept nor shown."""
    from chatwait.catalog import AgentCatalog
    from chatwait.errors import ProviderCheckFailed
    from chatwait.providers import AgentSpec, ProviderRegistry
    from tests.support.servers import free_port

    down = Provider(
        name="down",
        base_url=f"http://127.0.0.1:{free_port()}/v1",
        api_key=None,
        models=("m",),
        default_model="m",
        unavailable_reason="DOWN_API_KEY is not set",
        timeout=2.0,
    )
    registry = ProviderRegistry([AgentSpec("down", down, "m")], [])
    keys = ProviderKeys(db, SECRET)
    catalog = AgentCatalog(registry, keys=keys)
    async with db.session() as session:
        user_id = await repo.ensure_user(session=session, identifier="checker")
    with pytest.raises(ProviderCheckFailed) as failed:
        await catalog.save_key(user_id, "down", KEY, check=True)
    assert failed.value.status_code == 502 and KEY not in failed.value.message
    assert await keys.list(user_id) == []
    await catalog.save_key(user_id, "down", KEY, check=False)
    assert [info.last4 for info in await keys.list(user_id)] == [KEY[-4:]]
    await down.aclose()


async def test_the_users_key_stays_out_of_what_traces_record() -> None:
    """The SDK's generation spans record the model settings: the key is never in them."""
    import json

    provider = _provider("fast")
    agent = provider.build_agent(agent_name="keyed", model="m", instructions="", api_key=KEY)
    assert KEY not in json.dumps(agent.model_settings.to_json_dict(), default=str)
    assert KEY not in repr(agent.model_settings)
    await provider.aclose()


async def test_a_key_sealed_under_another_secret_is_not_offered(db: Database) -> None:
    async with db.session() as session:
        user_id = await repo.ensure_user(session=session, identifier="stale")
    await ProviderKeys(db, SECRET).put(user_id, "openai", KEY)
    assert await ProviderKeys(db, SECRET).agents(user_id) == {"openai"}
    changed = ProviderKeys(db, SECRET + "-changed")
    assert await changed.agents(user_id) == frozenset()
    assert await changed.open(user_id, ["openai"]) == {}
