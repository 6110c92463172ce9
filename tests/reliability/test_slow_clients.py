"""Clients that stop reading: they block nobody, cost bounded memory and lose nothing.

Stalled readers are raw sockets with a tiny receive buffer that send a request and then
read nothing while a large turn streams to them. Meanwhile other clients' turns must
complete, the large turn must end `done` and be persisted, and when a stalled reader
finally reads it gets the whole stream, exactly. In the slow version twenty stalled
readers sit on a turn of ~7 MB, more than the kernel's socket buffers hold (4 MB): a
server that queued what it could not send would hold some 60 MiB more. What they hold is
measured once the turn has ended while they still stall (resident memory then, against
the same moment of the same turn read normally, after two such turns settled the
allocator): less than 15 MiB. The peak (`VmHWM`) is not the measure: it also catches the
turn's own finalize (its transcript encoded and stored), which no reader causes and whose
timing varies from run to run.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.reliability._checks import assert_stream_matches_store, wait_until_ended
from tests.reliability._sse_raw import parse_frames, read_until
from tests.support.databases import throwaway_database
from tests.support.eventually import eventually
from tests.support.processes import ChildServer, chatwait_server, sim_server
from tests.support.sse import Event

CUT_NOTICE = "closed the stream of a client that read nothing"

BIG = ["big"]
"""A compatible provider on a separate offline provider with very long answers; the
other turns use the server's own offline provider and answer briefly."""


