"""Hand-picked hostile input against a real `chatwait` process: clear 4xx, nothing stored.

Every request in the table must get a 4xx whose JSON body names an error code, and the
database must hold exactly the rows it held before (every table counted). A 50 MB body
must be refused without being read into memory: the process' peak resident memory may
not grow by anything near its size. SQL- and HTML-looking text that is legitimate input
is stored and returned byte for byte. The server log must show no 5xx at the end.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.reliability._db import query, row_counts
from tests.reliability._figures import record_figure
from tests.support.databases import throwaway_database
from tests.support.processes import ChildServer, chatwait_server

MAX_CHARS = 2_000
MAX_BYTES = 64 * 1024
UNKNOWN = "00000000-0000-4000-8000-000000000000"
JSON = {"content-type": "application/json"}
TURN, CONVERSATION = "/chat/streaming/{turn}", "/conversations/{conversation}"


def _last_event_id(value: str) -> dict[str, Any]:
    return {"headers": {"Last-Event-ID": value}}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ChildServer, str]]:
    directory: Path = tmp_path_factory.mktemp("hostile")
    with (
        throwaway_database(directory) as database,
        chatwait_server(
            directory, database, MAX_MESSAGE_CHARS=MAX_CHARS, MAX_REQUEST_BYTES=MAX_BYTES
        ) as child,
    ):
        yield child, database


@pytest.fixture(scope="module")
def finished_turn(server: tuple[ChildServer, str]) -> dict[str, Any]:
    child, _ = server
    body = {"message": "a turn to poke at", "agents": ["offline"]}
    response = httpx.post(f"{child.base_url}/chat/wait", json=body, timeout=30)
    assert response.status_code == 200
    return dict(response.json())


def _raw(text: str) -> dict[str, Any]:
    return _typed(text.encode("utf-8"), "application/json")


def _typed(content: bytes, content_type: str) -> dict[str, Any]:
    return {"content": content, "headers": {"content-type": content_type}}


def _nested(depth: int) -> str:
    return '{"message": "hi", "models": ' + "[" * depth + "]" * depth + "}"


# (name, method, path, request kwargs); "{turn}" and "{conversation}" name real ones.
CHAT_BODIES: list[tuple[str, dict[str, Any]]] = [
    ("empty message", {"json": {"message": ""}}),
    ("whitespace-only message", {"json": {"message": " \n\t\u3000 "}}),
    ("message one over the limit", {"json": {"message": "x" * (MAX_CHARS + 1)}}),
    ("NUL in message", {"json": {"message": "a\u0000b"}}),
    ("terminal escape in message", {"json": {"message": "\u001b[31mred"}}),
    ("DEL in message", {"json": {"message": "a\u007fb"}}),
    ("lone surrogate (escaped JSON)", _raw('{"message": "\\ud800 hi"}')),
    ("invalid UTF-8 bytes", {"content": b'{"message": "\xff\xfe hi"}', "headers": JSON}),
    ("message is a number", {"json": {"message": 42}}),
    ("message is null", {"json": {"message": None}}),
    ("no body", {"content": b"", "headers": JSON}),
    ("body is null", _raw("null")),
    ("body is a list", _raw("[]")),
    ("truncated JSON", _raw('{"message": "hi"')),
    ("deeply nested JSON", _raw(_nested(50_000))),
    ("unknown field", {"json": {"message": "hi", "agent": "offline"}}),
    ("too many agents", {"json": {"message": "hi", "agents": ["a", "b", "c", "d", "e"]}}),
    ("a thousand agents", {"json": {"message": "hi", "agents": [f"a{i}" for i in range(1000)]}}),
    ("duplicate agents", {"json": {"message": "hi", "agents": ["offline", "offline"]}}),
    ("no agents", {"json": {"message": "hi", "agents": []}}),
    ("unknown agent", {"json": {"message": "hi", "agents": ["nobody"]}}),
    ("agent without a key", {"json": {"message": "hi", "agents": ["openai"]}}),
    ("agents is a string", {"json": {"message": "hi", "agents": "offline"}}),
    (
        "model outside the allowlist",
        {"json": {"message": "hi", "agents": ["offline"], "models": {"offline": "gpt-4o"}}},
    ),
    (
        "model for an agent not in the turn",
        {"json": {"message": "hi", "agents": ["offline"], "models": {"offline-2": "offline-1"}}},
    ),
    ("malformed conversation id", {"json": {"message": "hi", "conversation_id": "1 OR 1=1"}}),
    ("unknown conversation id", {"json": {"message": "hi", "conversation_id": UNKNOWN}}),
    ("text/plain body", _typed(b'{"message": "hi"}', "text/plain")),
    ("form body", {"data": {"message": "hi"}}),
    ("multipart body", {"files": {"message": ("m.txt", b"hi")}}),
    ("XML body", _typed(b"<message>hi</message>", "text/xml")),
    ("no content type", _typed(b'{"message": "hi"}', "")),
    ("body over the byte limit", {"json": {"message": "y" * (MAX_BYTES + 10)}}),
]
OTHER: list[tuple[str, str, str, dict[str, Any]]] = [
    ("turn: malformed id", "GET", "/chat/turns/not-a-uuid", {}),
    ("turn: SQL in id", "GET", "/chat/turns/1%27%20OR%20%271%27=%271", {}),
    ("turn: unknown id", "GET", f"/chat/turns/{UNKNOWN}", {}),
    ("cancel: unknown turn", "POST", f"/chat/turns/{UNKNOWN}/cancel", {}),
    ("cancel: malformed turn", "POST", "/chat/turns/..%2F..%2Fetc/cancel", {}),
    ("cancel: ended turn", "POST", "/chat/turns/{turn}/cancel", {}),
    ("resume: malformed turn", "GET", "/chat/streaming/%00", {}),
    ("resume: unknown turn", "GET", f"/chat/streaming/{UNKNOWN}", {}),
    ("Last-Event-ID negative", "GET", TURN, _last_event_id("-1")),
    ("Last-Event-ID words", "GET", TURN, _last_event_id("ten")),
    ("Last-Event-ID past end", "GET", TURN, _last_event_id("999")),
    ("Last-Event-ID enormous", "GET", TURN, _last_event_id("9" * 4000)),
    ("after negative", "GET", TURN + "?after=-5", {}),
    ("after not a number", "GET", TURN + "?after=1e3", {}),
    ("after enormous", "GET", TURN + "?after=" + "9" * 40, {}),
    ("conversation: malformed id", "GET", "/conversations/%3Cscript%3E", {}),
    ("conversation: unknown id", "GET", f"/conversations/{UNKNOWN}", {}),
    ("rename unknown conversation", "PATCH", f"/conversations/{UNKNOWN}", {"json": {"title": "x"}}),
    ("rename to empty", "PATCH", CONVERSATION, {"json": {"title": ""}}),
    ("rename to blanks", "PATCH", CONVERSATION, {"json": {"title": "   "}}),
    ("rename with NUL", "PATCH", CONVERSATION, {"json": {"title": "a\u0000"}}),
    ("rename too long", "PATCH", CONVERSATION, {"json": {"title": "t" * 201}}),
    ("metadata not an object", "PATCH", CONVERSATION, {"json": {"metadata": [1]}}),
    ("delete unknown conversation", "DELETE", f"/conversations/{UNKNOWN}", {}),
    ("delete malformed conversation", "DELETE", "/conversations/0", {}),
    ("page limit 0", "GET", "/conversations?limit=0", {}),
    ("page limit huge", "GET", "/conversations?limit=100000", {}),
    ("page offset negative", "GET", "/conversations?offset=-1", {}),
    ("wrong method", "PUT", "/chat/wait", {"json": {"message": "hi"}}),
]
CASES = [
    (f"{route} {name}", "POST", route, kwargs)
    for route in ("/chat/wait", "/chat/streaming")
    for name, kwargs in CHAT_BODIES
] + OTHER


@pytest.mark.parametrize(("name", "method", "path", "kwargs"), CASES, ids=[c[0] for c in CASES])
def test_hostile_request_gets_a_clear_4xx_and_stores_nothing(
    server: tuple[ChildServer, str],
    finished_turn: dict[str, Any],
    name: str,
    method: str,
    path: str,
    kwargs: dict[str, Any],
) -> None:
    child, database = server
    path = path.format(turn=finished_turn["turn_id"], conversation=finished_turn["conversation_id"])
    before = row_counts(database)
    response = httpx.request(method, child.base_url + path, timeout=30, **kwargs)
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] and error["message"]
    assert row_counts(database) == before, "a refused request left rows behind"
    record_figure("hostile requests refused with a JSON 4xx, no row left", 1)


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_50_mb_body_is_refused_without_being_read(
    server: tuple[ChildServer, str], chunked: bool
) -> None:
    child, database = server
    size = 50 * 1024 * 1024
    before_rows, peak_before = row_counts(database), child.peak_rss_kib()

    def body() -> Iterator[bytes]:
        yield b'{"message": "'
        for _ in range(size // (1 << 20)):
            yield b"z" * (1 << 20)
        yield b'"}'

    content: Any = body() if chunked else b"".join(body())
    try:
        url = f"{child.base_url}/chat/wait"
        response = httpx.post(url, content=content, headers=JSON, timeout=60)
    except httpx.TransportError:  # the server may hang up on the rest of the upload
        response = None
    if response is not None:
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "request_too_large"
    grown_mib = (child.peak_rss_kib() - peak_before) / 1024
    assert grown_mib < 10, f"peak memory grew {grown_mib:.0f} MiB for a refused 50 MiB body"
    assert row_counts(database) == before_rows
    assert httpx.get(f"{child.base_url}/healthz").status_code == 200


PAYLOADS = [
    "'; DROP TABLE runs; --",
    "Robert'); DELETE FROM turns WHERE ('1'='1",
    '<script>alert("x")</script><img src=x onerror=alert(1)>',
    "{{7*7}} ${7*7} %s %n \\x00 \\u0000",
    "emoji 👩‍👩‍👧 RTL \u202eevil\u202c zero\u200bwidth 𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
    "tab\tand\nnewlines\r\nkept",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_sql_and_html_looking_text_is_stored_and_returned_verbatim(
    server: tuple[ChildServer, str], payload: str
) -> None:
    child, database = server
    with httpx.Client(base_url=child.base_url, timeout=30) as client:
        with client.stream(
            "POST", "/chat/streaming", json={"message": payload, "agents": ["offline"]}
        ) as stream:
            turn_id = stream.headers["x-turn-id"]
            stream.read()
        turn = client.get(f"/chat/turns/{turn_id}").json()
        assert turn["message"] == payload
        assert query(database, "SELECT message FROM turns WHERE id = :t", t=turn_id) == [
            {"message": payload}
        ]
        conversation = turn["conversation_id"]
        metadata = {"note": payload, payload: [payload]}
        patched = client.patch(
            f"/conversations/{conversation}", json={"title": payload, "metadata": metadata}
        )
        assert patched.status_code == 200, patched.text
        shown = client.get(f"/conversations/{conversation}").json()
    assert shown["title"] == " ".join(payload.split())  # titles are one line by design
    assert shown["metadata"] == metadata
    assert shown["turns"][0]["message"] == payload
    assert {"conversations", "turns", "runs", "users"} <= set(row_counts(database))
    record_figure("hostile payloads stored and returned verbatim", 1)


def test_no_5xx_was_ever_logged(server: tuple[ChildServer, str]) -> None:
    """Last in the module: the access log of everything above holds no server error."""
    child, _ = server
    statuses = [
        json.loads(line)["status"]
        for line in child.log_text().splitlines()
        if line.startswith("{") and '"chatwait.access"' in line
    ]
    assert statuses, "no access log lines captured"
    assert not [s for s in statuses if s >= 500]
    assert httpx.get(f"{child.base_url}/healthz").status_code == 200
    record_figure("requests in the hostile server's access log, none 5xx", len(statuses))
