"""The turn events in the OpenAPI document: one SSE event per type, its `data` fields.

`text/event-stream` has no schema of its own in OpenAPI 3.1, so the media type's schema
describes one event (`id`, `event`, `data` as JSON) as a `oneOf` over the event types.
The prose, resume rules included, is `specs/sse.md`.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class RunStartedData(BaseModel):
    run_id: str


class DeltaData(BaseModel):
    run_id: str
    index: int = Field(description="0-based per run, no gaps; joined in order: `output`.")
    text: str


class ReasoningData(BaseModel):
    run_id: str
    index: int = Field(description="0-based per run, apart from the deltas' index.")
    text: str = Field(description="A chunk of reasoning; joined in order: the run's `reasoning`.")


class ToolCallData(BaseModel):
    run_id: str
    call_id: str = Field(description="Unique within the run; its `tool_result` has it too.")
    name: str
    arguments: str = Field(description="JSON text, as the model wrote it.")


class ToolResultData(BaseModel):
    run_id: str
    call_id: str
    output: str = Field(description="Cut to TOOL_OUTPUT_MAX_BYTES, marked where cut.")
    is_error: bool = Field(
        description="The tool failed, timed out, was unknown or its server was down."
    )


class TurnDoneData(BaseModel):
    turn_id: str
    status: str = Field(description="done | cancelled | interrupted")


_REF_FIELDS = ("run_id", "agent", "provider", "model")
_RUN = {"$ref": "#/components/schemas/RunRecord"}
_RUN_END = {
    "allOf": [_RUN],
    "description": "The run without `output`, `tool_calls` and `reasoning` (streamed apart).",
}
_TURN_STARTED = {
    "type": "object",
    "properties": {
        "turn_id": {"type": "string"},
        "conversation_id": {"type": "string"},
        "runs": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    k: {"type": "string"} for k in ("run_id", "agent", "provider", "model")
                },
            },
        },
    },
}
_DATA: dict[str, dict[str, Any]] = {
    "turn_started": _TURN_STARTED,
    "run_started": RunStartedData.model_json_schema(),
    "delta": DeltaData.model_json_schema(),
    "reasoning": ReasoningData.model_json_schema(),
    "tool_call": ToolCallData.model_json_schema(),
    "tool_result": ToolResultData.model_json_schema(),
    "run_done": _RUN_END,
    "run_error": _RUN_END,
    "turn_done": TurnDoneData.model_json_schema(),
}


def _event(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": kind,
        "type": "object",
        "required": ["id", "event", "data"],
        "properties": {
            "id": {
                "type": "string",
                "pattern": "^[1-9][0-9]*$",
                "description": "The turn's seq: 1, 2, 3, … no gaps (an SSE id is text).",
            },
            "event": {"const": kind},
            "data": {
                "type": "string",
                "contentMediaType": "application/json",
                "contentSchema": data,
            },
        },
    }


TURN_EVENT_STREAM: dict[str, Any] = {
    "description": "One event of the stream (see specs/sse.md); `data` is one line of JSON.",
    "oneOf": [_event(kind, data) for kind, data in _DATA.items()],
}
"""The schema of `text/event-stream` turn responses."""
