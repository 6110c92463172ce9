"""Recorded OpenAI and Gemini traffic, replayed over HTTP through the whole product.

A stand-in server (`tests/support/recordings.py`) answers the real `openai` client with
bodies recorded from the real services; the real app runs the turn in both modes. Every
expected value is read from the recording itself, never written here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from chatwait.config import Settings
from tests.support.app import running_app
from tests.support.recordings import (
    GEMINI_PATH,
    OPENAI_PATH,
    Recording,
    RecordingServer,
    error_message,
    expected_from_sse,
    key_digest,
    recording,
    recording_server,
    recordings,
)
from tests.support.sse import Event, read_stream

OPENAI_KEY = "sk-test-replay-OPENAI-9f8e7d6c5b4a"
GEMINI_KEY = "AIzaTEST-replay-GEMINI-0a1b2c3d4e5f"
KEYS = {"openai": OPENAI_KEY, "gemini": GEMINI_KEY}
PATHS = {"openai": OPENAI_PATH, "gemini": GEMINI_PATH}
MAX_RETRIES = 1
TOOL_ROUNDS = 1
"""`MAX_TOOL_ROUNDS`: a recorded tool call is replayed on every request."""
MODES = ["wait", "streaming"]
MESSAGE = "Replay a recording"
PARTNERS = {"openai": "gemini-compat-stream-02", "gemini": "openai-chat-stream-usage-03"}
"""A text recording for the other agent of an error turn: it must still complete."""

ERRORS: dict[str, tuple[str, bool]] = {
    "openai-401-chat": ("auth_error", False),
    "openai-401-chat-stream": ("auth_error", False),
    "openai-401-responses-stream": ("auth_error", False),
    "openai-404-model-not-found-chat": ("not_found", False),
    "openai-404-model-not-found-chat-stream": ("not_found", False),
    "openai-400-model-not-found-responses-stream": ("bad_request", False),
    "openai-429-rate-limit-tokens.issue": ("rate_limited", True),
    "openai-429-insufficient-quota-responses.reconstructed": ("rate_limited", False),
    "gemini-400-api-key-invalid-list.issue": ("auth_error", False),
    "gemini-native-400-api-key-invalid": ("auth_error", False),
    "gemini-native-400-api-key-invalid-stream": ("auth_error", False),
    "gemini-native-404-model-not-found-stream": ("not_found", False),
    "gemini-compat-400-unknown-field-store.issue": ("bad_request", False),
    "gemini-compat-400-unknown-field-web-search-options.issue": ("bad_request", False),
}
"""The contract: what a client branches on for each recorded error body. Error bodies
share one envelope per vendor whatever the endpoint, so the Responses-API and native
Gemini ones are served on the chat path too."""


def _agent(rec: Recording) -> str:
    return "gemini" if rec.name.startswith("gemini-") else "openai"


def _kind(rec: Recording) -> str:
    if rec.status >= 400:
        return "error"
    if rec.name.startswith("openai-responses-"):
        return "responses"
    expected = expected_from_sse(rec)
    return "tool_call" if expected.tool_names else "refusal" if expected.refusal else "text"


def _cases(*kinds: str) -> list[Any]:
    """Recordings of these kinds (Responses API streams: `test_responses_recordings.py`)."""
    return [pytest.param(r.name, id=r.name) for r in recordings().values() if _kind(r) in kinds]


@dataclass
class Outcome:
    """One turn as every client sees it, plus the row stored for it."""

    turn: dict[str, Any]
    answer: dict[str, Any] | None = None
    events: list[Event] = field(default_factory=list)
    received: str = ""
    """Everything the client was sent: the JSON answer or every SSE event's data."""

    def run(self, agent: str) -> dict[str, Any]:
        return next(r for r in self.turn["runs"] if r["agent"] == agent)

    def of(self, agent: str, *types: str) -> list[Event]:
        run_id = self.run(agent)["run_id"]
        return [e for e in self.events if e.type in types and e.data.get("run_id") == run_id]


@dataclass
class Replay:
    """The stand-in, the app using it, and a client of the app."""

    stand_in: RecordingServer
    client: httpx.Client
    settings: Settings

    def turn(self, mode: str, models: dict[str, str]) -> Outcome:
        body = {"message": MESSAGE, "agents": list(models), "models": models}
        if mode == "wait":
            response = self.client.post("/chat/wait", json=body)
            assert response.status_code == 200, response.text
            outcome = Outcome(self._stored(response.json()["turn_id"]), response.json())
            outcome.received = response.text
            return outcome
        events = read_stream(self.client, "POST", "/chat/streaming", json_body=body)
        assert events[-1].type == "turn_done"
        outcome = Outcome(self._stored(events[0].data["turn_id"]), events=events)
        outcome.received = "\n".join(json.dumps(e.data) for e in events)
        return outcome

    def _stored(self, turn_id: str) -> dict[str, Any]:
        response = self.client.get(f"/chat/turns/{turn_id}")
        assert response.status_code == 200
        return dict(response.json())

    def database_text(self) -> str:
        """Every row of every table, as text, read straight from the database."""
        engine = sa.create_engine(self.settings.resolved_database_url.replace("+aiosqlite", ""))
        try:
            with engine.connect() as conn:
                tables = sa.inspect(conn).get_table_names()
                rows = [
                    row for t in tables for row in conn.execute(sa.text(f'SELECT * FROM "{t}"'))
                ]
        finally:
            engine.dispose()
        return "\n".join(map(str, rows))


