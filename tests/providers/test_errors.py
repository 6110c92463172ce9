"""`translate_error`: provider and SDK exceptions -> the code, message and retry hint a run keeps.

The exceptions are the real ones: an `AsyncOpenAI` client sends a request through an
httpx2 `MockTransport` that answers with a status and body (recorded ones where a
recording exists), so the test sees exactly what the `openai` client raises in production.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx2
import openai
import pytest
from agents.exceptions import AgentsException, ModelBehaviorError

from chatwait.providers import redact, translate_error
from tests.providers._stand_in import MISTRAL_STREAM_OPTIONS_422
from tests.support.recordings import error_message, recording

KEY = "sk-test-errors-UNIT-0a1b2c3d4e"
Handler = Callable[[httpx2.Request], httpx2.Response]


async def _raised(handler: Handler) -> openai.OpenAIError:
    """What the `openai` client raises for a streamed chat request answered by `handler`."""
    http = httpx2.AsyncClient(transport=httpx2.MockTransport(handler))
    client = openai.AsyncOpenAI(
        base_url="http://provider.test/v1", api_key=KEY, max_retries=0, http_client=http
    )
    async with client:
        with pytest.raises(openai.OpenAIError) as info:
            await client.chat.completions.create(
                model="m", messages=[{"role": "user", "content": "hi"}], stream=True
            )
    return info.value


def _answer(status: int, body: bytes | str) -> Handler:
    content = body.encode() if isinstance(body, str) else body
    return lambda request: httpx2.Response(
        status, content=content, headers={"content-type": "application/json"}
    )


def _body(message: str) -> str:
    return json.dumps({"error": {"message": message, "type": "x", "code": None}})


@pytest.mark.parametrize(
    ("status", "code", "retryable"),
    [
        (400, "bad_request", False),
        (401, "auth_error", False),
        (403, "auth_error", False),
        (404, "not_found", False),
        (408, "provider_error", True),
        (409, "provider_error", False),
        (422, "bad_request", False),
        (429, "rate_limited", True),
        (500, "provider_error", True),
        (503, "provider_error", True),
    ],
)
async def test_each_status_class_gets_its_code(status: int, code: str, retryable: bool) -> None:
    exc = await _raised(_answer(status, _body("what the provider said")))
    failure = translate_error(exc, provider="openai", started=False)
    assert (failure.code, failure.retryable, failure.status) == (code, retryable, "error")
    assert failure.message == f"openai answered HTTP {status}: what the provider said"


@pytest.mark.parametrize(
    ("name", "code", "retryable"),
    [
        ("openai-401-chat-stream", "auth_error", False),
        ("openai-404-model-not-found-chat", "not_found", False),
        ("openai-429-rate-limit-tokens.issue", "rate_limited", True),
        ("gemini-compat-400-unknown-field-store.issue", "bad_request", False),
        ("gemini-compat-400-unknown-field-web-search-options.issue", "bad_request", False),
    ],
)
async def test_recorded_error_bodies_give_code_and_provider_message(
    name: str, code: str, retryable: bool
) -> None:
    rec = recording(name)
    exc = await _raised(_answer(rec.status, rec.body))
    failure = translate_error(exc, provider="p", started=False, secrets=[KEY])
    assert (failure.code, failure.retryable) == (code, retryable)
    assert failure.message == f"p answered HTTP {rec.status}: {error_message(rec)}"


async def test_gemini_list_wrapped_body_is_read() -> None:
    """Gemini's compat endpoint wraps errors in a list; the client leaves `.code` unset."""
    rec = recording("gemini-compat-400-unknown-field-store.issue")
    exc = await _raised(_answer(400, rec.body))
    assert isinstance(exc, openai.BadRequestError) and isinstance(exc.body, list)
    assert exc.code is None
    failure = translate_error(exc, provider="gemini", started=False)
    assert error_message(rec) in failure.message
    assert "[{" not in failure.message, "the message, not the printed list"


@pytest.mark.parametrize(
    "name", ["gemini-400-api-key-invalid-list.issue", "gemini-native-400-api-key-invalid"]
)
async def test_gemini_bad_key_is_an_auth_error_though_sent_as_400(name: str) -> None:
    """Regression: Gemini says API_KEY_INVALID with HTTP 400, which read as bad_request.

    A client branching on `auth_error` ("check your key") never saw Gemini's bad keys.
    """
    rec = recording(name)
    failure = translate_error(
        await _raised(_answer(400, rec.body)), provider="gemini", started=False
    )
    assert (failure.code, failure.retryable) == ("auth_error", False)
    assert error_message(rec) in failure.message


async def test_insufficient_quota_is_not_retryable() -> None:
    """Regression: a billing quota 429 said `retryable: true`; sending again cannot help."""
    rec = recording("openai-429-insufficient-quota-responses.reconstructed")
    failure = translate_error(await _raised(_answer(429, rec.body)), provider="o", started=False)
    assert (failure.code, failure.retryable) == ("rate_limited", False)
    assert error_message(rec) in failure.message


async def test_unparseable_error_body_still_says_the_status() -> None:
    exc = await _raised(_answer(502, "<html>Bad gateway</html>"))
    failure = translate_error(exc, provider="openai", started=False)
    assert (failure.code, failure.retryable) == ("provider_error", True)
    assert failure.message.startswith("openai answered HTTP 502: ")


def _raise(exc_type: type[httpx2.TransportError]) -> Handler:
    def handler(request: httpx2.Request) -> httpx2.Response:
        raise exc_type("boom", request=request)

    return handler


