"""`offline-tools`, `offline-reasoner` and the tool faults on the wire, as OpenAI shapes them."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from openai import AsyncOpenAI

from ._support import FAST, conversation


def _tool(name: str) -> dict[str, Any]:
    schema = {"type": "object", "properties": {}, "additionalProperties": True}
    return {"type": "function", "function": {"name": name, "parameters": schema}}


TOOLS = [_tool("add"), _tool("echo"), _tool("current_time")]


async def _chunks(base_url: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    """The parsed chunks of one streamed completion (the `[DONE]` line checked and dropped)."""
    payloads: list[str] = []
    async with (
        httpx.AsyncClient(timeout=10) as http,
        http.stream("POST", f"{base_url}/chat/completions", json=body) as response,
    ):
        assert response.status_code == 200
        payloads = [line.removeprefix("data: ") async for line in response.aiter_lines() if line]
    assert payloads[-1] == "[DONE]"
    return [json.loads(p) for p in payloads[:-1]]


def _calls(chunks: list[dict[str, Any]]) -> dict[int, dict[str, str]]:
    """Tool calls put together by `index`, the way clients accumulate them."""
    calls: dict[int, dict[str, str]] = {}
    for chunk in chunks:
        for choice in chunk["choices"]:
            for delta in choice["delta"].get("tool_calls") or []:
                call = calls.setdefault(delta["index"], {"id": "", "name": "", "arguments": ""})
                call["id"] += delta.get("id", "")
                call["name"] += delta.get("function", {}).get("name", "")
                call["arguments"] += delta["function"].get("arguments", "")
    return calls


def _after_tool_call(question: str, name: str, output: str) -> list[dict[str, Any]]:
    """A conversation whose last turn is the result of calling `name`."""
    call = {"id": "call_1", "type": "function", "function": {"name": name, "arguments": "{}"}}
    return [
        *conversation(question),
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "call_1", "content": output},
    ]


async def test_a_named_tool_is_called_in_streamed_pieces(sim_url: str) -> None:
    body = {
        "model": "offline-tools",
        "messages": conversation('Please add {"a": 2, "b": 40} for me.'),
        "tools": TOOLS,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    chunks = await _chunks(sim_url, body)
    opening = chunks[0]["choices"][0]["delta"]
    assert opening["role"] == "assistant" and opening["content"] is None
    [call] = opening["tool_calls"]
    assert call["index"] == 0 and call["type"] == "function" and call["id"].startswith("call_")
    assert call["function"] == {"name": "add", "arguments": ""}
    pieces = [c for c in chunks[1:-2] if c["choices"][0]["delta"].get("tool_calls")]
    assert len(pieces) > 1
    assert all("id" not in c["choices"][0]["delta"]["tool_calls"][0] for c in pieces)
    assert json.loads(_calls(chunks)[0]["arguments"]) == {"a": 2, "b": 40}
    assert chunks[-2]["choices"][0]["finish_reason"] == "tool_calls"
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] > len(pieces)


async def test_two_named_tools_are_parallel_calls_unless_parallel_calls_are_off(
    sim_url: str,
) -> None:
    question = 'First echo {"text": "hi"}, then add {"a": 1, "b": 2}.'
    body = {"model": "offline-tools", "messages": conversation(question), "stream": True}
    calls = _calls(await _chunks(sim_url, {**body, "tools": TOOLS}))
    # In the order the message names them, each with the JSON object after its name.
    assert [calls[0]["name"], calls[1]["name"]] == ["echo", "add"]
    assert json.loads(calls[0]["arguments"]) == {"text": "hi"}
    assert json.loads(calls[1]["arguments"]) == {"a": 1, "b": 2}
    assert calls[0]["id"] != calls[1]["id"]

    # One call only: the first offered tool the message names.
    single = _calls(await _chunks(sim_url, {**body, "tools": TOOLS, "parallel_tool_calls": False}))
    assert list(single) == [0] and single[0]["name"] == "add"
    assert json.loads(single[0]["arguments"]) == {"a": 1, "b": 2}


async def test_arguments_default_to_the_first_object_then_to_empty(api: AsyncOpenAI) -> None:
    one_object = conversation('With {"a": 1} use add, then echo.')
    whole = await api.chat.completions.create(
        model="offline-tools", messages=one_object, tools=TOOLS
    )
    calls = whole.choices[0].message.tool_calls or []
    assert [json.loads(c.function.arguments) for c in calls] == [{"a": 1}, {"a": 1}]  # type: ignore[union-attr]

    none = conversation("What does current_time say? {not json")
    whole = await api.chat.completions.create(model="offline-tools", messages=none, tools=TOOLS)
    [call] = whole.choices[0].message.tool_calls or []
    assert call.function.name == "current_time" and call.function.arguments == "{}"  # type: ignore[union-attr]


async def test_a_name_must_appear_as_a_word(api: AsyncOpenAI) -> None:
    messages = conversation("My address is echoing, add-ons included.")
    whole = await api.chat.completions.create(model="offline-tools", messages=messages, tools=TOOLS)
    assert whole.choices[0].message.tool_calls is None
    assert whole.choices[0].finish_reason == "stop"


async def test_whole_tool_calls_have_no_content(api: AsyncOpenAI) -> None:
    messages = conversation('echo {"text": "same"}')
    whole = await api.chat.completions.create(model="offline-tools", messages=messages, tools=TOOLS)
    choice = whole.choices[0]
    assert choice.finish_reason == "tool_calls" and choice.message.content is None
    [call] = choice.message.tool_calls or []
    assert call.id.startswith("call_") and call.type == "function"
    assert (call.function.name, call.function.arguments) == ("echo", '{"text":"same"}')  # type: ignore[union-attr]
    assert whole.usage is not None and whole.usage.completion_tokens > 0


async def test_a_tool_result_is_quoted_streamed_and_whole(api: AsyncOpenAI) -> None:
    messages = _after_tool_call('add {"a": 2, "b": 3}', "add", "5")
    whole = await api.chat.completions.create(model="offline-tools", messages=messages, tools=TOOLS)
    text = whole.choices[0].message.content or ""
    assert text.startswith('The add tool returned "5".')
    assert whole.choices[0].message.tool_calls is None
    stream = await api.chat.completions.create(
        model="offline-tools", messages=messages, tools=TOOLS, stream=True
    )
    streamed = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
    assert streamed == text


async def test_parallel_results_are_all_quoted(api: AsyncOpenAI) -> None:
    calls = [
        {"id": f"call_{n}", "type": "function", "function": {"name": n, "arguments": "{}"}}
        for n in ("add", "echo")
    ]
    messages = [
        *conversation("add and echo"),
        {"role": "assistant", "content": None, "tool_calls": calls},
        {"role": "tool", "tool_call_id": "call_add", "content": "3"},
        {"role": "tool", "tool_call_id": "call_echo", "content": [{"type": "text", "text": "hi"}]},
    ]
    whole = await api.chat.completions.create(model="offline-tools", messages=messages)
    text = whole.choices[0].message.content or ""
    assert text.startswith('The add tool returned "3". The echo tool returned "hi".')


async def test_without_tools_or_a_named_tool_it_answers_as_offline_1(api: AsyncOpenAI) -> None:
    messages = conversation("Tell me about tea.")
    plain = await api.chat.completions.create(model="offline-1", messages=messages)
    for tools in (None, TOOLS):
        options: dict[str, Any] = {"tools": tools} if tools else {}
        whole = await api.chat.completions.create(
            model="offline-tools", messages=messages, **options
        )
        assert whole.choices[0].message.content == plain.choices[0].message.content


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ("none", []),
        ("required", ["add"]),
        ({"type": "function", "function": {"name": "current_time"}}, ["current_time"]),
    ],
)
async def test_tool_choice_is_honoured(api: AsyncOpenAI, choice: Any, expected: list[str]) -> None:
    messages = conversation("Nothing named here.")
    whole = await api.chat.completions.create(
        model="offline-tools", messages=messages, tools=TOOLS, tool_choice=choice
    )
    calls = whole.choices[0].message.tool_calls or []
    assert [c.function.name for c in calls] == expected  # type: ignore[union-attr]


async def test_bad_tools_get_400s_naming_the_field(sim_url: str) -> None:
    url = f"{sim_url}/chat/completions"
    base = {"model": "offline-tools", "messages": conversation("add")}
    bad = [
        ({"tools": {"add": 1}}, "tools"),
        ({"tools": [{"type": "function", "function": {}}]}, "tools"),
        ({"tools": [{"type": "retrieval"}]}, "tools"),
        ({"tools": TOOLS, "tool_choice": {"function": {"name": "rm"}}}, "tool_choice"),
        ({"tools": TOOLS, "parallel_tool_calls": "yes"}, "parallel_tool_calls"),
    ]
    async with httpx.AsyncClient(timeout=10) as http:
        for extra, param in bad:
            response = await http.post(url, json={**base, **extra})
            assert response.status_code == 400, extra
            assert response.json()["error"]["param"] == param


async def test_fault_tool_loop_calls_again_after_a_result(api: AsyncOpenAI) -> None:
    messages = _after_tool_call("add", "add", "3")
    whole = await api.chat.completions.create(
        model="fault-tool-loop", messages=messages, tools=TOOLS
    )
    [call] = whole.choices[0].message.tool_calls or []
    assert call.function.name == "add"  # type: ignore[union-attr]


async def test_fault_unknown_tool_calls_a_tool_never_offered(api: AsyncOpenAI) -> None:
    first = await api.chat.completions.create(
        model="fault-unknown-tool", messages=conversation("add"), tools=TOOLS
    )
    [call] = first.choices[0].message.tool_calls or []
    assert call.function.name == "no_such_tool"  # type: ignore[union-attr]
    after = _after_tool_call("add", "no_such_tool", "Tool no_such_tool not found.")
    answer = await api.chat.completions.create(model="fault-unknown-tool", messages=after)
    assert (answer.choices[0].message.content or "").startswith(
        'The no_such_tool tool returned "Tool no_such_tool not found."'
    )


async def test_reasoner_streams_reasoning_content_before_its_answer(
    sim_url: str, api: AsyncOpenAI
) -> None:
    messages = conversation("Why is the sky blue?")
    body = {
        "model": "offline-reasoner",
        "messages": messages,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    chunks = await _chunks(sim_url, body)
    deltas = [c["choices"][0]["delta"] for c in chunks if c["choices"]]
    thinking = [d for d in deltas if "reasoning_content" in d]
    expected = FAST.answer_tokens // 2
    assert len(thinking) == expected and deltas[: len(thinking)] == thinking
    assert all(d["content"] is None for d in thinking) and deltas[0]["role"] == "assistant"
    reasoning = "".join(d["reasoning_content"] for d in thinking)
    assert reasoning.startswith('Let me think about "Why is the sky blue?".')
    answer = "".join(d.get("content") or "" for d in deltas[len(thinking) :])
    plain = await api.chat.completions.create(model="offline-1", messages=messages)
    assert answer == plain.choices[0].message.content
    usage = chunks[-1]["usage"]
    assert usage["completion_tokens_details"]["reasoning_tokens"] == expected
    assert usage["completion_tokens"] == expected + FAST.answer_tokens

    whole = await api.chat.completions.create(model="offline-reasoner", messages=messages)
    assert whole.model_dump()["choices"][0]["message"]["reasoning_content"] == reasoning
    assert whole.choices[0].message.content == answer


async def test_reasoner_max_tokens_counts_the_reasoning(api: AsyncOpenAI) -> None:
    messages = conversation("Think hard.")
    limit = FAST.answer_tokens // 2 + 3
    whole = await api.chat.completions.create(
        model="offline-reasoner", messages=messages, max_tokens=limit
    )
    assert whole.choices[0].finish_reason == "length"
    assert len((whole.choices[0].message.content or "").split()) == 3
    assert whole.usage is not None and whole.usage.completion_tokens == limit


async def test_reasoner_tools_reasons_before_its_call_and_answers_the_result_plainly(
    sim_url: str,
) -> None:
    body: dict[str, Any] = {
        "model": "offline-reasoner-tools",
        "messages": conversation('Please add {"a": 2, "b": 40} for me.'),
        "tools": TOOLS,
        "stream": True,
    }
    deltas = [c["choices"][0]["delta"] for c in await _chunks(sim_url, body) if c["choices"]]
    thinking = [d for d in deltas if "reasoning_content" in d]
    assert thinking and deltas[: len(thinking)] == thinking, "reasoning first"
    assert any(d.get("tool_calls") for d in deltas[len(thinking) :])
    calls = _calls([{"choices": [{"delta": d}]} for d in deltas])
    assert (calls[0]["name"], json.loads(calls[0]["arguments"])) == ("add", {"a": 2, "b": 40})
    body["messages"] = _after_tool_call("Please add 2 and 40.", "add", "42")
    answer = [c["choices"][0]["delta"] for c in await _chunks(sim_url, body) if c["choices"]]
    assert not any("reasoning_content" in d or d.get("tool_calls") for d in answer)
    assert "".join(d.get("content") or "" for d in answer).startswith('The add tool returned "42".')
