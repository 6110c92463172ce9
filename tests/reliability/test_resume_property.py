"""Property: however a stream is cut and resumed, the client gets the turn's events exactly once.

Random cases, from a seeded generator, run concurrently over several live turns. A case
reads a turn's stream, hangs up after a random number of bytes (often mid-event), waits
a random resume delay (sometimes until the turn has ended, sometimes long enough for the
in-process log to have forgotten the turn so the database serves the resume), resumes
with `Last-Event-ID` set to the last complete event it got, and in some cases is cut and
resumes a second time. What it put together must equal the uninterrupted stream of that
turn, read afterwards: none lost, none duplicated, ids 1..n, and that stream agrees with
the stored rows.

Half the turns' runs use tools or reason (configured agents on the offline provider:
`offline-tools` with the calculator, `offline-reasoner`), so cuts land among `tool_call`,
`tool_result` and `reasoning` events too.

The default run is small; `-m slow` adds the 1,000-case version.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from tests.reliability._checks import assert_stream_matches_store
from tests.reliability._figures import record_figure
from tests.reliability._sse_raw import Cut, read_until, wait_turn_ended
from tests.support.app import running_app
from tests.support.sse import Event

ANSWER_TOKENS = 16
STREAM_BYTES = 12_000
"""About the SSE size of one turn at this answer length: cuts land all over it, and past it."""
BODY = {"message": "", "agents": ["offline", "offline-2", "tooled", "thinker"]}
CONFIG = """
[[agents]]
name = "tooled"
provider = "offline"
model = "offline-tools"
tools = ["calculator"]

[[agents]]
name = "thinker"
provider = "offline"
model = "offline-reasoner"
"""


@dataclass(frozen=True)
class Case:
    """One client's ordeal: where its connections are cut and how long it waits between."""

    turn: int
    cuts: tuple[int, ...]
    """Bytes each connection reads before hanging up; the last connection reads to the end."""
    delays: tuple[float | str, ...]
    """Pause before each resume: seconds, or "ended" (until the turn has ended)."""


def make_cases(rng: random.Random, turns: int, per_turn: int) -> list[Case]:
    cases = []
    for turn in range(turns):
        for _ in range(per_turn):
            count = rng.choice((1, 1, 2))
            cuts = tuple(rng.randint(1, STREAM_BYTES) for _ in range(count))
            delays = tuple(
                rng.choice(("ended", 0.0, rng.uniform(0.0, 0.25), rng.uniform(0.0, 0.05)))
                for _ in range(count)
            )
            cases.append(Case(turn, cuts, delays))
    return cases


async def play(
    client: httpx.AsyncClient, case: Case, turn_id: str, head: Cut | None = None
) -> list[Event]:
    """Run a case against a live turn; the events the client ended up with, in order.

    `head` is the cut `POST /chat/streaming` of the client that started the turn: it
    stands for the case's first connection.
    """
    url = f"/chat/streaming/{turn_id}"
    part = head or await read_until(client, "GET", url, cut_after_bytes=case.cuts[0])
    got = list(part.events)
    for cut, delay in zip((*case.cuts[1:], None), case.delays, strict=True):
        if part.ended:
            break
        if delay == "ended":
            await wait_turn_ended(client, turn_id)
        elif delay:
            await asyncio.sleep(float(delay))  # the resume delay is the input under test
        last = got[-1].seq if got else None
        part = await read_until(client, "GET", url, cut_after_bytes=cut, last_event_id=last)
        got += part.events
    return got


async def run_wave(
    client: httpx.AsyncClient, rng: random.Random, turns: int, per_turn: int
) -> tuple[list[str], int]:
    """Start `turns` turns at once and play `per_turn` cases on each while they stream."""
    cases = make_cases(rng, turns, per_turn)
    starts = [
        read_until(
            client,
            "POST",
            "/chat/streaming",
            cut_after_bytes=rng.randint(1, STREAM_BYTES),
            json_body={**BODY, "message": _message(rng)},
        )
        for _ in range(turns)
    ]
    heads = await asyncio.gather(*starts)
    turn_ids = [head.turn_id for head in heads]
    starters = make_cases(rng, turns, 1)
    cases += starters
    results = await asyncio.gather(
        *(play(client, c, turn_ids[c.turn]) for c in cases[: -len(starters)]),
        *(play(client, c, turn_ids[c.turn], heads[c.turn]) for c in starters),
    )
    for case, got in zip(cases, results, strict=True):
        await check_case(client, case, turn_ids[case.turn], got)
    return turn_ids, len(cases)


