"""ChatWait's Agents SDK `Model` for streamed Chat Completions (`PROVIDER_CLIENT=fast`).

A drop-in for `OpenAIChatCompletionsModel` on the path ChatWait uses, `stream_response`:
the same request (its arguments built by the stock model, `_request.py`), sent with aiohttp
under the `openai` client's retry policy (`_http.py`), read as SSE with orjson (`_sse.py`)
and turned into the same SDK events (`_handler.py`), inside the same tracing span. The
Runner, tools, handoffs and everything above are untouched. What it saves is the `openai`
client's ~3 ms of request building per call and the stock path's per-token work: httpx2's
streaming read, the `openai` client's SSE decoding and its loosely-built
`ChatCompletionChunk` per chunk, and the SDK's validated event per token.

`get_response` (not streamed) and everything not about streaming go to a stock model over
the same `AsyncOpenAI` client.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import aiohttp
from agents.agent_output import AgentOutputSchemaBase
from agents.exceptions import ModelBehaviorError
from agents.handoffs import Handoff
from agents.items import ModelResponse, TResponseInputItem, TResponseStreamEvent
from agents.model_settings import ModelSettings
from agents.models._openai_retry import get_openai_retry_advice
from agents.models._retry_runtime import should_disable_provider_managed_retries
from agents.models._trace import model_config_for_trace, populate_generation_span
from agents.models.chatcmpl_helpers import ChatCmplHelpers
from agents.models.interface import Model, ModelTracing
from agents.models.openai_chatcompletions import OpenAIChatCompletionsModel
from agents.models.reasoning_content_replay import ShouldReplayReasoningContent
from agents.retry import ModelRetryAdvice, ModelRetryAdviceRequest
from agents.tool import Tool
from agents.tracing import generation_span
from agents.util._error_tracing import model_span_errors
from openai import AsyncOpenAI
from openai.types.responses import Response
from openai.types.responses.response_prompt_param import ResponsePromptParam

from chatwait.providers._chunk_repair import repaired
from chatwait.providers.fast._handler import ChunkHandler, handle
from chatwait.providers.fast._http import StreamTransport
from chatwait.providers.fast._request import RequestFactory
from chatwait.providers.fast._sse import chunks


class FastChatModel(Model):
    """Streams a Chat Completions model the way `OpenAIChatCompletionsModel` does, cheaper.

    `openai_client` is the provider's client (its URL, key, timeout and retry budget),
    `requests` the `RequestFactory` over it, `transport` the provider's aiohttp pool: all
    three are shared by the provider's runs.
    """

    def __init__(
        self,
        model: str,
        *,
        openai_client: AsyncOpenAI,
        requests: RequestFactory,
        transport: StreamTransport,
        strict_feature_validation: bool = False,
        should_replay_reasoning_content: ShouldReplayReasoningContent | None = None,
    ) -> None:
        self.model = model
        self._client = openai_client
        self._transport = transport
        self._strict = strict_feature_validation
        self._requests = requests
        self._replay = should_replay_reasoning_content
        self._builder = requests.builder(
            model,
            strict_feature_validation=strict_feature_validation,
            should_replay_reasoning_content=should_replay_reasoning_content,
        )
        self._stock: OpenAIChatCompletionsModel | None = None

    def _stock_model(self) -> OpenAIChatCompletionsModel:
        if self._stock is None:
            self._stock = OpenAIChatCompletionsModel(
                self.model,
                self._client,
                strict_feature_validation=self._strict,
                should_replay_reasoning_content=self._replay,
            )
        return self._stock

    def get_retry_advice(self, request: ModelRetryAdviceRequest) -> ModelRetryAdvice | None:
        return get_openai_retry_advice(request)

    async def get_response(
        self,
        system_instructions: str | None,
        input: str | list[TResponseInputItem],
        model_settings: ModelSettings,
        tools: list[Tool],
        output_schema: AgentOutputSchemaBase | None,
        handoffs: list[Handoff],
        tracing: ModelTracing,
        *,
        previous_response_id: str | None = None,
        conversation_id: str | None = None,
        prompt: ResponsePromptParam | None = None,
    ) -> ModelResponse:
        return await self._stock_model().get_response(
            system_instructions,
            input,
            model_settings,
            tools,
            output_schema,
            handoffs,
            tracing,
            previous_response_id=previous_response_id,
            conversation_id=conversation_id,
            prompt=prompt,
        )

    async def stream_response(
        self,
        system_instructions: str | None,
        input: str | list[TResponseInputItem],
        model_settings: ModelSettings,
        tools: list[Tool],
        output_schema: AgentOutputSchemaBase | None,
        handoffs: list[Handoff],
        tracing: ModelTracing,
        *,
        previous_response_id: str | None = None,
        conversation_id: str | None = None,
        prompt: ResponsePromptParam | None = None,
    ) -> AsyncIterator[TResponseStreamEvent]:
        builder = self._builder
        builder._handle_unsupported_server_managed_conversation_state(
            previous_response_id=previous_response_id, conversation_id=conversation_id
        )
        builder._handle_unsupported_prompt(prompt)
        disabled = tracing.is_disabled()
        # A disabled span records nothing: no config is built and held for the stream.
        config = (
            None
            if disabled
            else model_config_for_trace(model_settings, tracing, base_url=self._client.base_url)
        )
        with (
            generation_span(model=str(self.model), model_config=config, disabled=disabled) as span,
            model_span_errors(
                span,
                message="Error streaming response",
                trace_include_sensitive_data=tracing.include_data(),
            ),
        ):
            built = await self._requests.build(
                builder,
                system_instructions=system_instructions,
                input=input,
                model_settings=model_settings,
                tools=tools,
                output_schema=output_schema,
                handoffs=handoffs,
                span=span,
                tracing=tracing,
            )
            retries = 0 if should_disable_provider_managed_retries() else self._client.max_retries
            http = await self._transport.open(built, self._client, max_retries=retries)
            _attach_request_id(built.response, http)
            handler = ChunkHandler(
                built.response,
                model=self.model,
                strict_feature_validation=self._strict,
                require_finish_reason=ChatCmplHelpers.is_openai(self._client),
                preserve_raw_usage=model_settings.preserve_raw_usage is True,
            )
            try:
                async for event in handle(handler, repaired(chunks(http, built))):
                    if event.type == "response.completed":
                        # before yielding: a caller may stop at the terminal event
                        populate_generation_span(span, event.response, tracing)
                    yield event
            except ModelBehaviorError:
                # the handler left the request and any usage on the response: keep them
                populate_generation_span(span, built.response, tracing)
                raise
            finally:
                http.release()  # back to the pool if read to the end, else closed


def _attach_request_id(response: Response, http: aiohttp.ClientResponse) -> None:
    """The provider's `x-request-id` on the SDK's response, as the stock model copies it."""
    request_id = http.headers.get("x-request-id")
    if request_id is not None:
        with contextlib.suppress(Exception):
            response._request_id = request_id