async def test_timeout_ends_the_run_as_timeout() -> None:
    exc = await _raised(_raise(httpx2.ReadTimeout))
    assert isinstance(exc, openai.APITimeoutError)
    failure = translate_error(exc, provider="gemini", started=False)
    assert (failure.code, failure.status, failure.retryable) == ("timeout", "timeout", True)


@pytest.mark.parametrize(
    ("started", "code"), [(False, "connection_error"), (True, "stream_dropped")]
)
async def test_connection_errors_depend_on_whether_text_was_sent(started: bool, code: str) -> None:
    exc = await _raised(_raise(httpx2.ConnectError))
    assert isinstance(exc, openai.APIConnectionError)
    failure = translate_error(exc, provider="openai", started=started)
    assert (failure.code, failure.retryable, failure.status) == (code, True, "error")


def test_malformed_responses() -> None:
    request = httpx2.Request("POST", "http://provider.test/v1/chat/completions")
    invalid = openai.APIResponseValidationError(httpx2.Response(200, request=request), None)
    for exc in (invalid, json.JSONDecodeError("Expecting value", "{", 1)):
        failure = translate_error(exc, provider="openai", started=True)
        assert (failure.code, failure.retryable) == ("malformed_response", False)


def test_model_behaviour_error_keeps_the_sdk_reason() -> None:
    failure = translate_error(
        ModelBehaviorError("Tool multiply not found in agent openai"), provider="o", started=False
    )
    assert failure.code == "malformed_response"
    assert "Tool multiply not found" in failure.message


async def test_exception_wrapped_by_the_sdk_is_unwrapped() -> None:
    """The SDK may raise its own exception `from` the openai one: the cause decides."""
    cause = await _raised(_answer(401, _body("Incorrect API key provided")))
    for link in ("cause", "context"):
        wrapper = AgentsException("model call failed")
        if link == "cause":
            wrapper.__cause__ = cause
        else:
            wrapper.__context__ = cause
        failure = translate_error(wrapper, provider="openai", started=False)
        assert failure.code == "auth_error"
        assert "Incorrect API key provided" in failure.message


def test_unknown_exception_says_its_type_never_its_text() -> None:
    failure = translate_error(ValueError(f"config was {KEY}"), provider="x", started=True)
    assert failure.code == "internal_error"
    assert "ValueError" in failure.message and KEY not in failure.message


async def test_provider_echoing_the_configured_key_is_redacted() -> None:
    """OpenAI's 401 echoes the key it got (masked in the recording; here in full)."""
    rec = recording("openai-401-chat")
    echoed = rec.body.decode().replace("invalid-*****2345", KEY)
    failure = translate_error(
        await _raised(_answer(401, echoed)), provider="openai", started=False, secrets=[KEY]
    )
    assert KEY not in failure.message and KEY[-10:] not in failure.message
    assert "Incorrect API key provided: [redacted]" in failure.message


@pytest.mark.parametrize(
    "secret",
    [
        "sk-proj-AbCdEf0123456789",
        "sk-ant-api03-abc_DEF-123456",
        "sk-or-v1-0123456789abcdef0123",
        "gsk_AbCdEf0123456789GhIjKl",
        "xai-AbCdEf0123456789GhIjKlMn",
        "AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUv",
        "Bearer eyJhbGciOi.payload.sig",
    ],
)
def test_key_shaped_strings_are_redacted_even_when_unconfigured(secret: str) -> None:
    text = redact(f"before {secret} after")
    assert secret not in text
    assert text.startswith("before ") and text.endswith(" after") and "[redacted]" in text


def test_configured_secrets_of_any_shape_are_redacted() -> None:
    assert redact("pw=hunter2-local then", ["hunter2-local"]) == "pw=[redacted] then"


def test_redaction_leaves_ordinary_text_and_tiny_secrets_alone() -> None:
    text = "a sketch of skies at 5 pm, ask-me-anything, xai-based, gsk_v2"
    assert redact(text, ["", "a", "pm"]) == text


async def test_mistral_validation_body_says_what_was_refused() -> None:
    exc = await _raised(_answer(422, json.dumps(MISTRAL_STREAM_OPTIONS_422)))
    failure = translate_error(exc, provider="mistral", started=False)
    assert (failure.code, failure.retryable) == ("bad_request", False)
    assert failure.message == (
        "mistral answered HTTP 422: Extra inputs are not permitted "
        "(body.stream_options.include_usage)"
    )


async def test_error_event_inside_a_stream_keeps_the_providers_words() -> None:
    """OpenRouter reports an upstream failure after the 200 as a data event with `error`."""
    chunk = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m"}
    events = [
        {**chunk, "choices": [{"index": 0, "delta": {"content": "Hel"}, "finish_reason": None}]},
        {**chunk, "error": {"code": 502, "message": "Upstream provider disconnected"}},
    ]
    body = "".join(f"data: {json.dumps(event)}\n\n" for event in events)
    http = httpx2.AsyncClient(
        transport=httpx2.MockTransport(
            lambda request: httpx2.Response(
                200, content=body.encode(), headers={"content-type": "text/event-stream"}
            )
        )
    )
    client = openai.AsyncOpenAI(
        base_url="http://provider.test/v1", api_key=KEY, max_retries=0, http_client=http
    )
    async with client:
        stream = await client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "hi"}], stream=True
        )
        with pytest.raises(openai.APIError) as info:
            async for _ in stream:
                pass
    failure = translate_error(info.value, provider="openrouter", started=True)
    assert (failure.code, failure.retryable) == ("provider_error", False)
    assert failure.message == (
        "openrouter reported an error mid-stream: Upstream provider disconnected"
    )