def _message(rng: random.Random) -> str:
    """A fresh message; every other one asks `tooled` for one or two calculations."""
    text = f"Property turn {rng.getrandbits(32):08x}"
    if rng.random() < 0.5:
        text += f' calculator {{"expression": "{rng.randint(1, 999)} * {rng.randint(1, 99)}"}}'
    return text


REFERENCES: dict[str, list[Event]] = {}


async def reference(client: httpx.AsyncClient, turn_id: str) -> list[Event]:
    """The uninterrupted stream of an ended turn (read once, then remembered)."""
    if turn_id not in REFERENCES:
        await wait_turn_ended(client, turn_id)
        full = await read_until(client, "GET", f"/chat/streaming/{turn_id}", cut_after_bytes=None)
        REFERENCES[turn_id] = full.events
    return REFERENCES[turn_id]


async def check_case(client: httpx.AsyncClient, case: Case, turn_id: str, got: list[Event]) -> None:
    expected = await reference(client, turn_id)
    assert [e.seq for e in got] == list(range(1, len(got) + 1)), f"{case}: seq {got}"
    assert got == expected, f"{case}: resumed stream differs from the uninterrupted one"


@dataclass(frozen=True)
class Server:
    base_url: str
    database_url: str


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Turns that stream for about half a second; the log keeps only the 4 newest turns."""
    directory = tmp_path_factory.mktemp("property")
    config = directory / "chatwait.toml"
    config.write_text(CONFIG, encoding="utf-8")
    with running_app(
        directory,
        CHATWAIT_CONFIG=str(config),
        MAX_AGENTS_PER_TURN=4,
        SIM_TOKENS_PER_SECOND=60.0,
        SIM_ANSWER_TOKENS=ANSWER_TOKENS,
        EVENT_LOG_MAX_TURNS=4,
        EVENT_LOG_TTL_SECONDS=600,
    ) as (base_url, settings):
        yield Server(base_url, settings.resolved_database_url)


async def property_run(server: Server, *, seed: int, waves: int, turns: int, per_turn: int) -> None:
    rng = random.Random(seed)
    # a pooled connection idle past 1 s is not reused: the server closes idle keep-alive
    # connections after 5 s, and reusing one just then is a client-side race, not a fault
    limits = httpx.Limits(max_connections=turns * per_turn + 50, keepalive_expiry=1.0)
    async with httpx.AsyncClient(base_url=server.base_url, timeout=60, limits=limits) as client:
        all_turns, tried = [], 0
        for _ in range(waves):
            turn_ids, count = await run_wave(client, rng, turns, per_turn)
            all_turns += turn_ids
            tried += count
        # Early turns are gone from the log by now (it keeps 4): these resumes replay
        # them from the database, through the very same cuts and delays.
        late = make_cases(rng, len(all_turns), 2)
        results = await asyncio.gather(*(play(client, c, all_turns[c.turn]) for c in late))
        for case, got in zip(late, results, strict=True):
            await check_case(client, case, all_turns[case.turn], got)
        tried += len(late)
    for turn_id in all_turns:
        assert_stream_matches_store(REFERENCES[turn_id], server.database_url)
    record_figure("resume cases (cut, delay, resume; none lost or duplicated)", tried)
    record_figure("turns streamed under random disconnects", len(all_turns))


async def test_random_disconnects_lose_and_duplicate_nothing(server: Server) -> None:
    await property_run(server, seed=20240611, waves=2, turns=6, per_turn=10)


@pytest.mark.slow
async def test_a_thousand_random_disconnects(server: Server) -> None:
    await property_run(server, seed=1_000, waves=5, turns=8, per_turn=25)
