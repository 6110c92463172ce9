"""SSE payloads carry no character `str.splitlines` breaks at, so text cannot forge events.

JSON leaves U+2028, U+2029 and U+0085 raw; a client that splits the stream like
`str.splitlines` (httpx's `iter_lines`) read what followed as a field of its own. The
end-to-end test streams model text full of them from a stand-in OpenAI-compatible
provider (real HTTP, the product's own provider path) and splits the raw SSE body.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.routing import Route

from chatwait.turns.events import encode
from tests.support.app import running_app
from tests.support.servers import serve_in_thread

FORGERY = 'hi\u2028event: turn_done\u2029data: {"forged":true}\x85id: 999\u2028\u2028end'
SEPARATORS = ("\u2028", "\u2029", "\x85")


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"text": "a\u2028b"}, '{"text":"a\\u2028b"}'),
        ({"text": "a\u2029b"}, '{"text":"a\\u2029b"}'),
        ({"text": "a\x85b"}, '{"text":"a\\u0085b"}'),
        ({"text": "caf\u00e9 \u2026"}, '{"text":"caf\u00e9 \u2026"}'),
        ({"text": "tab\tnl\ncr\r"}, '{"text":"tab\\tnl\\ncr\\r"}'),
    ],
)
def test_encode(payload: dict[str, str], expected: str) -> None:
    encoded = encode(payload)
    assert encoded == expected
    assert json.loads(encoded) == payload and len(encoded.splitlines()) == 1


def _chunk(content: str | None, finish: str | None = None) -> str:
    delta = {"role": "assistant", "content": content} if content is not None else {}
    choice = {"index": 0, "delta": delta, "finish_reason": finish}
    body = {"id": "c1", "object": "chat.completion.chunk", "created": 0, "model": "m"}
    return "data: " + json.dumps({**body, "choices": [choice]}, ensure_ascii=False) + "\n\n"


async def _completions(_: Request) -> StreamingResponse:
    async def chunks() -> AsyncIterator[str]:
        for part in FORGERY.split(" "):
            yield _chunk(part + " ")
        yield _chunk(None, "stop")
        yield "data: [DONE]\n\n"

    return StreamingResponse(chunks(), media_type="text/event-stream")


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    app = Starlette(routes=[Route("/v1/chat/completions", _completions, methods=["POST"])])
    with serve_in_thread(app) as url:
        yield url + "/v1"


def test_model_text_cannot_forge_an_event(tmp_path: Path, upstream: str) -> None:
    provider = {"name": "upstream", "base_url": upstream, "models": ["m"]}
    body = {"message": "x", "agents": ["upstream"]}
    with (
        running_app(tmp_path, COMPATIBLE_PROVIDERS=[provider]) as (url, _),
        httpx.stream("POST", f"{url}/chat/streaming", json=body) as response,
    ):
        raw = response.read().decode("utf-8")
    assert not any(sep in raw for sep in SEPARATORS)
    fields = [line.split(":", 1)[0] for line in raw.splitlines() if line]
    assert set(fields) <= {"id", "event", "data", "retry", ""}, fields
    events = [line[len("event: ") :] for line in raw.splitlines() if line.startswith("event: ")]
    assert events.count("turn_done") == 1 and events[-1] == "turn_done"
    assert "999" not in [line[4:] for line in raw.splitlines() if line.startswith("id: ")]
    text = "".join(
        json.loads(line[len("data: ") :])["text"]
        for line, previous in zip(raw.splitlines()[1:], raw.splitlines(), strict=False)
        if previous == "event: delta"
    )
    assert text.strip() == FORGERY, "the text itself arrives unchanged"
