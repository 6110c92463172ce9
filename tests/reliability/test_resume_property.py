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
`tool_result` and `reasoning` events too. After each wave half its turns get a run added
after their `turn_done` (a fusion or a regenerate), and cases follow that run from the
first `turn_done` on, so the property covers runs added to an ended turn as well.

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
STRATEGIES = ("merge", "critique")
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
    client: httpx.AsyncClient,
    case: Case,
    turn_id: str,
    head: Cut | None = None,
    *,
    start: int | None = None,
) -> list[Event]:
    """Run a case against a live turn; the events the client ended up with, in order.

    `head` is the cut `POST /chat/streaming` of the client that started the turn: it
    stands for the case's first connection. `start` is a `Last-Event-ID` the first
    connection already sends (a client that read the turn's first `turn_done` and
    follows a run added after it).
    """
    url = f"/chat/streaming/{turn_id}"
    part = head or await read_until(
        client, "GET", url, cut_after_bytes=case.cuts[0], last_event_id=start
    )
    got = list(part.events)
    for cut, delay in zip((*case.cuts[1:], None), case.delays, strict=True):
        if part.ended:
            break
        if delay == "ended":
            await wait_turn_ended(client, turn_id)
        elif delay:
            await asyncio.sleep(float(delay))  # the resume delay is the input under test
        last = got[-1].seq if got else start
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
ADDED_AFTER: dict[str, int] = {}
"""Turns that got a run added after their `turn_done`: the seq of that `turn_done`."""


async def reference(client: httpx.AsyncClient, turn_id: str) -> list[Event]:
    """The uninterrupted events of an ended turn (read once, then remembered).

    A stream ends at a `turn_done`; a turn that got a run added after it goes on in a
    next stream, read with `Last-Event-ID` at that `turn_done`: the reference is every
    such stream in turn, until one has nothing more.
    """
    if turn_id not in REFERENCES:
        await wait_turn_ended(client, turn_id)
        url, events = f"/chat/streaming/{turn_id}", []
        while True:
            last = events[-1].seq if events else None
            part = await read_until(client, "GET", url, cut_after_bytes=None, last_event_id=last)
            if not part.events:
                break
            events += part.events
        REFERENCES[turn_id] = events
    return REFERENCES[turn_id]


def _stream_from(events: list[Event], after: int) -> list[Event]:
    """What one stream read after `after` carries: the events up to the next `turn_done`."""
    rest = events[after:]
    done = next((i for i, e in enumerate(rest) if e.type == "turn_done"), len(rest) - 1)
    return rest[: done + 1]


async def check_case(
    client: httpx.AsyncClient, case: Case, turn_id: str, got: list[Event], after: int = 0
) -> None:
    expected = _stream_from(await reference(client, turn_id), after)
    assert [e.seq for e in got] == list(range(after + 1, after + len(got) + 1)), f"{case}: {got}"
    assert got == expected, f"{case}: resumed stream differs from the uninterrupted one"


async def extend_wave(
    client: httpx.AsyncClient, rng: random.Random, turn_ids: list[str], per_turn: int
) -> int:
    """Add a run to each ended turn (a fusion, or a regenerate of one of its runs) and
    play cases on the new run's events, each starting after the first `turn_done`."""
    starts: list[tuple[str, int]] = []
    for turn_id in turn_ids:
        await wait_turn_ended(client, turn_id)
        if rng.random() < 0.5:
            body = {"agent": rng.choice(BODY["agents"]), "strategy": rng.choice(STRATEGIES)}
            response = await client.post(f"/chat/turns/{turn_id}/fuse", json=body)
        else:
            runs = (await client.get(f"/chat/turns/{turn_id}")).json()["runs"]
            run_id = rng.choice(runs)["run_id"]
            response = await client.post(f"/chat/turns/{turn_id}/runs/{run_id}/retry")
        assert response.status_code == 202, response.text
        REFERENCES.pop(turn_id, None)  # the uninterrupted stream now goes on past turn_done
        starts.append((turn_id, response.json()["after"]))
        ADDED_AFTER[turn_id] = response.json()["after"]
    cases = make_cases(rng, len(starts), per_turn)
    results = await asyncio.gather(
        *(play(client, c, starts[c.turn][0], start=starts[c.turn][1]) for c in cases)
    )
    for case, got in zip(cases, results, strict=True):
        turn_id, after = starts[case.turn]
        await check_case(client, case, turn_id, got, after)
    return len(cases)


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
        all_turns, tried, extensions = [], 0, 0
        for _ in range(waves):
            turn_ids, count = await run_wave(client, rng, turns, per_turn)
            all_turns += turn_ids
            tried += count
            extended = await extend_wave(client, rng, turn_ids[: max(1, turns // 2)], per_turn)
            tried += extended
            extensions += extended
        # Early turns are gone from the log by now (it keeps 4): these resumes replay
        # them from the database, through the very same cuts and delays.
        # A turn with an added run is followed from 0 or from its first `turn_done`.
        late = make_cases(rng, len(all_turns), 2)
        starts = [ADDED_AFTER.get(all_turns[c.turn], 0) * rng.randint(0, 1) for c in late]
        results = await asyncio.gather(
            *(
                play(client, c, all_turns[c.turn], start=start or None)
                for c, start in zip(late, starts, strict=True)
            )
        )
        for case, got, start in zip(late, results, starts, strict=True):
            await check_case(client, case, all_turns[case.turn], got, start)
        tried += len(late)
    for turn_id in all_turns:
        assert_stream_matches_store(REFERENCES[turn_id], server.database_url)
    record_figure("resume cases (cut, delay, resume; none lost or duplicated)", tried)
    record_figure("of them on runs added after turn_done (fusions, regenerates)", extensions)
    record_figure("turns streamed under random disconnects", len(all_turns))


async def test_random_disconnects_lose_and_duplicate_nothing(server: Server) -> None:
    await property_run(server, seed=20240611, waves=2, turns=6, per_turn=10)


@pytest.mark.slow
async def test_a_thousand_random_disconnects(server: Server) -> None:
    await property_run(server, seed=1_000, waves=5, turns=8, per_turn=25)
