"""Normal answers: deterministic text, the OpenAI wire shapes, usage and `max_tokens`."""

from __future__ import annotations

import json
from typing import Any

import httpx
from openai import AsyncOpenAI
from starlette.applications import Starlette
from starlette.routing import Mount

from chatwait.sim import OFFLINE_MODELS, create_sim_app

from ._support import FAST, client, conversation, serve_in_thread


async def _streamed(base_url: str, body: dict[str, Any]) -> list[str]:
    """The raw `data:` payloads of one streamed completion, in order."""
    payloads: list[str] = []
    async with (
        httpx.AsyncClient(timeout=10) as http,
        http.stream("POST", f"{base_url}/chat/completions", json=body) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        async for line in response.aiter_lines():
            if line:
                assert line.startswith("data: "), line
                payloads.append(line.removeprefix("data: "))
    return payloads


async def _stream_text(api: AsyncOpenAI, model: str, messages: list[dict[str, str]]) -> str:
    stream = await api.chat.completions.create(model=model, messages=messages, stream=True)
    return "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])


async def test_streamed_and_whole_answers_are_the_same_text(api: AsyncOpenAI) -> None:
    messages = conversation("What is the capital of France, and why?")
    whole = await api.chat.completions.create(model="offline-1", messages=messages)
    assert whole.choices[0].message.content == await _stream_text(api, "offline-1", messages)
    assert whole.choices[0].finish_reason == "stop"


async def test_answer_is_deterministic_and_depends_on_the_conversation(api: AsyncOpenAI) -> None:
    tea = conversation("Tell me about tea.")
    answer = await _stream_text(api, "offline-1", tea)
    assert answer == await _stream_text(api, "offline-1", tea)
    assert answer != await _stream_text(api, "offline-1", conversation("Tell me about tea."))
    assert answer != await _stream_text(api, "offline-1", conversation("Tell me about coffee."))


async def test_answer_quotes_the_question_and_counts_the_history(api: AsyncOpenAI) -> None:
    messages = conversation("Hi there.", "Plan a trip to Lisbon in spring please")
    text = await _stream_text(api, "offline-1", messages)
    assert text.startswith('You asked: "Plan a trip to Lisbon in spring please"')
    assert "holds 2 user messages" in text
    assert "holds 1 user message " in await _stream_text(api, "offline-1", messages[:2])


async def test_offline_2_has_another_voice_and_twice_the_tokens(api: AsyncOpenAI) -> None:
    messages = conversation("Should I learn Rust or Go first?")
    one = await api.chat.completions.create(model="offline-1", messages=messages)
    two = await api.chat.completions.create(model="offline-2", messages=messages)
    assert one.usage is not None and two.usage is not None
    assert one.usage.completion_tokens == FAST.answer_tokens
    assert two.usage.completion_tokens == 2 * FAST.answer_tokens
    assert "Rust or Go" in (two.choices[0].message.content or "")
    assert not (two.choices[0].message.content or "").startswith("You asked")


async def test_chunk_shapes_usage_and_done(sim_url: str, api: AsyncOpenAI) -> None:
    messages = conversation("Describe the sea.")
    body = {"model": "offline-1", "messages": messages, "stream": True}
    payloads = await _streamed(sim_url, {**body, "stream_options": {"include_usage": True}})
    assert payloads[-1] == "[DONE]"
    chunks = [json.loads(p) for p in payloads[:-1]]
    assert {c["object"] for c in chunks} == {"chat.completion.chunk"}
    assert len({c["id"] for c in chunks}) == 1 and chunks[0]["id"].startswith("chatcmpl-")
    assert all(c["model"] == "offline-1" and isinstance(c["created"], int) for c in chunks)
    content, finish, usage = chunks[:-2], chunks[-2], chunks[-1]
    assert content[0]["choices"][0]["delta"]["role"] == "assistant"
    assert all("role" not in c["choices"][0]["delta"] for c in content[1:])
    assert all(c["choices"][0]["delta"]["content"] for c in content)
    assert finish["choices"] == [
        {"index": 0, "delta": {}, "logprobs": None, "finish_reason": "stop"}
    ]
    assert usage["choices"] == []
    assert usage["usage"]["completion_tokens"] == len(content) == FAST.answer_tokens
    assert usage["usage"]["total_tokens"] == (
        usage["usage"]["prompt_tokens"] + usage["usage"]["completion_tokens"]
    )
    text = "".join(c["choices"][0]["delta"]["content"] for c in content)
    assert text == await _stream_text(api, "offline-1", messages)

    without_usage = await _streamed(sim_url, body)
    assert all('"usage"' not in p for p in without_usage)
    assert json.loads(without_usage[-2])["choices"][0]["finish_reason"] == "stop"
    assert without_usage[-1] == "[DONE]"


async def test_usage_matches_the_text(api: AsyncOpenAI) -> None:
    messages = conversation("Count these words, please!")
    whole = await api.chat.completions.create(model="offline-1", messages=messages)
    assert whole.usage is not None
    # system "Be brief. (<hex>)" and user "Count these words, please!" are 6 tokens each,
    # plus 4 per message.
    assert whole.usage.prompt_tokens == 6 + 6 + 2 * 4
    words = (whole.choices[0].message.content or "").split()
    assert whole.usage.completion_tokens == len(words) == FAST.answer_tokens


async def test_max_tokens_cuts_with_finish_reason_length(api: AsyncOpenAI) -> None:
    messages = conversation("Write a long essay.")
    full = await api.chat.completions.create(model="offline-1", messages=messages)
    cut = await api.chat.completions.create(model="offline-1", messages=messages, max_tokens=7)
    assert cut.choices[0].finish_reason == "length"
    assert cut.usage is not None and cut.usage.completion_tokens == 7
    assert (full.choices[0].message.content or "").startswith(cut.choices[0].message.content or "")

    stream = await api.chat.completions.create(
        model="offline-1",
        messages=messages,
        max_completion_tokens=5,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = [c async for c in stream]
    texts = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    assert len(texts) == 5
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "length"
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 5


async def test_bad_requests_get_openai_shaped_400s(sim_url: str) -> None:
    url = f"{sim_url}/chat/completions"
    async with httpx.AsyncClient(timeout=10) as http:
        broken = await http.post(url, content=b"{not json")
        missing = await http.post(url, json={"model": "offline-1"})
        zero = await http.post(url, json={"messages": [{"role": "user"}], "max_tokens": 0})
    for response, param in ((broken, None), (missing, "messages"), (zero, "max_tokens")):
        assert response.status_code == 400
        error = response.json()["error"]
        assert error["type"] == "invalid_request_error"
        assert error["param"] == param and error["message"] and "code" in error


async def test_bad_json_of_any_depth_is_a_400_never_a_500(sim_url: str) -> None:
    """Issue 13: a 50,000-deep array used to raise RecursionError (500 with a traceback)."""
    deep = 50_000
    user = '{"role": "user", "content": %s}'
    bodies = [
        b"[" * deep + b"]" * deep,
        b"[" * deep,
        b'{"a":' * deep + b"1" + b"}" * deep,
        ('{"messages": [%s]}' % (user % ("[" * 500 + "]" * 500))).encode(),
        ('{"messages": [%s]}' % (user % ("[" * 129 + "]" * 129))).encode(),
    ]
    async with httpx.AsyncClient(timeout=10) as http:
        for body in bodies:
            response = await http.post(f"{sim_url}/chat/completions", content=body)
            assert response.status_code == 400, body[:40]
            error = response.json()["error"]
            assert error["type"] == "invalid_request_error" and "nested" in error["message"]
        fine = ('{"messages": [%s]}' % (user % ("[" * 120 + "]" * 120))).encode()
        assert (await http.post(f"{sim_url}/chat/completions", content=fine)).status_code == 200


async def test_models_lists_the_offline_and_fault_models(api: AsyncOpenAI) -> None:
    listed = [m.id async for m in api.models.list()]
    assert listed == list(OFFLINE_MODELS)
    assert {"offline-1", "offline-2", "fault-drop-after-3", "fault-flaky-2"} <= set(listed)
    assert {"offline-tools", "offline-reasoner", "fault-tool-loop"} <= set(listed)


async def test_works_when_mounted_under_a_prefix() -> None:
    parent = Starlette(routes=[Mount("/sim", app=create_sim_app(FAST))])
    with serve_in_thread(parent) as url:
        async with client(f"{url}/sim/v1") as api:
            answer = await api.chat.completions.create(
                model="offline-1", messages=conversation("Mounted?")
            )
            listed = [m.id async for m in api.models.list()]
    assert listed == list(OFFLINE_MODELS)
    assert (answer.choices[0].message.content or "").startswith('You asked: "Mounted?"')
