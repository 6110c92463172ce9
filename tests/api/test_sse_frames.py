"""SSE framing: turn event in, bytes out (the table the SSE clients rely on)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from chatwait.api.sse import MAX_WRITE_BYTES, error_frame, frame, framed
from chatwait.errors import ChatWaitError
from chatwait.event_log import LoggedEvent


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (
            LoggedEvent(1, "turn_started", '{"turn_id":"t"}'),
            b'id: 1\nevent: turn_started\ndata: {"turn_id":"t"}\n\n',
        ),
        (
            LoggedEvent(42, "delta", '{"run_id":"r","index":0,"text":"h\\u00e9 \\n"}'),
            b'id: 42\nevent: delta\ndata: {"run_id":"r","index":0,"text":"h\\u00e9 \\n"}\n\n',
        ),
        (
            LoggedEvent(7, "delta", '{"text":"caf\u00e9 \U0001f375"}'),
            'id: 7\nevent: delta\ndata: {"text":"caf\u00e9 \U0001f375"}\n\n'.encode(),
        ),
        (
            LoggedEvent(3, "odd", "line one\nline two"),
            b"id: 3\nevent: odd\ndata: line one\ndata: line two\n\n",
        ),
    ],
)
def test_frame(event: LoggedEvent, expected: bytes) -> None:
    assert frame(event) == expected


def test_error_frame_has_no_id_so_resume_points_stay_turn_events() -> None:
    framed = error_frame(ChatWaitError("log gone", code="event_log_unavailable", retryable=True))
    assert framed == (
        b'event: error\ndata: {"error":{"code":"event_log_unavailable",'
        b'"message":"log gone","retryable":true}}\n\n'
    )


async def _batches(*batches: list[LoggedEvent]) -> AsyncIterator[list[LoggedEvent]]:
    for batch in batches:
        yield batch


async def test_a_long_catch_up_is_sent_in_bounded_writes_with_nothing_lost() -> None:
    """A reader 60,000 events behind must not frame them into one multi-megabyte write."""
    backlog = [
        LoggedEvent(seq, "delta", f'{{"index":{seq},"text":"tok"}}') for seq in range(1, 60_001)
    ]
    live = [LoggedEvent(60_001, "turn_done", '{"status":"done"}')]
    writes = [chunk async for chunk in framed(_batches(backlog, live))]
    largest_frame = max(len(frame(event)) for event in backlog)
    assert len(writes) > 2
    assert max(map(len, writes)) < MAX_WRITE_BYTES + largest_frame
    assert b"".join(writes) == b"".join(map(frame, backlog + live))
    assert writes[-1] == frame(live[0])


async def test_retry_rides_on_the_first_event_only() -> None:
    events = [LoggedEvent(1, "turn_started", "{}"), LoggedEvent(2, "turn_done", "{}")]
    writes = [w async for w in framed(_batches(events[:1], events[1:]), retry_ms=1000)]
    assert writes == [b"retry: 1000\n" + frame(events[0]), frame(events[1])]
