"""Chat Completions chunks (plain dicts) to the SDK's Responses-style stream events.

A port of the Agents SDK's `ChatCmplStreamHandler.handle_stream` (0.24, the variant
`OpenAIChatCompletionsModel` runs: `raise_on_length_truncation=True`), reading the chunk
dicts `_sse.py` parses instead of `ChatCompletionChunk` objects. The events, their order,
indexes, provider data and the final `Response` are the SDK's: it reuses the SDK's own
`StreamingState`, output layout, sequence numbers and its helpers for everything that happens
once per stream (reasoning item end, tool call items, usage), and builds the once-per-stream
events validated, as the SDK does. Only the per-token events are built unvalidated
(`_unvalidated.py`), and text and refusal pieces are joined once at the end instead of
re-concatenated per token (the parts holding them are not shown to anyone before the end).
Where the SDK reads an attribute of a loosely built chunk (missing = None), this reads
`dict.get`, so the same odd shapes take the same branches; a chunk that is not an object
fails as the SDK's does (`AttributeError`). Tool-call deltas are in `_tools.py`, the end of
the stream in `_finish.py`. The differential test (`tests/providers/test_fast_model.py`)
holds both to the same output.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any, cast

from agents.exceptions import AgentsException, UserError
from agents.items import TResponseStreamEvent
from agents.logger import logger
from agents.models.chatcmpl_helpers import ChatCmplHelpers
from agents.models.chatcmpl_stream_handler import (
    ChatCmplStreamHandler,
    SequenceNumber,
    StreamingState,
    _StreamOutputLayout,
)
from agents.models.fake_id import FAKE_RESPONSES_ID
from agents.models.reasoning_content_replay import _CHAT_COMPLETIONS_REASONING_FIELD_KEY
from openai._models import construct_type
from openai.types.chat.chat_completion_chunk import ChoiceLogprobs
from openai.types.responses import (
    Response,
    ResponseContentPartAddedEvent,
    ResponseCreatedEvent,
    ResponseOutputItemAddedEvent,
    ResponseOutputMessage,
    ResponseOutputRefusal,
    ResponseOutputText,
    ResponseReasoningItem,
    ResponseReasoningSummaryPartAddedEvent,
)
from openai.types.responses.response_reasoning_item import Content, Summary
from openai.types.responses.response_reasoning_summary_part_added_event import (
    Part as AddedEventPart,
)

from chatwait.providers.fast import _finish, _tools
from chatwait.providers.fast._unvalidated import (
    reasoning_text_delta,
    refusal_delta,
    summary_text_delta,
    text_delta,
)

_MULTIPLE_CHOICES = (
    "Chat Completions streaming with multiple choices or nonzero choice indexes "
    "is not fully supported; only choice index 0 can be processed."
)


class ChunkHandler:
    """The state of one streamed model call; `feed` each chunk, then `finish`."""

    def __init__(
        self,
        response: Response,
        *,
        model: str,
        strict_feature_validation: bool,
        require_finish_reason: bool,
        preserve_raw_usage: bool,
    ) -> None:
        self.response = response
        self.model = model
        self.strict = strict_feature_validation
        self.require_finish_reason = require_finish_reason
        self.preserve_raw_usage = preserve_raw_usage
        self.state = StreamingState()
        self.layout = _StreamOutputLayout()
        self.sequence = SequenceNumber()  # type: ignore[no-untyped-call]  # the SDK's, untyped
        self.usage: Any = None
        """The last `usage` a chunk carried (Gemini sends one on every chunk)."""
        self.text: list[str] = []
        self.refusal: list[str] = []
        self.saw_content_filter = self.saw_length = self.saw_finish_reason = False

    def feed(self, chunk: Any) -> Iterator[TResponseStreamEvent]:
        """The events of one chunk, yielded as the SDK yields them (before later mutations)."""
        state = self.state
        if not state.started:
            state.started = True
            yield ResponseCreatedEvent(
                response=self.response,
                type="response.created",
                sequence_number=self.sequence.get_and_increment(),
            )
        if not isinstance(chunk, dict):
            raise AttributeError(f"'{type(chunk).__name__}' object has no attribute 'choices'")
        usage = chunk.get("usage")
        if usage is not None:
            self.usage = usage
        choices = chunk.get("choices")
        if not choices:
            return
        choice = self._choice_zero(choices)
        if choice is None:
            return
        finish_reason = choice.get("finish_reason")
        if finish_reason is not None:
            self.saw_finish_reason = True
            if finish_reason == "content_filter":
                self.saw_content_filter = True
            elif finish_reason == "length":
                self.saw_length = True
        delta = choice.get("delta")
        if not delta and not isinstance(delta, dict):
            return
        self._provider_data(chunk)
        yield from self._delta(delta, choice)

    def _choice_zero(self, choices: list[Any]) -> dict[str, Any] | None:
        """Choice 0, warning (once) or raising (strict) when there are others."""
        if len(choices) == 1 and choices[0].get("index") == 0:
            return choices[0]  # type: ignore[no-any-return]
        if len(choices) > 1 or any(c.get("index") != 0 for c in choices):
            if self.strict:
                raise UserError(_MULTIPLE_CHOICES)
            if not self.state.has_warned_unsupported_choice:
                logger.warning(
                    "%s Ignoring the other choices; enable strict feature validation to "
                    "raise an error instead.",
                    _MULTIPLE_CHOICES,
                )
                self.state.has_warned_unsupported_choice = True
        return next((c for c in choices if c.get("index") == 0), None)

    def _provider_data(self, chunk: dict[str, Any]) -> None:
        provider_data = self.state.provider_data
        if self.model:
            provider_data["model"] = self.model
        elif chunk.get("model"):
            provider_data["model"] = chunk["model"]
        if chunk.get("id"):
            provider_data["response_id"] = chunk["id"]

    def _delta(self, delta: dict[str, Any], choice: dict[str, Any]) -> Iterator[Any]:
        state = self.state
        if delta.get("audio"):
            raise AgentsException("Audio is not currently supported")
        if delta.get("thinking_blocks"):
            yield from self._thinking_blocks(delta["thinking_blocks"])
        reasoning_content = delta.get("reasoning_content")
        if reasoning_content is not None:
            yield from self._reasoning_content(reasoning_content)
        if "reasoning" in delta:
            yield from self._reasoning(delta["reasoning"])
        content, refusal = delta.get("content"), delta.get("refusal")
        tool_calls = delta.get("tool_calls")
        if (
            state.reasoning_content_index_and_output
            and state.active_reasoning_summary_index is not None
            and not reasoning_content
            and (content is not None or refusal or bool(tool_calls))
        ):
            yield from ChatCmplStreamHandler._finish_reasoning_summary_part(state, self.sequence)
        if content is not None and (state.text_content_index_and_output or content != ""):
            yield from self._content(content, choice.get("logprobs"))
        if state.text_content_index_and_output and delta.get("annotations"):
            state.text_content_index_and_output[1].annotations.extend(
                ChatCmplHelpers.convert_url_citations(delta["annotations"])
            )
        if refusal:
            yield from self._refusal(refusal)
        if tool_calls:
            yield from _tools.feed(self, tool_calls)

    def _new_reasoning_item(self, **fields: Any) -> ResponseReasoningItem:
        """Open the reasoning item (output 0) and announce it."""
        item = ResponseReasoningItem(id=FAKE_RESPONSES_ID, summary=[], type="reasoning", **fields)
        self.state.reasoning_content_index_and_output = (0, item)
        return item

    def _announce(self, item: Any, output_index: int) -> ResponseOutputItemAddedEvent:
        return ResponseOutputItemAddedEvent(
            item=item,
            output_index=output_index,
            type="response.output_item.added",
            sequence_number=self.sequence.get_and_increment(),
        )

    def _thinking_blocks(self, blocks: Any) -> Iterator[Any]:
        """Anthropic thinking blocks (through LiteLLM-style relays), kept for replay."""
        state = self.state
        seen = False
        for block in blocks:
            if isinstance(block, dict):
                seen |= state.accumulate_thinking_block(block)
        if seen and not state.reasoning_content_index_and_output:
            item = self._new_reasoning_item()
            if state.provider_data:
                item.provider_data = state.provider_data.copy()  # type: ignore[attr-defined]
            yield self._announce(item, 0)
        if seen and state.reasoning_content_index_and_output:
            ChatCmplStreamHandler._discard_plaintext_reasoning_replay_marker(
                state.reasoning_content_index_and_output[1]
            )

    def _reasoning_content(self, text: Any) -> Iterator[Any]:
        """`delta.reasoning_content` (DeepSeek, vLLM): a reasoning summary."""
        state = self.state
        if text and not state.reasoning_content_index_and_output:
            item = self._new_reasoning_item()
            if state.provider_data:
                item.provider_data = state.provider_data.copy()  # type: ignore[attr-defined]
            yield self._announce(item, 0)
        if not (text and state.reasoning_content_index_and_output):
            return
        item = state.reasoning_content_index_and_output[1]
        ChatCmplStreamHandler._discard_plaintext_reasoning_replay_marker(item)
        if state.active_reasoning_summary_index is None:
            index = len(item.summary)
            item.summary.append(Summary(text="", type="summary_text"))
            state.active_reasoning_summary_index = index
            yield ResponseReasoningSummaryPartAddedEvent(
                item_id=FAKE_RESPONSES_ID,
                output_index=0,
                summary_index=index,
                part=AddedEventPart(text="", type="summary_text"),
                type="response.reasoning_summary_part.added",
                sequence_number=self.sequence.get_and_increment(),
            )
        index = state.active_reasoning_summary_index
        yield summary_text_delta(
            delta=text,
            item_id=FAKE_RESPONSES_ID,
            output_index=0,
            summary_index=index,
            type="response.reasoning_summary_text.delta",
            sequence_number=self.sequence.get_and_increment(),
        )
        item.summary[index] = Summary(text=item.summary[index].text + text, type="summary_text")

    def _reasoning(self, value: Any) -> Iterator[Any]:
        """`delta.reasoning` (OpenRouter, Ollama): reasoning text."""
        state = self.state
        text = value if isinstance(value, str) else ""
        if text and not state.reasoning_content_index_and_output:
            item = self._new_reasoning_item(content=[Content(text="", type="reasoning_text")])
            provider_data = state.provider_data.copy()
            provider_data[_CHAT_COMPLETIONS_REASONING_FIELD_KEY] = "reasoning"
            item.provider_data = provider_data  # type: ignore[attr-defined]
            yield self._announce(item, 0)
        if not (text and state.reasoning_content_index_and_output):
            return
        yield reasoning_text_delta(
            delta=text,
            item_id=FAKE_RESPONSES_ID,
            output_index=0,
            content_index=0,
            type="response.reasoning_text.delta",
            sequence_number=self.sequence.get_and_increment(),
        )
        item = state.reasoning_content_index_and_output[1]
        if not item.content:
            item.content = [Content(text="", type="reasoning_text")]
        item.content[0] = Content(text=item.content[0].text + text, type="reasoning_text")

    def _open_message(self) -> ResponseOutputItemAddedEvent:
        """Announce the assistant message (its first content part opens it)."""
        item = ResponseOutputMessage(
            id=FAKE_RESPONSES_ID, content=[], role="assistant", type="message", status="in_progress"
        )
        if self.state.provider_data:
            item.provider_data = self.state.provider_data.copy()  # type: ignore[attr-defined]
        return self._announce(item, self.layout.assistant_message_output_index(self.state))

    def _part_added(self, content_index: int, part: Any) -> ResponseContentPartAddedEvent:
        return ResponseContentPartAddedEvent(
            content_index=content_index,
            item_id=FAKE_RESPONSES_ID,
            output_index=self.layout.assistant_message_output_index(self.state),
            part=part,
            type="response.content_part.added",
            sequence_number=self.sequence.get_and_increment(),
        )

    def _content(self, content: Any, logprobs: Any) -> Iterator[Any]:
        state = self.state
        if not state.text_content_index_and_output:
            index = 1 if state.refusal_content_index_and_output else 0
            state.text_content_index_and_output = (index, _empty_text())
            if index == 0:
                yield self._open_message()
            yield self._part_added(index, _empty_text())
        delta_logprobs: list[Any] = []
        output_logprobs = None
        if logprobs is not None:
            delta_logprobs, output_logprobs = _logprobs(logprobs)
        index, part = state.text_content_index_and_output
        yield text_delta(
            content_index=index,
            delta=content,
            item_id=FAKE_RESPONSES_ID,
            output_index=self.layout.assistant_message_output_index(state),
            type="response.output_text.delta",
            sequence_number=self.sequence.get_and_increment(),
            logprobs=delta_logprobs,
        )
        self.text.append(content)
        if output_logprobs:
            if part.logprobs is None:
                part.logprobs = output_logprobs
            else:
                part.logprobs.extend(output_logprobs)

    def _refusal(self, refusal: Any) -> Iterator[Any]:
        state = self.state
        if not state.refusal_content_index_and_output:
            index = 1 if state.text_content_index_and_output else 0
            state.refusal_content_index_and_output = (
                index,
                ResponseOutputRefusal(refusal="", type="refusal"),
            )
            if index == 0:
                yield self._open_message()
            yield self._part_added(index, ResponseOutputRefusal(refusal="", type="refusal"))
        yield refusal_delta(
            content_index=state.refusal_content_index_and_output[0],
            delta=refusal,
            item_id=FAKE_RESPONSES_ID,
            output_index=self.layout.assistant_message_output_index(state),
            type="response.refusal.delta",
            sequence_number=self.sequence.get_and_increment(),
        )
        self.refusal.append(refusal)


def _empty_text() -> ResponseOutputText:
    return ResponseOutputText(text="", type="output_text", annotations=[], logprobs=[])


def _logprobs(raw: Any) -> tuple[list[Any], Any]:
    """(delta logprobs, output-text logprobs) as the SDK converts them (only when sent)."""
    content = cast(ChoiceLogprobs, construct_type(type_=ChoiceLogprobs, value=raw)).content
    return (
        ChatCmplHelpers.convert_logprobs_for_text_delta(content) or [],
        ChatCmplHelpers.convert_logprobs_for_output_text(content),
    )


async def handle(
    handler: ChunkHandler, chunks: AsyncIterator[Any]
) -> AsyncIterator[TResponseStreamEvent]:
    """The events of the stream, chunk by chunk, then the end events."""
    async for chunk in chunks:
        for event in handler.feed(chunk):
            yield event
        del chunk  # not held while the next one is awaited (an idle stream's memory)
    for event in _finish.finish(handler):
        yield event
