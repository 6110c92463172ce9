"""The stock model's request: its `create(...)` arguments, sent as the `openai` client would.

`OpenAIChatCompletionsModel._fetch_response` turns the SDK's input items, tools, handoffs,
output schema and model settings into `chat.completions.create(...)` arguments (messages via
the SDK's converter, `stream_options.include_usage`, `store`, `reasoning_effort`,
`parallel_tool_calls` only with tools, extra headers/query/body/args, ...). Rather than
re-deriving them, a stock model runs over `_Recorder`, a stand-in client whose `create`
only records its arguments; the SDK also hands back its `Response` template (what
`response.created` carries).

The `openai` client would then spend ~3 ms per request on its own (typed-dict transforms,
option models, header building) before sending. The request is rebuilt here the way its
`create` and `_build_request` do it, at a fraction of that: omitted arguments dropped,
`extra_body` merged over the body, the body dumped with `openai`'s own encoder, headers =
the client's (key, user agent, `X-Stainless-*`: taken once per provider from a request the
real client builds over a transport that sends nothing) with the call's extra headers over
them (`Omit` removes one), `extra_query` in the URL, and a per-call `timeout` honoured.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, cast

import httpx2
import openai.resources.chat.chat  # noqa: F401 - see below
from agents.models.openai_chatcompletions import OpenAIChatCompletionsModel
from agents.models.reasoning_content_replay import ShouldReplayReasoningContent
from openai import AsyncOpenAI, NotGiven, Omit
from openai._utils._json import openapi_dumps
from openai.types.responses import Response

# `openai` imports its chat resources on the first `client.chat`: in a server that is the
# first turn after start-up, which paid for building their pydantic models (hundreds of
# ms of CPU) before its request went out. Imported with the server instead (and then
# frozen with the rest of the start-up heap, `api.app.freeze_startup_heap`).

_PER_REQUEST = frozenset(
    {"host", "content-length", "accept-encoding", "connection", "x-stainless-retry-count"}
)
"""Headers set per request or by aiohttp itself (it advertises what it can decode)."""
_OPTIONS = ("extra_headers", "extra_query", "extra_body", "timeout")
_OMITTED = (Omit, NotGiven)


class _Recorder:
    """Stands in for `AsyncOpenAI` under a stock model: `create` returns its arguments."""

    def __init__(self, client: AsyncOpenAI) -> None:
        self.base_url = client.base_url
        self.chat = self.completions = self

    async def create(self, **arguments: Any) -> dict[str, Any]:
        return arguments

    def with_options(self, **_options: Any) -> _Recorder:
        return self  # retries are the transport's business (`_http.py`)


class _Unsent(httpx2.AsyncBaseTransport):
    """Answers at once with an empty stream, so the template request never leaves."""

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        headers = {"content-type": "text/event-stream"}
        return httpx2.Response(200, headers=headers, content=b"", request=request)


@dataclass(frozen=True)
class BuiltRequest:
    """One call's request, ready for aiohttp, and what the SDK made of the call."""

    response: Response
    """The SDK's template for this call's `Response`."""
    url: str
    headers: dict[str, str]
    content: bytes
    timeout: dict[str, float | None]
    """httpx2's per-operation timeouts: connect, read, write, pool."""
    retry_count_header: bool
    """Whether to send `x-stainless-retry-count` (the call did not set it itself)."""

    @cached_property
    def httpx_request(self) -> httpx2.Request:
        """The request as the `openai` client's errors carry it (built only for an error)."""
        return httpx2.Request("POST", self.url, headers=self.headers, content=self.content)


@dataclass(frozen=True, slots=True)
class _Template:
    url: httpx2.URL
    text: str
    headers: dict[str, str]
    timeout: dict[str, float | None]


class RequestFactory:
    """Builds one provider's requests: its template headers are read once, then reused."""

    def __init__(self, client: AsyncOpenAI) -> None:
        self._client = client
        self._recorder = _Recorder(client)
        self._template: _Template | None = None

    def builder(
        self,
        model: str,
        *,
        strict_feature_validation: bool,
        should_replay_reasoning_content: ShouldReplayReasoningContent | None = None,
    ) -> OpenAIChatCompletionsModel:
        """A stock model that only builds `create(...)` arguments for `model` (with the
        reasoning replay hook, so DeepSeek's `reasoning_content` goes back as it would)."""
        return OpenAIChatCompletionsModel(
            model,
            self._recorder,  # type: ignore[arg-type]
            strict_feature_validation=strict_feature_validation,
            should_replay_reasoning_content=should_replay_reasoning_content,
        )

    async def build(self, builder: OpenAIChatCompletionsModel, **arguments: Any) -> BuiltRequest:
        """The request `builder` asks for (arguments as `_fetch_response` takes them)."""
        response, fetched = await builder._fetch_response(**arguments, stream=True, prompt=None)
        create = cast(dict[str, Any], fetched)  # the recorder answers with the arguments
        template = await self._read_template()
        options = {name: create.pop(name, None) for name in _OPTIONS}
        body = {k: v for k, v in create.items() if not isinstance(v, _OMITTED)}
        if options["extra_body"]:
            merged = {**body, **options["extra_body"]}
            body = {k: v for k, v in merged.items() if not isinstance(v, Omit)}
        headers, retry_count_header = dict(template.headers), True
        timeout = template.timeout
        if options["timeout"] is not None and not isinstance(options["timeout"], NotGiven):
            timeout = httpx2.Timeout(options["timeout"]).as_dict()
            headers["x-stainless-read-timeout"] = str(timeout["read"])
        for name, value in (options["extra_headers"] or {}).items():
            lower = name.lower()
            retry_count_header = retry_count_header and lower != "x-stainless-retry-count"
            if isinstance(value, Omit):
                headers.pop(lower, None)
            else:
                headers[lower] = value
        return BuiltRequest(
            response=response,
            url=self._url(template, options["extra_query"]),
            headers=headers,
            content=openapi_dumps(body),
            timeout=timeout,
            retry_count_header=retry_count_header,
        )

    def _url(self, template: _Template, extra_query: Any) -> str:
        params = {**self._client.default_query, **(extra_query or {})}
        params = {k: v for k, v in params.items() if not isinstance(v, Omit)}
        if not params:
            return template.text
        return str(template.url.copy_with(query=self._client.qs.stringify(params).encode()))

    async def _read_template(self) -> _Template:
        if self._template is None:
            unsent = self._client.with_options(http_client=httpx2.AsyncClient(transport=_Unsent()))
            try:
                stream = await unsent.chat.completions.create(model="-", messages=[], stream=True)
                request = stream.response.request
                await stream.close()
            finally:
                await unsent.close()
            headers = {k: v for k, v in request.headers.items() if k not in _PER_REQUEST}
            url = request.url.copy_with(query=None)
            timeout = dict(request.extensions["timeout"])
            self._template = _Template(url, str(url), headers, timeout)
        return self._template
