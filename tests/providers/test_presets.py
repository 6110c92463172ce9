"""The seven presets over real HTTP, with the offline provider standing in for each endpoint.

Each preset's `<NAME>_BASE_URL` points at its own recording stand-in (`_stand_in.py`), so
the tests see what each endpoint would be sent: its key, and a body shaped by its quirks.
The Mistral stand-in refuses `stream_options` with Mistral's own 422 and sends usage
unasked, as Mistral does, so its turn answers only if the quirk is respected.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import openai
import pytest
from agents import RunConfig, Runner, function_tool

from chatwait.config import Settings
from chatwait.providers import ProviderRegistry, translate_error
from chatwait.providers.presets import PRESETS, Preset
from tests.providers._stand_in import (
    MISTRAL_STREAM_OPTIONS_422,
    Behaviour,
    Received,
    StandIns,
    key_digest,
    stand_ins,
)
from tests.support.app import running_app
from tests.support.recordings import RecordingServer, error_message, recording, recording_server
from tests.support.sse import read_stream

KEYS = {p.name: f"sk-test-{p.name}-preset-{i}f3e2d1c0b9" for i, p in enumerate(PRESETS) if p.keyed}
NAMES = [preset.name for preset in PRESETS]
UNSET = {preset.enabling_setting: None for preset in PRESETS}
MESSAGE = "Hello through a preset"
MODES = ["wait", "streaming"]


def _n_must_be_one(body: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
    """Anthropic ("must be exactly 1") and Groq (400 otherwise) refuse other `n`."""
    if body.get("n", 1) != 1:
        return 400, {"error": {"message": "n must be exactly 1", "type": "invalid_request_error"}}
    return None


def _mistral_refuses(body: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
    return (422, MISTRAL_STREAM_OPTIONS_422) if "stream_options" in body else None


BEHAVIOURS = {
    **{name: Behaviour() for name in NAMES},
    "anthropic": Behaviour(refuse=_n_must_be_one),
    "groq": Behaviour(refuse=_n_must_be_one),
    "mistral": Behaviour(refuse=_mistral_refuses, usage_unasked=True),
}


def _preset_settings(base_url: Callable[[str], str], models: list[str]) -> dict[str, Any]:
    """Every preset enabled (its key, or Ollama's URL) and pointed at `base_url(name)`."""
    values: dict[str, Any] = {"MAX_AGENTS_PER_TURN": len(PRESETS)}
    for preset in PRESETS:
        prefix = preset.name.upper()
        values[preset.enabling_setting] = KEYS.get(preset.name, base_url(preset.name))
        values[f"{prefix}_BASE_URL"] = base_url(preset.name)
        values[f"{prefix}_MODELS"] = models
    return values


@dataclass
class Presets:
    served: StandIns
    client: httpx.Client
    settings: Settings


@pytest.fixture(scope="module", params=["fast", "sdk"])
def presets(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Presets]:
    """The app with every preset configured, on each `PROVIDER_CLIENT` (both read the quirks)."""
    values = {"PROVIDER_CLIENT": request.param}
    with (
        stand_ins(BEHAVIOURS) as served,
        running_app(
            tmp_path_factory.mktemp("presets"),
            **_preset_settings(served.base_url, ["offline-1"]),
            **values,
        ) as (
            url,
            settings,
        ),
        httpx.Client(base_url=url, timeout=60) as client,
    ):
        yield Presets(served, client, settings)


@pytest.fixture(scope="module")
def bare(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    """The app with no preset configured, whatever the environment holds."""
    with (
        running_app(tmp_path_factory.mktemp("bare"), **UNSET) as (url, _settings),
        httpx.Client(base_url=url, timeout=60) as client,
    ):
        yield client


def _agents(client: httpx.Client) -> dict[str, dict[str, Any]]:
    return {agent["name"]: agent for agent in client.get("/models").json()["agents"]}


@pytest.mark.parametrize("preset", PRESETS, ids=NAMES)
def test_without_its_setting_a_preset_is_unavailable_saying_which(
    bare: httpx.Client, preset: Preset
) -> None:
    agent = _agents(bare)[preset.name]
    assert (agent["available"], agent["provider"]) == (False, preset.name)
    assert agent["reason"].startswith(f"{preset.enabling_setting} is not set")
    response = bare.post("/chat/wait", json={"message": MESSAGE, "agents": [preset.name]})
    assert response.status_code == 422, "as for any unavailable agent"
    error = response.json()["error"]
    assert error["code"] == "agent_unavailable" and preset.enabling_setting in error["message"]


@pytest.mark.parametrize("preset", PRESETS, ids=NAMES)
def test_with_its_setting_a_preset_is_available(presets: Presets, preset: Preset) -> None:
    agent = _agents(presets.client)[preset.name]
    assert agent == {
        "name": preset.name,
        "provider": preset.name,
        "default_model": "offline-1",
        "models": ["offline-1"],
        "available": True,
        "reason": None,
        "takes_key": preset.keyed,
        "user_key": False,
    }


def _turn(presets: Presets, mode: str) -> tuple[dict[str, Any], list[Any]]:
    """Run one turn through every preset; (the stored turn, the SSE events if streamed)."""
    body = {"message": MESSAGE, "agents": NAMES}
    if mode == "wait":
        response = presets.client.post("/chat/wait", json=body)
        assert response.status_code == 200, response.text
        turn_id, events = response.json()["turn_id"], []
    else:
        events = read_stream(presets.client, "POST", "/chat/streaming", json_body=body)
        assert events[-1].type == "turn_done"
        turn_id = events[0].data["turn_id"]
    stored = presets.client.get(f"/chat/turns/{turn_id}").json()
    for text in (json.dumps(stored), json.dumps([e.data for e in events])):
        assert not any(key in text for key in KEYS.values()), "no key in anything a client reads"
    return stored, events


def _assert_request(preset: Preset, sent: Received) -> None:
    """The endpoint got its own key and a body shaped by the preset's quirks."""
    assert sent.path == f"/{preset.name}/v1/chat/completions"
    if preset.keyed:
        assert sent.key_digest == key_digest(KEYS[preset.name])
    else:
        assert sent.key_digest not in {key_digest(k) for k in KEYS.values()}
    body = sent.body
    assert (body["model"], body["stream"]) == ("offline-1", True)
    assert body["messages"][-1] == {"role": "user", "content": MESSAGE}
    if preset.quirks.stream_usage:
        assert body["stream_options"] == {"include_usage": True}
    else:
        assert "stream_options" not in body
    if preset.quirks.single_choice:
        assert body.get("n", 1) == 1
    assert "tools" not in body and "parallel_tool_calls" not in body


@pytest.mark.parametrize("mode", MODES)
def test_a_turn_through_every_preset_answers_with_its_key_and_quirks(
    presets: Presets, mode: str
) -> None:
    before = {name: len(presets.served.received(name)) for name in NAMES}
    turn, events = _turn(presets, mode)
    runs = {run["agent"]: run for run in turn["runs"]}
    for preset in PRESETS:
        run = runs[preset.name]
        assert (run["status"], run["error"], run["attempts"]) == ("done", None, 1), run
        assert (run["provider"], run["model"]) == (preset.name, "offline-1")
        assert run["output"], "an answer"
        assert run["usage"]["input_tokens"] > 0 and run["usage"]["output_tokens"] > 0
        assert run["cost_usd"] is None, "offline-1 has no price under any provider"
        (sent,) = presets.served.received(preset.name)[before[preset.name] :]
        _assert_request(preset, sent)
        if mode == "streaming":
            deltas = [e for e in events if e.type == "delta" and e.data["run_id"] == run["run_id"]]
            assert "".join(d.data["text"] for d in deltas) == run["output"]


@function_tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@pytest.mark.parametrize("preset", PRESETS, ids=NAMES)
async def test_tools_are_offered_as_each_endpoint_takes_them(
    presets: Presets, preset: Preset
) -> None:
    """`offline-tools` calls the tool the message names; the agent answers with its result."""
    registry = ProviderRegistry.from_settings(presets.settings)
    provider = registry.resolve(preset.name, None).provider
    before = len(presets.served.received(preset.name))
    agent = provider.build_agent(
        agent_name=preset.name, model="offline-tools", instructions="Use tools.", tools=[add]
    )
    try:
        result = Runner.run_streamed(
            agent, 'Please add {"a": 2, "b": 3}', run_config=RunConfig(tracing_disabled=True)
        )
        async for _event in result.stream_events():
            pass
    finally:
        await registry.aclose()
    first, *rest = presets.served.received(preset.name)[before:]
    (tool,) = first.body["tools"]
    assert tool["function"]["name"] == "add"
    assert tool["function"]["strict"] is preset.quirks.strict_tools
    assert tool["function"]["parameters"]["required"] == ["a", "b"]
    assert "parallel_tool_calls" not in first.body, "no preset sets it"
    assert len(rest) == 1 and rest[0].body["messages"][-1]["role"] == "tool"
    assert rest[0].body["messages"][-1]["content"] == "5"
    assert isinstance(result.final_output, str) and result.final_output


async def test_mistral_stand_in_refuses_what_mistral_refuses(presets: Presets) -> None:
    """The request the mistral preset never sends meets Mistral's 422, read as bad_request
    in Mistral's own words: the stand-in is as strict as the endpoint it stands for."""
    provider = ProviderRegistry.from_settings(presets.settings).resolve("mistral", None).provider
    try:
        with pytest.raises(openai.UnprocessableEntityError) as info:
            await provider.client().chat.completions.create(
                model="offline-1",
                messages=[{"role": "user", "content": MESSAGE}],
                stream=True,
                stream_options={"include_usage": True},
            )
    finally:
        await provider.aclose()
    failure = translate_error(info.value, provider="mistral", started=False, secrets=KEYS.values())
    assert (failure.code, failure.retryable) == ("bad_request", False)
    assert "Extra inputs are not permitted (body.stream_options.include_usage)" in failure.message


ERROR_RECORDINGS = [
    ("openai-401-chat-stream", "auth_error"),
    ("openai-404-model-not-found-chat-stream", "not_found"),
]
"""No recording of these seven endpoints exists in the fixtures; they answer errors in
OpenAI's envelope (`{"error": {"message", "type", "code"}}`), so OpenAI's recorded
bodies stand in for them."""


@dataclass
class Replayed:
    stand_in: RecordingServer
    client: httpx.Client


@pytest.fixture(scope="module")
def replayed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replayed]:
    models = [recording(name).model for name, _code in ERROR_RECORDINGS]
    with recording_server() as stand_in:
        values = _preset_settings(lambda _name: stand_in.openai_base_url, models)
        with (
            running_app(tmp_path_factory.mktemp("replayed"), **values) as (url, _settings),
            httpx.Client(base_url=url, timeout=60) as client,
        ):
            yield Replayed(stand_in, client)


@pytest.mark.parametrize(("name", "code"), ERROR_RECORDINGS)
def test_recorded_error_bodies_at_every_presets_url_keep_their_codes(
    replayed: Replayed, name: str, code: str
) -> None:
    rec = recording(name)
    before = len(replayed.stand_in.requests_for(rec.model))
    body = {"message": MESSAGE, "agents": NAMES, "models": {n: rec.model for n in NAMES}}
    response = replayed.client.post("/chat/wait", json=body)
    assert response.status_code == 200, response.text
    assert not any(key in response.text for key in KEYS.values())
    for run in response.json()["runs"]:
        assert (run["status"], run["output"]) == ("error", "")
        assert (run["error"]["code"], run["error"]["retryable"]) == (code, False)
        message = run["error"]["message"]
        assert message.startswith(f"{run['agent']} answered HTTP {rec.status}: ")
        assert error_message(rec) in message, "the endpoint's own words"
    sent = replayed.stand_in.requests_for(rec.model)[before:]
    assert len(sent) == len(PRESETS), "one attempt each: these are final"
    digests = {request.key_digest for request in sent}
    assert {key_digest(key) for key in KEYS.values()} <= digests, "each with its own key"
