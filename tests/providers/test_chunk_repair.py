"""Streamed tool calls without `index` or id (Gemini) are completed before the SDK reads them."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from openai.types.chat import ChatCompletionChunk

from chatwait.providers._attempts import track_attempts
from chatwait.providers._chunk_repair import ChunkRepair

RECORDINGS = Path(__file__).parents[1] / "fixtures" / "provider-recordings"


def _chunks(name: str) -> list[dict[str, Any]]:
    lines = (RECORDINGS / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(x[5:]) for x in lines if x.startswith("data:") and "[DONE]" not in x]


def _calls(chunk: Any) -> list[Any]:
    return list(chunk["choices"][0]["delta"].get("tool_calls") or [])


def test_two_calls_without_index_stay_two_calls_each_with_an_id() -> None:
    [gemini] = [c for c in _chunks("gemini-compat-stream-toolcall-01.sse") if _calls(c)]
    second = copy.deepcopy(gemini)
    second["choices"][0]["delta"]["tool_calls"][0]["function"]["name"] = "other"
    repair = ChunkRepair()
    track_attempts()
    calls = _calls(repair.chunk(copy.deepcopy(gemini))) + _calls(repair.chunk(second))
    assert [c["index"] for c in calls] == [0, 1], "not merged into one corrupt call"
    assert [c["id"] for c in calls] == ["call_cw_1", "call_cw_2"]


def test_openai_deltas_pass_unchanged_as_dicts_and_as_objects() -> None:
    chunks = [
        c for c in _chunks("openai-chat-stream-parallel-toolcalls-usage-01.sse") if c["choices"]
    ]
    repair = ChunkRepair()
    assert [repair.chunk(copy.deepcopy(c)) for c in chunks] == chunks
    objects = [ChatCompletionChunk.model_validate(c) for c in chunks]
    repair = ChunkRepair()
    assert [repair.chunk(o.model_copy(deep=True)) for o in objects] == objects


def test_objects_from_the_openai_client_are_repaired_too() -> None:
    """The client builds chunks without validation, so a missing `index` is just absent."""
    call = SimpleNamespace(id="", function=SimpleNamespace(name="return_bool", arguments="{}"))
    chunk = SimpleNamespace(choices=[SimpleNamespace(delta=SimpleNamespace(tool_calls=[call]))])
    ChunkRepair().chunk(chunk)
    assert call.index == 0 and call.id.startswith("call_cw_")  # type: ignore[attr-defined]


def test_gemini_thought_parts_become_reasoning_content_and_the_answer_loses_its_tag() -> None:
    chunks = _chunks("secondary/gemini-compat-stream-thinking-01.apifox.sse")
    repair = ChunkRepair()
    deltas = [repair.chunk(copy.deepcopy(c))["choices"][0]["delta"] for c in chunks]
    thoughts = [d["reasoning_content"] for d in deltas if d.get("reasoning_content")]
    assert len(thoughts) == 3 and thoughts[0].startswith("**Defining the Greeting**")
    assert all(d["content"] is None for d in deltas[:3])
    assert deltas[-1]["content"] == "你好！有什么我可以帮助你的吗？"
    as_object = ChatCompletionChunk.model_validate(chunks[0])
    ChunkRepair().chunk(as_object)
    assert as_object.choices[0].delta.content is None
    assert as_object.choices[0].delta.reasoning_content.startswith("**Defining")  # type: ignore[attr-defined]
