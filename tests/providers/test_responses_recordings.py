"""Recorded OpenAI Responses API streams, replayed through the whole product.

With `OPENAI_API=responses` (the default) the `openai` agent runs on the Agents SDK's
Responses model: the stand-in answers `POST /v1/responses` with the recorded bytes, and
every expected value is read from the recording itself (`expected_from_responses`).
No recording has reasoning summaries: a constructed stream (`syn-...`, from OpenAI's
documented event shapes; `tests/fixtures/synthetic/`) stands in for them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.providers.test_recordings import MESSAGE, OPENAI_KEY, Replay
from tests.support.app import running_app
from tests.support.recordings import (
    RESPONSES_PATH,
    expected_from_responses,
    key_digest,
    recording,
    recording_server,
    recordings,
    synthetic_recordings,
)

MODES = ["wait", "streaming"]
TOOL_ROUNDS = 1
SUMMARIES = "syn-openai-responses-stream-reasoning-summary-01"


def _responses(*, tools: bool) -> list[Any]:
    names = [
        r.name
        for r in recordings().values()
        if r.name.startswith("openai-responses-") and r.status == 200
    ]
    return [
        pytest.param(n, id=n)
        for n in names
        if bool(expected_from_responses(recording(n)).tool_names) == tools
    ]


@pytest.fixture(scope="module")
def replay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replay]:
    models = [r.model for r in recordings().values() if r.name.startswith("openai-")]
    models += list(synthetic_recordings())
    with (
        recording_server() as stand_in,
        running_app(
            tmp_path_factory.mktemp("responses"),
            OPENAI_API_KEY=OPENAI_KEY,
            OPENAI_BASE_URL=stand_in.openai_base_url,
            OPENAI_MODELS=models,
            OPENAI_DEFAULT_MODEL=models[0],
            PROVIDER_MAX_RETRIES=1,
            MAX_TOOL_ROUNDS=TOOL_ROUNDS,
        ) as (base_url, settings),
        httpx.Client(base_url=base_url, timeout=60) as client,
    ):
        yield Replay(stand_in, client, settings)


def _assert_request_shape(sent: Any) -> None:
    """A Responses API request: its path and key, streamed, the message as input."""
    assert sent.path == RESPONSES_PATH
    assert sent.key_digest == key_digest(OPENAI_KEY)
    assert sent.body["stream"] is True
    assert sent.body["input"][-1]["content"] == MESSAGE
    assert "messages" not in sent.body


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", _responses(tools=False))
def test_responses_recording_answers_through_the_product(
    replay: Replay, name: str, mode: str
) -> None:
    rec = recording(name)
    expected = expected_from_responses(rec)
    before = len(replay.stand_in.requests_for(rec.model))
    outcome = replay.turn(mode, {"openai": rec.model})
    run = outcome.run("openai")
    assert (run["status"], run["error"], run["model"]) == ("done", None, rec.model)
    assert run["output"] == expected.text
    assert run["reasoning"] == (expected.reasoning or None)
    tokens = expected.usage or (0, 0)
    assert run["usage"] == {"input_tokens": tokens[0], "output_tokens": tokens[1]}
    assert run["attempts"] == 1
    if mode == "streaming":
        deltas = outcome.of("openai", "delta")
        assert [d.data["text"] for d in deltas] == list(expected.pieces)
        assert [d.data["index"] for d in deltas] == list(range(len(deltas)))
        (done,) = outcome.of("openai", "run_done", "run_error")
        assert done.type == "run_done" and done.data["usage"] == run["usage"]
    (sent,) = replay.stand_in.requests_for(rec.model)[before:]
    _assert_request_shape(sent)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", _responses(tools=True))
def test_responses_tool_call_for_a_tool_the_agent_lacks_is_an_error_result(
    replay: Replay, name: str, mode: str
) -> None:
    """As on Chat Completions: an error result the model reads, then `max_tool_rounds`
    (the stand-in replays the recorded call, with its recorded id, every round)."""
    rec = recording(name)
    expected = expected_from_responses(rec)
    before = len(replay.stand_in.requests_for(rec.model))
    outcome = replay.turn(mode, {"openai": rec.model})
    run = outcome.run("openai")
    sent = replay.stand_in.requests_for(rec.model)[before:]
    assert len(sent) == TOOL_ROUNDS + 1
    assert (run["status"], run["error"]["code"]) == ("error", "max_tool_rounds")
    assert [c["name"] for c in run["tool_calls"]] == list(expected.tool_names)
    assert all(c["is_error"] and "not found" in c["output"] for c in run["tool_calls"])
    _assert_request_shape(sent[0])
    outputs = [i for i in sent[1].body["input"] if i.get("type") == "function_call_output"]
    assert [o["call_id"] for o in outputs] == [c["call_id"] for c in run["tool_calls"]]


@pytest.mark.parametrize("mode", MODES)
def test_reasoning_summaries_stream_as_reasoning_events_and_are_stored(
    replay: Replay, mode: str
) -> None:
    """`response.reasoning_summary_text.delta` is the run's reasoning, apart from its answer."""
    rec = recording(SUMMARIES)
    expected = expected_from_responses(rec)
    assert expected.reasoning and expected.text  # the stream has both, or this proves nothing
    before = len(replay.stand_in.requests_for(rec.model))
    outcome = replay.turn(mode, {"openai": rec.model})
    run = outcome.run("openai")
    assert (run["status"], run["error"]) == ("done", None)
    assert (run["output"], run["reasoning"]) == (expected.text, expected.reasoning)
    assert run["usage"] == {"input_tokens": 11, "output_tokens": 42}
    if mode == "streaming":
        thoughts = outcome.of("openai", "reasoning")
        assert "".join(t.data["text"] for t in thoughts) == expected.reasoning
        assert [t.data["index"] for t in thoughts] == list(range(len(thoughts)))
        assert "".join(d.data["text"] for d in outcome.of("openai", "delta")) == expected.text
    else:
        assert outcome.answer is not None
        [answered] = [r for r in outcome.answer["runs"] if r["agent"] == "openai"]
        assert answered["reasoning"] == expected.reasoning
    (sent,) = replay.stand_in.requests_for(rec.model)[before:]
    _assert_request_shape(sent)
