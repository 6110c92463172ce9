"""Differential: the fast model (`PROVIDER_CLIENT=fast`) against the stock one, over real HTTP.

Two ChatWait apps, identical but for `PROVIDER_CLIENT`, each with an offline provider of its
own (so `fault-flaky-K` counts each app's attempts alone), share the recordings stand-in
(`tests/support/recordings.py`) and the hand-made streams (`_streams.py`). Every recording,
every offline fault model and every hand-made stream is run through both, in both modes,
and must give:

- the same SSE events (seq, type, payload) and the same stored run (text, usage, cost,
  status, error code, message and retryability, attempts);
- the same request at the provider (body, headers, except the transport's own);
- through the SDK alone: the same events from one model call (exact sequence, error type,
  message, body and its `openai`/`httpx2` cause chain, attempts) and the same `Runner`
  result (final output, items, raw responses, usage, or the exception).

Normalised, because they are random or timings by nature: run, turn and conversation ids
(uuid4; mapped to their order of appearance, so sameness is still checked); `latency_ms`,
`ttft_ms`, the turn's `created_at` and a tool call's `started_at` / `ended_at` (wall
clock); the SDK `Response.created_at` (`time.time()`); and, for the offline provider
only, the completion id (`chatcmpl-` and random hex, kept by the SDK as
`provider_data.response_id`). The provider key differs per
app, so each app's requests are told apart; the key never reaches a row or an event.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx
import pydantic
import pytest
from agents import ModelSettings, RunConfig, Runner
from agents.models.interface import ModelTracing

from chatwait.providers import track_attempts
from chatwait.providers.base import Provider
from chatwait.sim import SimConfig, create_sim_app
from tests.providers._streams import STREAMS, StreamServer, model_name, stream_server
from tests.support.app import running_app
from tests.support.recordings import RecordingServer, key_digest, recording_server, recordings
from tests.support.servers import serve_in_thread
from tests.support.sse import Event, read_stream

KINDS = ("sdk", "fast")
KEYS = {kind: f"sk-differential-{kind}-0123456789abcdef" for kind in KINDS}
RETRIES = 2
TIMEOUT = 1.0
SIM = SimConfig(ttft_ms=5, tokens_per_second=400, answer_tokens=24, retry_after_seconds=0.2)
OFFLINE = (
    "offline-1",
    "offline-2",
    "fault-429",
    "fault-500",
    "fault-401",
    "fault-hang",
    "fault-malformed",
    "fault-drop-after-0",
    "fault-drop-after-3",
    f"fault-flaky-{RETRIES}",
    f"fault-flaky-{RETRIES + 1}",
)
_TIMINGS = frozenset({"latency_ms", "ttft_ms", "created_at", "started_at", "ended_at"})
_IDS = frozenset({"run_id", "turn_id", "conversation_id"})
_TRANSPORT_HEADERS = frozenset(
    {"host", "content-length", "accept-encoding", "connection", "authorization"}
)


@dataclass(frozen=True)
class Case:
    agent: str
    model: str

    @property
    def offline(self) -> bool:
        return self.agent == "offline"


def _cases() -> list[Case]:
    cases = [
        Case("gemini" if rec.name.startswith("gemini-") else "openai", rec.model)
        for rec in recordings().values()
    ]
    cases += [Case("offline", model) for model in OFFLINE]
    return cases + [Case("synthetic", model_name(name)) for name in STREAMS]


CASES = _cases()


@dataclass
class Arm:
    """One app (and what it is pointed at) for one `PROVIDER_CLIENT`."""

    kind: str
    client: httpx.Client
    offline_url: str


@dataclass
class Pair:
    arms: dict[str, Arm]
    stand_in: RecordingServer
    streams: StreamServer


def _settings(kind: str, stand_in: RecordingServer, streams: StreamServer, offline: str) -> dict:
    openai_models = [r.model for r in recordings().values() if not r.name.startswith("gemini-")]
    gemini_models = [r.model for r in recordings().values() if r.name.startswith("gemini-")]
    synthetic = {
        "name": "synthetic",
        "base_url": f"{streams.url}/v1",
        "models": [model_name(name) for name in STREAMS],
        "api_key": KEYS[kind],
    }
    return {
        "PROVIDER_CLIENT": kind,
        "OPENAI_API_KEY": KEYS[kind],
        "OPENAI_BASE_URL": stand_in.openai_base_url,
        "OPENAI_API": "chat",
        "OPENAI_MODELS": openai_models,
        "OPENAI_DEFAULT_MODEL": openai_models[0],
        "GEMINI_API_KEY": KEYS[kind],
        "GEMINI_BASE_URL": stand_in.gemini_base_url,
        "GEMINI_MODELS": gemini_models,
        "GEMINI_DEFAULT_MODEL": gemini_models[0],
        "OFFLINE_BASE_URL": offline,
        "COMPATIBLE_PROVIDERS": [synthetic],
        "PROVIDER_MAX_RETRIES": RETRIES,
        "PROVIDER_TIMEOUT_SECONDS": TIMEOUT,
    }


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    with (
        recording_server() as stand_in,
        stream_server() as streams,
        serve_in_thread(create_sim_app(SIM)) as sim_sdk,
        serve_in_thread(create_sim_app(SIM)) as sim_fast,
    ):
        offline = {"sdk": f"{sim_sdk}/v1", "fast": f"{sim_fast}/v1"}
        with (
            running_app(
                tmp_path_factory.mktemp("sdk"),
                **_settings("sdk", stand_in, streams, offline["sdk"]),
            ) as (sdk_url, _),
            running_app(
                tmp_path_factory.mktemp("fast"),
                **_settings("fast", stand_in, streams, offline["fast"]),
            ) as (fast_url, _),
            httpx.Client(base_url=sdk_url, timeout=60) as sdk_client,
            httpx.Client(base_url=fast_url, timeout=60) as fast_client,
        ):
            arms = {
                "sdk": Arm("sdk", sdk_client, offline["sdk"]),
                "fast": Arm("fast", fast_client, offline["fast"]),
            }
            yield Pair(arms, stand_in, streams)


def _normal(value: Any, ids: dict[str, int]) -> Any:
    """`value` with random ids numbered by first appearance and timings left out."""
    if isinstance(value, dict):
        return {
            k: f"<id {ids.setdefault(v, len(ids))}>" if k in _IDS else _normal(v, ids)
            for k, v in value.items()
            if k not in _TIMINGS
        }
    if isinstance(value, list):
        return [_normal(v, ids) for v in value]
    return value


def _both(work: Any, *args: Any) -> dict[str, Any]:
    """`work(kind, *args)` for both kinds at once (each against its own app and sim)."""
    with ThreadPoolExecutor(max_workers=len(KINDS)) as pool:
        futures = {kind: pool.submit(work, kind, *args) for kind in KINDS}
        return {kind: future.result() for kind, future in futures.items()}


def _turn(arm: Arm, case: Case, mode: str) -> dict[str, Any]:
    body = {
        "message": f"Differential {mode} {case.model}",
        "agents": [case.agent],
        "models": {case.agent: case.model},
    }
    if mode == "wait":
        answer = arm.client.post("/chat/wait", json=body)
        assert answer.status_code == 200, answer.text
        turn_id = answer.json()["turn_id"]
        events = read_stream(arm.client, "GET", f"/chat/streaming/{turn_id}")
    else:
        events = read_stream(arm.client, "POST", "/chat/streaming", json_body=body)
        turn_id = events[0].data["turn_id"]
    stored = arm.client.get(f"/chat/turns/{turn_id}").json()
    ids: dict[str, int] = {}
    seen = [(e.seq, e.type, _normal(e.data, ids)) for e in events]
    return {"events": seen, "stored": _normal(stored, ids), "raw": _raw_text(events, stored)}


def _raw_text(events: list[Event], stored: dict[str, Any]) -> str:
    return json.dumps([e.data for e in events]) + json.dumps(stored)


def _sent(pair: Pair, case: Case, kind: str) -> list[Any]:
    """What the provider stand-ins were sent by `kind`'s app for this case."""
    if case.agent == "synthetic":
        return [
            ({k: v for k, v in headers.items() if k not in _TRANSPORT_HEADERS}, body)
            for headers, body in pair.streams.requests_for(case.model)
            if headers.get("authorization") == f"Bearer {KEYS[kind]}"
        ]
    return [
        (r.path, {k: v for k, v in r.headers.items() if k not in _TRANSPORT_HEADERS}, r.body)
        for r in pair.stand_in.requests_for(case.model)
        if r.key_digest == key_digest(KEYS[kind])
    ]


