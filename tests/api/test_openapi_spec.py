"""`specs/openapi.json` is the app's own OpenAPI document, not a stale copy."""

from __future__ import annotations

import json
from pathlib import Path

from chatwait.api import create_app
from chatwait.config import Settings

SPEC = Path(__file__).resolve().parents[2] / "specs" / "openapi.json"


def test_exported_openapi_is_current() -> None:
    app = create_app(Settings(_env_file=None, CHATWAIT_UI=False))  # type: ignore[call-arg]
    assert json.loads(SPEC.read_text(encoding="utf-8")) == app.openapi(), (
        "regenerate with: uv run chatwait openapi --out specs/openapi.json"
    )


def test_the_stream_documents_every_event_and_runs_their_tool_calls() -> None:
    spec = create_app(Settings(_env_file=None, CHATWAIT_UI=False)).openapi()  # type: ignore[call-arg]
    for path, method in (("/chat/streaming", "post"), ("/chat/streaming/{turn_id}", "get")):
        content = spec["paths"][path][method]["responses"]["200"]["content"]
        events = {e["title"]: e for e in content["text/event-stream"]["schema"]["oneOf"]}
        assert {"tool_call", "tool_result", "reasoning", "delta", "run_done"} <= set(events)
        result = events["tool_result"]["properties"]["data"]["contentSchema"]["properties"]
        assert set(result) == {"run_id", "call_id", "output", "is_error"}
    run = spec["components"]["schemas"]["RunRecord"]["properties"]
    assert {"tool_calls", "reasoning"} <= set(run)
    call = spec["components"]["schemas"]["ToolCallRecord"]["properties"]
    assert set(call) == {
        "call_id",
        "name",
        "arguments",
        "output",
        "is_error",
        "started_at",
        "ended_at",
    }
