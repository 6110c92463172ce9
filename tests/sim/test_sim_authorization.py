"""What the offline provider keeps of the requests it received (digests), and a refused key."""

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


async def test_the_debug_requests_keep_each_message_shape_and_no_text(sim_url: str) -> None:
    secret = "a sentence nobody else may read"
    thought = "thinking it over"
    messages = [
        {"role": "user", "content": secret},
        {"role": "assistant", "content": None, "reasoning_content": thought, "tool_calls": []},
        {"role": "user", "content": secret},
    ]
    async with client(sim_url, api_key="sk-shape-0123456789") as api:
        await api.chat.completions.create(model="offline-1", messages=messages)  # type: ignore[arg-type]
    async with httpx.AsyncClient() as http:
        seen = await http.get(f"{sim_url}/debug/requests")
    last = seen.json()["requests"][-1]
    assert last["model"] == "offline-1"
    assert [m["role"] for m in last["messages"]] == ["user", "assistant", "user"]
    sha = hashlib.sha256(thought.encode()).hexdigest()
    assert [m["reasoning_content_sha256"] for m in last["messages"]] == [None, sha, None]
    assert secret not in seen.text and thought not in seen.text