def _models(prefix: str) -> list[str]:
    return [rec.model for rec in recordings().values() if rec.name.startswith(prefix)]


@pytest.fixture(scope="module")
def replay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replay]:
    openai_models, gemini_models = _models("openai-"), _models("gemini-")
    with (
        recording_server() as stand_in,
        running_app(
            tmp_path_factory.mktemp("replay"),
            OPENAI_API_KEY=OPENAI_KEY,
            OPENAI_BASE_URL=stand_in.openai_base_url,
            OPENAI_API="chat",
            OPENAI_MODELS=openai_models,
            OPENAI_DEFAULT_MODEL=openai_models[0],
            GEMINI_API_KEY=GEMINI_KEY,
            GEMINI_BASE_URL=stand_in.gemini_base_url,
            GEMINI_MODELS=gemini_models,
            GEMINI_DEFAULT_MODEL=gemini_models[0],
            PROVIDER_MAX_RETRIES=MAX_RETRIES,
            MAX_TOOL_ROUNDS=TOOL_ROUNDS,
        ) as (base_url, settings),
        httpx.Client(base_url=base_url, timeout=60) as client,
    ):
        yield Replay(stand_in, client, settings)


def _sent(replay: Replay, rec: Recording, before: int) -> list[Any]:
    return replay.stand_in.requests_for(rec.model)[before:]


def _assert_request_shape(sent: Any, agent: str) -> None:
    """The product's request: its own path and key, streamed, usage asked for, no tools."""
    assert sent.path == PATHS[agent]
    assert sent.key_digest == key_digest(KEYS[agent]), "each provider gets its own key"
    assert sent.body["stream"] is True
    assert sent.body["stream_options"] == {"include_usage": True}
    assert sent.body["messages"][-1] == {"role": "user", "content": MESSAGE}
    assert "tools" not in sent.body
    if agent == "gemini":
        # recorded 400s: Gemini's compat endpoint rejects these OpenAI-only fields
        assert "store" not in sent.body and "web_search_options" not in sent.body


def _assert_usage(run: dict[str, Any], usage: tuple[int, int] | None) -> None:
    tokens = usage or (0, 0)
    assert run["usage"] == {"input_tokens": tokens[0], "output_tokens": tokens[1]}


