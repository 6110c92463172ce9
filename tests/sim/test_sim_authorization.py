"""What the offline provider keeps of the `Authorization` it received, and a refused key."""

from __future__ import annotations

import hashlib

import httpx
import openai
import pytest

from chatwait.sim import REFUSED_KEY_PREFIX, authorization_digest


def client(sim_url: str, *, api_key: str) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=sim_url, api_key=api_key, max_retries=0, timeout=10.0)


async def _seen(sim_url: str) -> httpx.Response:
    async with httpx.AsyncClient() as http:
        return await http.get(f"{sim_url}/debug/authorizations")


async def test_the_digest_of_each_authorization_is_kept_never_the_value(sim_url: str) -> None:
    key = "sk-digest-test-0123456789abcdef"
    async with client(sim_url, api_key=key) as api:
        await api.chat.completions.create(
            model="offline-1", messages=[{"role": "user", "content": "hi"}]
        )
    digest = authorization_digest(f"Bearer {key}")
    assert digest == hashlib.sha256(f"Bearer {key}".encode()).hexdigest()
    seen = await _seen(sim_url)
    assert seen.json()["sha256"][-1] == digest
    assert key not in seen.text


async def test_a_refused_key_gets_401_from_the_models_list(sim_url: str) -> None:
    async with client(sim_url, api_key=REFUSED_KEY_PREFIX + "-abc") as api:
        with pytest.raises(openai.AuthenticationError):
            await api.models.list()
    async with client(sim_url, api_key="sk-fine-0123456789") as api:
        listed = await api.models.list()
        assert any(model.id == "offline-1" for model in listed.data)