class StalledReader:
    """An HTTP/1.1 SSE request on a socket nobody reads, until `read_all`."""

    def __init__(self, port: int, path: str) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.settimeout(60)
        self.sock.connect(("127.0.0.1", port))
        request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n"
        self.sock.sendall(request.encode())

    def read_all(self) -> list[Event]:
        """Read the response to its end and decode its chunked body into events.

        The receive buffer grows first: through 4 KB, less than one loopback segment,
        TCP trickles (a reader took minutes for 7 MB when twenty read at once)."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        raw = bytearray()
        while not raw.endswith(b"\r\n0\r\n\r\n"):
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                break
            raw += chunk
        self.sock.close()
        head, _, body = bytes(raw).partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200"), head[:200]
        return parse_frames(_dechunk(body))


def _dechunk(body: bytes) -> bytes:
    out, at = bytearray(), 0
    while at < len(body):
        line_end = body.index(b"\r\n", at)
        size = int(body[at:line_end].split(b";")[0], 16)
        if size == 0:
            break
        out += body[line_end + 2 : line_end + 2 + size]
        at = line_end + 2 + size + 2
    return bytes(out)


@dataclass(frozen=True)
class Rig:
    server: ChildServer
    database_url: str


@contextmanager
def _rig(directory: Path, answer_tokens: int, **settings: object) -> Iterator[Rig]:
    with (
        sim_server(
            directory / "sim", ttft_ms=5, tokens_per_second=20_000, answer_tokens=answer_tokens
        ) as sim,
        throwaway_database(directory) as database,
        chatwait_server(
            directory / "server",
            database,
            COMPATIBLE_PROVIDERS=json.dumps(
                [{"name": "big", "base_url": f"{sim.base_url}/v1", "models": ["offline-1"]}]
            ),
            EVENT_LOG_MAX_TURNS=1,  # a finished big turn leaves the log when the next starts
            RUN_TIMEOUT_SECONDS=300,
            PROVIDER_TIMEOUT_SECONDS=120,
            # Never cut a stalled reader (0), unless a test sets a timeout: these readers
            # stall for as long as the test takes, and a cut one would miss events.
            **{"SSE_SEND_TIMEOUT_SECONDS": 0, **settings},
        ) as server,
    ):
        yield Rig(server, database)


async def _other_turns(base_url: str, count: int) -> None:
    """Ordinary streaming turns (small answers) that must finish while readers stall."""
    async with httpx.AsyncClient(base_url=base_url, timeout=120) as client:
        cuts = await asyncio.gather(
            *(
                read_until(
                    client,
                    "POST",
                    "/chat/streaming",
                    cut_after_bytes=None,
                    json_body={"message": f"meanwhile {n}", "agents": ["offline-2"]},
                )
                for n in range(count)
            )
        )
    assert all(c.events[-1].type == "turn_done" for c in cuts)


def _big_turn(rig: Rig, stalled: int) -> tuple[list[Event], list[list[Event]], int]:
    """Start a big turn, stall readers on it, run other turns, then read everything.

    Also returns the server's resident memory (KiB) once the turn has ended, while the
    stalled readers still hold what they could not send."""
    base_url = rig.server.base_url
    with httpx.Client(base_url=base_url, timeout=300) as client:
        with client.stream("POST", "/chat/streaming", json={"message": "big", "agents": BIG}) as r:
            turn_id = r.headers["x-turn-id"]
            path = f"/chat/streaming/{turn_id}"
            readers = [StalledReader(rig.server.port, path) for _ in range(stalled)]
        asyncio.run(_other_turns(base_url, 10))
        turn = wait_until_ended(client, turn_id, limit=300)
        assert [run["status"] for run in turn["runs"]] == ["done"]
        held_kib = rig.server.rss_kib()
        full = asyncio.run(_read_all(base_url, path))
    # All at once: read one after another, the last one waited for all the others.
    with ThreadPoolExecutor(max_workers=max(len(readers), 1)) as pool:
        stalled_events = list(pool.map(StalledReader.read_all, readers))
    assert CUT_NOTICE not in rig.server.log_text()
    return full, stalled_events, held_kib


async def _read_all(base_url: str, path: str) -> list[Event]:
    async with httpx.AsyncClient(base_url=base_url, timeout=300) as client:
        return (await read_until(client, "GET", path, cut_after_bytes=None)).events


def test_a_reader_that_stops_reading_is_cut_and_resumes_exactly(tmp_path: Path) -> None:
    """Past SSE_SEND_TIMEOUT_SECONDS the server lets go of a reader that takes nothing;
    the client then sees a cut stream and resumes from its last whole event."""
    with _rig(tmp_path, answer_tokens=60_000, SSE_SEND_TIMEOUT_SECONDS=1) as rig:
        with httpx.Client(base_url=rig.server.base_url, timeout=300) as client:
            with client.stream(
                "POST", "/chat/streaming", json={"message": "big", "agents": BIG}
            ) as r:
                path = f"/chat/streaming/{r.headers['x-turn-id']}"
                reader = StalledReader(rig.server.port, path)
            wait_until_ended(client, r.headers["x-turn-id"], limit=300)
        eventually(
            lambda: CUT_NOTICE in rig.server.log_text(),
            timeout=60,
            message="the stalled stream was never closed",
        )
        cut = reader.read_all()
        full = asyncio.run(_read_all(rig.server.base_url, path))
        assert 0 < len(cut) < len(full) and cut == full[: len(cut)]
        rest = asyncio.run(_resume(rig.server.base_url, path, cut[-1].seq))
        assert cut + rest == full
        assert "without completing response" not in rig.server.log_text()


async def _resume(base_url: str, path: str, last_event_id: int) -> list[Event]:
    async with httpx.AsyncClient(base_url=base_url, timeout=300) as client:
        cut = await read_until(
            client, "GET", path, cut_after_bytes=None, last_event_id=last_event_id
        )
        return cut.events


def test_a_stalled_reader_blocks_nobody_and_loses_nothing(tmp_path: Path) -> None:
    with _rig(tmp_path, answer_tokens=20_000) as rig:
        full, stalled, _ = _big_turn(rig, stalled=1)
        assert_stream_matches_store(full, rig.database_url)
        assert stalled == [full]


@pytest.mark.slow
def test_stalled_readers_cost_bounded_memory(tmp_path: Path) -> None:
    with _rig(tmp_path, answer_tokens=60_000) as rig:
        for _ in range(2):  # the same turn read normally, until the allocator has settled
            *_, baseline_kib = _big_turn(rig, stalled=0)
        full, stalled, held_kib = _big_turn(rig, stalled=20)
        grown_mib = (held_kib - baseline_kib) / 1024
        assert len(full) > 60_000
        assert all(events == full for events in stalled)
        assert grown_mib < 15, f"20 stalled readers held {grown_mib:.0f} MiB more"
