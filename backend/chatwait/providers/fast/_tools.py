"""Tool-call deltas: the tool-call branch of the SDK's `ChatCmplStreamHandler.handle_stream`.

Parallel calls are told apart by `index`; a call is announced (`response.output_item.added`)
once it has both a name and a call id, and its argument deltas stream from then on. Gemini's
thought signatures (`extra_content.google` on its compatible endpoint, LiteLLM's
`provider_specific_fields`) are kept on the call's provider data for replay, as the SDK does.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from agents.exceptions import UserError
from agents.models.chatcmpl_helpers import ChatCmplHelpers
from agents.models.chatcmpl_stream_handler import ChatCmplStreamHandler
from agents.models.fake_id import FAKE_RESPONSES_ID
from openai.types.responses import ResponseFunctionToolCall, ResponseOutputItemAddedEvent

from chatwait.providers.fast._unvalidated import arguments_delta

if TYPE_CHECKING:
    from chatwait.providers.fast._handler import ChunkHandler


def feed(handler: ChunkHandler, tool_calls: Any) -> Iterator[Any]:
    """Apply one chunk's `delta.tool_calls`, yielding the events they make."""
    state = handler.state
    for delta in tool_calls:
        index = delta.get("index")
        if index in state.ignored_tool_call_indexes:
            continue
        if delta.get("type") == "custom":
            if handler.strict:
                raise UserError(
                    "Custom tool calls are not supported by the Chat Completions converter"
                )
            state.ignored_tool_call_indexes.add(index)
            continue
        function = delta.get("function")
        call = _accumulate(handler, index, delta, function)
        if not state.function_call_streaming[index] and call.name and call.call_id:
            state.function_call_streaming[index] = True
            yield ResponseOutputItemAddedEvent(
                item=ChatCmplStreamHandler._function_call_item(state, call, arguments=""),
                output_index=handler.layout.function_call_output_index(state, index),
                type="response.output_item.added",
                sequence_number=handler.sequence.get_and_increment(),
            )
        if (
            state.function_call_streaming.get(index, False)
            and function
            and function.get("arguments")
        ):
            yield arguments_delta(
                delta=function["arguments"],
                item_id=FAKE_RESPONSES_ID,
                output_index=handler.layout.function_call_output_index(state, index),
                type="response.function_call_arguments.delta",
                sequence_number=handler.sequence.get_and_increment(),
            )


def _accumulate(
    handler: ChunkHandler, index: Any, delta: dict[str, Any], function: Any
) -> ResponseFunctionToolCall:
    """The call at `index` with this delta's name, id, arguments and provider data applied."""
    state = handler.state
    if index not in state.function_calls:
        state.function_calls[index] = ResponseFunctionToolCall(
            id=FAKE_RESPONSES_ID, arguments="", name="", type="function_call", call_id=""
        )
        state.function_call_streaming[index] = False
    call = state.function_calls[index]
    arguments = (function.get("arguments") if function else "") or ""
    call.__dict__["arguments"] = call.arguments + arguments  # a field already set: no checks
    if function and function.get("name"):
        call.name = function["name"]
    if delta.get("id"):
        call.call_id = ChatCmplHelpers.clean_gemini_tool_call_id(delta["id"], handler.model)
    if not hasattr(call, "provider_data") and state.provider_data:
        call.provider_data = state.provider_data.copy()  # type: ignore[attr-defined]
    signature = _thought_signature(handler.model, delta)
    if signature:
        provider_data = state.provider_data.copy() if state.provider_data else {}
        provider_data["thought_signature"] = signature
        call.provider_data = provider_data  # type: ignore[attr-defined]
    return call


def _thought_signature(model: str, delta: dict[str, Any]) -> Any:
    """Gemini's thought signature, the later of the two places the SDK reads it from."""
    signature = None
    fields = delta.get("provider_specific_fields")
    if fields and model and "gemini" in model.lower() and isinstance(fields, dict):
        signature = fields.get("thought_signature") or signature
    extra = delta.get("extra_content")
    if extra and isinstance(extra, dict):
        google = extra.get("google")
        if google and isinstance(google, dict):
            signature = google.get("thought_signature") or signature
    return signature
