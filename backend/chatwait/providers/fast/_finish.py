"""The end of a stream: what the SDK's `handle_stream` does after the last chunk.

In its order: a content-filtered turn with no output gets a synthesized refusal; an official
OpenAI stream without a finish reason, and a `length`-truncated one without any output, raise
`ModelBehaviorError` (usage kept on the response for the span); then the open reasoning item,
content parts and tool calls are closed and `response.completed` carries the whole response
and its usage. The provider's usage dict becomes the `openai` client's `CompletionUsage` here,
once, so the SDK's own conversion reads exactly what it reads on the stock path.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, cast

from agents.exceptions import ModelBehaviorError
from agents.models.chatcmpl_stream_handler import ChatCmplStreamHandler
from agents.models.fake_id import FAKE_RESPONSES_ID
from agents.usage import (
    _attach_raw_usage_snapshot,
    _mark_request_completed_without_usage,
    _raw_usage_snapshot,
)
from openai._models import construct_type
from openai.types.completion_usage import CompletionUsage
from openai.types.responses import (
    Response,
    ResponseCompletedEvent,
    ResponseContentPartAddedEvent,
    ResponseContentPartDoneEvent,
    ResponseFunctionCallArgumentsDeltaEvent,
    ResponseOutputItem,
    ResponseOutputItemAddedEvent,
    ResponseOutputItemDoneEvent,
    ResponseOutputMessage,
    ResponseOutputRefusal,
    ResponseRefusalDeltaEvent,
)

if TYPE_CHECKING:
    from chatwait.providers.fast._handler import ChunkHandler

CONTENT_FILTERED = "Response withheld by the provider's content filter."


def finish(handler: ChunkHandler) -> Iterator[Any]:
    """The end events (or the error the SDK's handler raises), in the SDK's order."""
    state = handler.state
    _join_pieces(handler)
    if handler.saw_content_filter and _no_output(handler):
        yield from _content_filter_refusal(handler)
    if handler.require_finish_reason and not handler.saw_finish_reason:
        _keep_usage(handler, handler.response)
        raise ModelBehaviorError(
            "Chat Completions stream ended before receiving a finish_reason for choice 0."
        )
    if handler.saw_length and _no_output(handler):
        _keep_usage(handler, handler.response)
        raise ModelBehaviorError(
            "Chat Completions stream terminated with finish_reason='length' "
            "but produced no assistant text, tool call, or refusal."
        )
    ChatCmplStreamHandler._finalize_thinking_blocks(state)
    yield from ChatCmplStreamHandler._finish_reasoning_item(state, handler.sequence)
    for part in (state.text_content_index_and_output, state.refusal_content_index_and_output):
        if part:
            yield ResponseContentPartDoneEvent(
                content_index=part[0],
                item_id=FAKE_RESPONSES_ID,
                output_index=handler.layout.assistant_message_output_index(state),
                part=part[1],
                type="response.content_part.done",
                sequence_number=handler.sequence.get_and_increment(),
            )
    yield from _close_tool_calls(handler)
    yield from _complete(handler)


def _no_output(handler: ChunkHandler) -> bool:
    state = handler.state
    return (
        state.text_content_index_and_output is None
        and state.refusal_content_index_and_output is None
        and not state.function_calls
    )


def _join_pieces(handler: ChunkHandler) -> None:
    """Put the streamed text and refusal into their parts (kept as pieces until now)."""
    state = handler.state
    if state.text_content_index_and_output and handler.text:
        part = state.text_content_index_and_output[1]
        part.text = part.text + "".join(handler.text)
    if state.refusal_content_index_and_output and handler.refusal:
        refusal = state.refusal_content_index_and_output[1]
        refusal.refusal = refusal.refusal + "".join(handler.refusal)


def _usage(handler: ChunkHandler) -> CompletionUsage | None:
    if handler.usage is None:
        return None
    return cast(CompletionUsage, construct_type(type_=CompletionUsage, value=handler.usage))


def _keep_usage(handler: ChunkHandler, response: Response) -> None:
    """Usage (or the fact of a request without it) on a response, raw snapshot included."""
    usage = _usage(handler)
    if usage is not None:
        response.usage = ChatCmplStreamHandler._build_response_usage(usage)
    else:
        _mark_request_completed_without_usage(response)
    raw = _raw_usage_snapshot(usage) if usage is not None else None
    if handler.preserve_raw_usage and raw is not None:
        _attach_raw_usage_snapshot(response, raw)


def _content_filter_refusal(handler: ChunkHandler) -> Iterator[Any]:
    """A filtered turn that produced nothing: the refusal the SDK synthesizes (index 0)."""
    state, sequence = handler.state, handler.sequence
    state.refusal_content_index_and_output = (
        0,
        ResponseOutputRefusal(refusal=CONTENT_FILTERED, type="refusal"),
    )
    item = ResponseOutputMessage(
        id=FAKE_RESPONSES_ID, content=[], role="assistant", type="message", status="in_progress"
    )
    if state.provider_data:
        item.provider_data = state.provider_data.copy()  # type: ignore[attr-defined]
    output_index = handler.layout.assistant_message_output_index(state)
    yield ResponseOutputItemAddedEvent(
        item=item,
        output_index=output_index,
        type="response.output_item.added",
        sequence_number=sequence.get_and_increment(),
    )
    yield ResponseContentPartAddedEvent(
        content_index=0,
        item_id=FAKE_RESPONSES_ID,
        output_index=output_index,
        part=ResponseOutputRefusal(refusal="", type="refusal"),
        type="response.content_part.added",
        sequence_number=sequence.get_and_increment(),
    )
    yield ResponseRefusalDeltaEvent(
        content_index=0,
        delta=CONTENT_FILTERED,
        item_id=FAKE_RESPONSES_ID,
        output_index=output_index,
        type="response.refusal.delta",
        sequence_number=sequence.get_and_increment(),
    )


def _close_tool_calls(handler: ChunkHandler) -> Iterator[Any]:
    """`output_item.done` per call; a call never announced gets all three events now."""
    state, sequence = handler.state, handler.sequence
    for index, call in state.function_calls.items():
        output_index = handler.layout.function_call_output_index(state, index)
        item = ChatCmplStreamHandler._function_call_item(state, call, arguments=call.arguments)
        if not state.function_call_streaming.get(index, False):
            yield ResponseOutputItemAddedEvent(
                item=item,
                output_index=output_index,
                type="response.output_item.added",
                sequence_number=sequence.get_and_increment(),
            )
            yield ResponseFunctionCallArgumentsDeltaEvent(
                delta=call.arguments,
                item_id=FAKE_RESPONSES_ID,
                output_index=output_index,
                type="response.function_call_arguments.delta",
                sequence_number=sequence.get_and_increment(),
            )
        yield ResponseOutputItemDoneEvent(
            item=item,
            output_index=output_index,
            type="response.output_item.done",
            sequence_number=sequence.get_and_increment(),
        )


def _complete(handler: ChunkHandler) -> Iterator[Any]:
    """The assistant message's `output_item.done`, then `response.completed`."""
    state, layout = handler.state, handler.layout
    outputs: list[ResponseOutputItem] = []
    if state.reasoning_content_index_and_output:
        outputs.append(state.reasoning_content_index_and_output[1])
    outputs.extend(layout.function_calls_before_message(state))
    if state.text_content_index_and_output or state.refusal_content_index_and_output:
        message = _completed_message(handler)
        outputs.append(message)
        yield ResponseOutputItemDoneEvent(
            item=message,
            output_index=layout.assistant_message_output_index(state),
            type="response.output_item.done",
            sequence_number=handler.sequence.get_and_increment(),
        )
    outputs.extend(layout.function_calls_after_message(state))
    yield ResponseCompletedEvent(
        response=_final_response(handler, outputs),
        type="response.completed",
        sequence_number=handler.sequence.get_and_increment(),
    )


def _final_response(handler: ChunkHandler, outputs: list[ResponseOutputItem]) -> Response:
    """The whole response and its usage."""
    final = handler.response.model_copy()
    final.output = outputs
    usage = _usage(handler)
    final.usage = ChatCmplStreamHandler._build_response_usage(usage)
    if handler.preserve_raw_usage:
        _attach_raw_usage_snapshot(final, _raw_usage_snapshot(usage))
    if usage is None:
        _mark_request_completed_without_usage(final)
    return final


def _completed_message(handler: ChunkHandler) -> ResponseOutputMessage:
    """The assistant message with its parts in the content-index order already announced."""
    state = handler.state
    message = ResponseOutputMessage(
        id=FAKE_RESPONSES_ID, content=[], role="assistant", type="message", status="completed"
    )
    if state.provider_data:
        message.provider_data = state.provider_data.copy()  # type: ignore[attr-defined]
    parts: list[tuple[int, Any]] = [
        part
        for part in (state.text_content_index_and_output, state.refusal_content_index_and_output)
        if part
    ]
    parts.sort(key=lambda entry: entry[0])
    message.content.extend(part for _, part in parts)
    return message