def _assert_streamed(outcome: Outcome, agent: str, pieces: tuple[str, ...]) -> None:
    """One delta per recorded content chunk, indexed from 0, joined = the stored output."""
    deltas = outcome.of(agent, "delta")
    assert [d.data["index"] for d in deltas] == list(range(len(deltas)))
    assert [d.data["text"] for d in deltas] == list(pieces)
    assert "".join(pieces) == outcome.run(agent)["output"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", _cases("text"))
def test_text_recording_answers_through_the_product(replay: Replay, name: str, mode: str) -> None:
    rec, agent = recording(name), _agent(recording(name))
    expected = expected_from_sse(rec)
    before = len(replay.stand_in.requests_for(rec.model))
    outcome = replay.turn(mode, {agent: rec.model})
    run = outcome.run(agent)
    assert (run["status"], run["error"], run["model"]) == ("done", None, rec.model)
    assert run["output"] == expected.text
    assert run["reasoning"] == (expected.reasoning or None), "thought parts apart"
    _assert_usage(run, expected.usage)
    assert run["attempts"] == 1
    if expected.usage is None:
        assert run["cost_usd"] is None, "no usage recorded: no made-up cost"
    if mode == "wait":
        assert outcome.answer == outcome.turn
    else:
        _assert_streamed(outcome, agent, expected.pieces)
        (done,) = outcome.of(agent, "run_done", "run_error")
        assert done.type == "run_done" and done.data["usage"] == run["usage"]
    (sent,) = _sent(replay, rec, before)
    _assert_request_shape(sent, agent)


def _attempts_for(status: int) -> int:
    """The `openai` client retries 408/409/429/5xx; the rest are final at once."""
    return MAX_RETRIES + 1 if status in (408, 409, 429) or status >= 500 else 1


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", _cases("error"))
def test_error_recording_fails_only_its_own_run(replay: Replay, name: str, mode: str) -> None:
    rec, agent = recording(name), _agent(recording(name))
    code, retryable = ERRORS[name]
    partner = "gemini" if agent == "openai" else "openai"
    partner_rec = recording(PARTNERS[agent])
    before = len(replay.stand_in.requests_for(rec.model))
    outcome = replay.turn(mode, {agent: rec.model, partner: partner_rec.model})

    failed = outcome.run(agent)
    assert (failed["status"], failed["output"]) == ("error", "")
    assert (failed["error"]["code"], failed["error"]["retryable"]) == (code, retryable)
    assert error_message(rec) in failed["error"]["message"], "the provider's own words"
    assert failed["attempts"] == _attempts_for(rec.status) == len(_sent(replay, rec, before))

    other = outcome.run(partner)
    assert (other["status"], other["output"]) == ("done", expected_from_sse(partner_rec).text)
    if mode == "streaming":
        assert outcome.of(agent, "delta") == []
        (end,) = outcome.of(agent, "run_done", "run_error")
        assert end.type == "run_error"
        assert end.data["status"] == "error" and end.data["error"] == failed["error"]
        _assert_streamed(outcome, partner, expected_from_sse(partner_rec).pieces)

    stored = replay.database_text()
    assert error_message(rec) in stored
    for text in (outcome.received, json.dumps(outcome.turn), stored):
        assert OPENAI_KEY not in text and GEMINI_KEY not in text


def test_every_error_recording_has_a_contracted_code() -> None:
    names = {rec.name for rec in recordings().values() if rec.status >= 400}
    assert names == set(ERRORS)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", _cases("tool_call"))
def test_a_call_to_a_tool_the_agent_lacks_is_an_error_result(
    replay: Replay, name: str, mode: str
) -> None:
    """These agents offer no tools, so every recorded call names an unknown tool: each is
    an `is_error` result the model reads (`tool_not_found_behavior`), never a dead run.
    The stand-in replays the same calls however the model is answered, so the run asks
    `MAX_TOOL_ROUNDS` + 1 times, then ends `max_tool_rounds`, keeping every round's
    text and the tokens the provider billed (regression: they were dropped)."""
    rec, agent = recording(name), _agent(recording(name))
    expected = expected_from_sse(rec)
    before = len(replay.stand_in.requests_for(rec.model))
    outcome = replay.turn(mode, {agent: rec.model})
    run = outcome.run(agent)
    sent = _sent(replay, rec, before)
    rounds = TOOL_ROUNDS + 1
    assert len(sent) == rounds, json.dumps(run)
    assert (run["status"], run["output"]) == ("error", expected.text * rounds)
    assert (run["error"]["code"], run["error"]["retryable"]) == ("max_tool_rounds", False)
    tokens = expected.usage or (0, 0)
    assert run["usage"] == {"input_tokens": tokens[0] * rounds, "output_tokens": tokens[1] * rounds}
    # A call id names one call: OpenAI's recorded ids come back every round (the same
    # calls, kept once); Gemini's are empty, filled in afresh in each round.
    repeats = rounds if agent == "gemini" else 1
    assert [c["name"] for c in run["tool_calls"]] == list(expected.tool_names) * repeats
    assert all(c["is_error"] and "not found" in c["output"] for c in run["tool_calls"])
    ids = [c["call_id"] for c in run["tool_calls"]]
    assert all(ids) and len(set(ids)) == len(ids), "Gemini's empty ids are filled in, uniquely"
    if mode == "streaming":
        (end,) = outcome.of(agent, "run_done", "run_error")
        assert end.type == "run_error" and end.data["error"] == run["error"]
        results = outcome.of(agent, "tool_result")
        assert [r.data["call_id"] for r in results] == [c["call_id"] for c in run["tool_calls"]]
    _assert_request_shape(sent[0], agent)
    answered = sent[1].body["messages"]
    assert [m["role"] for m in answered[-1 - len(expected.tool_names) :]] == [
        "assistant",
        *["tool"] * len(expected.tool_names),
    ], "the next request carries the calls and their error results"


@pytest.mark.parametrize("mode", MODES)
def test_refusal_is_the_answer(replay: Replay, mode: str) -> None:
    """Regression: a refusal (`delta.refusal`, no content) ended as `internal_error`,
    losing both the refusal text the user should read and the usage the provider billed.
    A refusal is the model's answer: the run is done and its output is the refusal."""
    rec = recording("openai-chat-stream-refusal-usage-01")
    expected = expected_from_sse(rec)
    assert expected.refusal and not expected.text
    outcome = replay.turn(mode, {"openai": rec.model})
    run = outcome.run("openai")
    assert (run["status"], run["error"], run["output"]) == ("done", None, expected.refusal)
    _assert_usage(run, expected.usage)
    if mode == "streaming":
        deltas = outcome.of("openai", "delta")
        assert len(deltas) > 1, "streamed as it arrived, not in one piece at the end"
        assert "".join(d.data["text"] for d in deltas) == expected.refusal