@pytest.mark.parametrize("mode", ["wait", "streaming"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.model)
def test_the_product_answers_the_same_with_either_model(pair: Pair, case: Case, mode: str) -> None:
    before = {kind: len(_sent(pair, case, kind)) for kind in KINDS}
    outcome = _both(lambda kind: _turn(pair.arms[kind], case, mode))
    assert outcome["fast"]["events"] == outcome["sdk"]["events"]
    assert outcome["fast"]["stored"] == outcome["sdk"]["stored"]
    sent = {kind: _sent(pair, case, kind)[before[kind] :] for kind in KINDS}
    assert sent["fast"] == sent["sdk"]
    if not case.offline:
        assert sent["sdk"], "the stand-in saw the request"
    for kind in KINDS:
        assert all(key not in outcome[kind]["raw"] for key in KEYS.values())


class SdkArm:
    """One event loop (in a thread of its own) and one `Provider` per agent, for one kind.

    Built once for the module: a provider's clients belong to the loop that first used
    them, and building them per case would cost more than the cases.
    """

    def __init__(self, pair: Pair, kind: str) -> None:
        self.kind = kind
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()
        urls = {
            "openai": pair.stand_in.openai_base_url,
            "gemini": pair.stand_in.gemini_base_url,
            "synthetic": f"{pair.streams.url}/v1",
            "offline": pair.arms[kind].offline_url,
        }
        self.providers = {
            agent: Provider(
                name=agent,
                base_url=url,
                api_key=KEYS[kind],
                models=(),
                default_model="",
                timeout=TIMEOUT,
                max_retries=RETRIES,
                client_kind=kind,  # type: ignore[arg-type]
            )
            for agent, url in urls.items()
        }

    def run(self, work: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(timeout=120)

    def close(self) -> None:
        for provider in self.providers.values():
            self.run(provider.aclose())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()


@pytest.fixture(scope="module")
def sdk_arms(pair: Pair) -> Iterator[dict[str, SdkArm]]:
    arms = {kind: SdkArm(pair, kind) for kind in KINDS}
    try:
        yield arms
    finally:
        for arm in arms.values():
            arm.close()


def _dump(value: Any, case: Case) -> Any:
    if isinstance(value, pydantic.BaseModel):
        value = value.model_dump()
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {k: "<random>" if _random(k, v, case) else _dump(v, case) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_dump(v, case) for v in value]
    return value


def _random(key: str, value: Any, case: Case) -> bool:
    return key == "created_at" or (case.offline and key == "response_id" and value is not None)


def _failure(exc: BaseException, key: str) -> dict[str, Any]:
    """The exception as compared; each arm's own key (echoed by `fault-401`) as `<key>`."""
    return json.loads(json.dumps(_exception(exc)).replace(key, "<key>"))


def _exception(exc: BaseException) -> dict[str, Any]:
    chain, cause = [], exc.__cause__
    while cause is not None:
        if type(cause).__module__.split(".")[0] in ("openai", "httpx2"):
            chain.append(type(cause).__qualname__)
        cause = cause.__cause__
    return {
        "type": type(exc).__qualname__,
        "message": str(exc),
        "status": getattr(exc, "status_code", None),
        "body": getattr(exc, "body", None),
        "chain": chain,
    }


async def _model_call(arm: SdkArm, case: Case) -> dict[str, Any]:
    """One model call: every event it yields, its failure, the attempts it took."""
    provider = arm.providers[case.agent]
    attempts = track_attempts()
    events, failure = [], None
    model = provider.chat_model(case.model)
    try:
        async for event in model.stream_response(
            "Answer briefly.",
            [{"role": "user", "content": f"Model call {case.model}"}],
            ModelSettings(include_usage=True),
            [],
            None,
            [],
            ModelTracing.DISABLED,
        ):
            events.append(_dump(event, case))
    except Exception as exc:  # noqa: BLE001 - the failure is what is compared
        failure = _failure(exc, KEYS[arm.kind])
    return {"events": events, "failure": failure, "attempts": attempts.count}


async def _run(arm: SdkArm, case: Case) -> dict[str, Any]:
    """A whole `Runner` run with the agent as ChatWait builds it."""
    provider = arm.providers[case.agent]
    attempts = track_attempts()
    agent = provider.build_agent(agent_name="differential", model=case.model, instructions="Hi.")
    result = Runner.run_streamed(
        agent,
        [{"role": "user", "content": f"Runner {case.model}"}],
        run_config=RunConfig(tracing_disabled=True),
    )
    failure = None
    try:
        async for _event in result.stream_events():
            pass
    except Exception as exc:  # noqa: BLE001 - the failure is what is compared
        failure = _failure(exc, KEYS[arm.kind])
    return {
        "failure": failure,
        "final_output": _dump(result.final_output, case),
        "items": [_dump(item.raw_item, case) for item in result.new_items],
        "responses": [_dump(r, case) for r in result.raw_responses],
        "usage": _dump(result.context_wrapper.usage, case),
        "attempts": attempts.count,
    }


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.model)
def test_the_sdk_sees_the_same_with_either_model(sdk_arms: dict[str, SdkArm], case: Case) -> None:
    calls = _both(lambda kind: sdk_arms[kind].run(_model_call(sdk_arms[kind], case)))
    assert calls["fast"] == calls["sdk"]
    runs = _both(lambda kind: sdk_arms[kind].run(_run(sdk_arms[kind], case)))
    assert runs["fast"] == runs["sdk"]
