"""API keys never leave the process: not in a log line, an error, an event or a row.

A real `chatwait` process with recognisable fake keys for OpenAI, Gemini and a
compatible provider, all pointed at a separate offline-provider process whose
`fault-401` model echoes the bearer key it received (as real providers do in their
error text). Every provider runs every fault, in both modes, with DEBUG logging. Then
everything a client or an operator can see is searched for the keys: each response
body, the raw SSE bytes, the turn and conversation views, `/models`, the OpenAPI
document, the server's whole stdout and stderr, and every column of every row.

The search cannot pass vacuously: the 401 errors must show the echoed key redacted.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.reliability._db import dump_tables
from tests.reliability._figures import record_figure
from tests.support.databases import throwaway_database
from tests.support.processes import ChildServer, chatwait_server, sim_server

CANARY = "LEAKCANARY"
OPENAI_KEY = f"sk-test-{CANARY}-{secrets.token_hex(12)}"
GEMINI_KEY = f"AIza{CANARY}{secrets.token_hex(13)[:25]}"
COMPATIBLE_KEY = f"local-{CANARY}-{secrets.token_hex(8)}"
KEYS = (OPENAI_KEY, GEMINI_KEY, COMPATIBLE_KEY)
FAULTS = ["fault-401", "fault-500", "fault-429", "fault-malformed", "fault-drop-after-3"]
MODELS = ["offline-1", *FAULTS]
AGENTS = ["openai", "gemini", "local"]


@dataclass
class Seen:
    """Everything the test saw over HTTP, to be searched afterwards."""

    texts: list[str] = field(default_factory=list)
    run_errors: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def keyed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ChildServer, str]]:
    directory: Path = tmp_path_factory.mktemp("secrets")
    with sim_server(directory / "sim") as sim, throwaway_database(directory) as database:
        upstream = f"{sim.base_url}/v1"
        compatible = [
            {"name": "local", "base_url": upstream, "api_key": COMPATIBLE_KEY, "models": MODELS}
        ]
        with chatwait_server(
            directory / "server",
            database,
            LOG_LEVEL="DEBUG",
            OPENAI_API_KEY=OPENAI_KEY,
            OPENAI_BASE_URL=upstream,
            OPENAI_API="chat",
            OPENAI_MODELS=json.dumps(MODELS),
            OPENAI_DEFAULT_MODEL="offline-1",
            GEMINI_API_KEY=GEMINI_KEY,
            GEMINI_BASE_URL=upstream,
            GEMINI_MODELS=json.dumps(MODELS),
            GEMINI_DEFAULT_MODEL="offline-1",
            COMPATIBLE_PROVIDERS=json.dumps(compatible),
            PROVIDER_MAX_RETRIES=1,
        ) as server:
            yield server, database


def _exercise(client: httpx.Client, seen: Seen) -> None:
    for model in MODELS:
        body = {"message": f"try {model}", "agents": AGENTS, "models": dict.fromkeys(AGENTS, model)}
        waited = client.post("/chat/wait", json=body)
        assert waited.status_code == 200, waited.text
        seen.texts.append(waited.text)
        seen.run_errors += [json.dumps(r["error"]) for r in waited.json()["runs"] if r["error"]]
        with client.stream("POST", "/chat/streaming", json=body) as stream:
            turn_id = stream.headers["x-turn-id"]
            seen.texts.append(stream.read().decode("utf-8"))
        streamed = client.get(f"/chat/turns/{turn_id}")
        seen.texts += [streamed.text, client.get(f"/chat/streaming/{turn_id}").text]
        seen.run_errors += [json.dumps(r["error"]) for r in streamed.json()["runs"] if r["error"]]
        conversation = waited.json()["conversation_id"]
        seen.texts.append(client.get(f"/conversations/{conversation}").text)
    for path in ("/models", "/openapi.json", "/healthz", "/conversations?limit=100"):
        seen.texts.append(client.get(path).text)


def _leaks(text: str) -> list[str]:
    return [key for key in (*KEYS, CANARY) if key in text]


def test_keys_appear_nowhere(keyed_server: tuple[ChildServer, str]) -> None:
    server, database = keyed_server
    seen = Seen()
    with httpx.Client(base_url=server.base_url, timeout=60) as client:
        _exercise(client, seen)

    auth_errors = [e for e in seen.run_errors if '"auth_error"' in e]
    assert len(auth_errors) == 2 * len(AGENTS), "each provider's 401 in both modes"
    assert all("Incorrect API key provided: [redacted]" in e for e in auth_errors), auth_errors

    for text in seen.texts:
        assert not _leaks(text), f"a key in an HTTP answer: {text[:300]}"
    log = server.log_text()
    assert "chatwait.access" in log, "the server log was captured"
    leaking = [line for line in log.splitlines() if _leaks(line)]
    assert not leaking, f"a key in the server log: {leaking[:3]}"
    tables = dump_tables(database)
    for table, rows in tables.items():
        for row in rows:
            assert not _leaks(json.dumps(row, default=str)), f"a key in table {table}: {row}"
    record_figure("provider failures searched for leaked keys (none found)", len(seen.run_errors))
