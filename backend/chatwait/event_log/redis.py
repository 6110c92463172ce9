"""The turn event log on Redis Streams: any replica can serve any turn's readers.

Key layout (the `{turn_id}` braces are a Redis Cluster hash tag: both keys of a turn
share one slot, so the two-key Lua scripts below would stay legal behind a cluster client):

    {prefix}:turn:{<turn_id>}:events   stream; event seq N is entry id `N-0`,
                                        fields `t` (type) and `d` (JSON data)
    {prefix}:turn:{<turn_id>}:meta     hash; `last_seq`, `finished` ("1" once ended)

`finish` also adds a marker entry `N-1` (N = last seq) to the stream. It is not an
event (readers drop ids not ending in `-0`), but it is an XADD, so every reader blocked
in `XREAD` wakes up and sees the turn end, with no polling and no lost wake-up between a
reader's check and its block. "Read after seq N" is `XRANGE key N-1 +` (inclusive from
`N-1` is exclusive of event N on any Redis >= 5) and `XREAD ... N-0`.

Retention: a live turn's keys carry a `live_ttl_seconds` expiry, re-armed by the append
script only when less than half of it is left (so a crashed owner's keys go away but the
token path does not pay an EXPIRE per token); `finish` sets `ttl_seconds`. Streams are
trimmed with `MAXLEN ~ max_events_per_turn`; a read whose `after` is older than the first
retained entry answers None and the caller replays from the database.

Blocking reads: each waiting reader holds one connection from a dedicated pool for the
duration of its `XREAD BLOCK`. At 1,000 readers that is 1,000 sockets per replica and
1,000 blocked clients in Redis (cheap for Redis, default maxclients 10,000), and an append
wakes them all in one pass; in exchange there is no dispatcher task, no re-subscribe
protocol and each reader's timeout is its own. The pool is capped
(`max_blocking_readers`): a reader that cannot get a slot within its `wait` returns no
events, as on a timeout, so overload slows wake-ups instead of failing streams. A single
multiplexing `XREAD` per process is the next step if sockets ever become the limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import math
from collections.abc import Iterator, Sequence
from typing import Any

from redis.asyncio import BlockingConnectionPool, ConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from chatwait.event_log.base import (
    EventLogUnavailable,
    LoggedEvent,
    LogRead,
    SeqRefused,
    TurnEventLog,
)

_APPEND = """
local meta = redis.call('HMGET', KEYS[2], 'last_seq', 'finished')
local last = meta[1] and tonumber(meta[1]) or 0
local appended = false
for i = 3, #ARGV, 3 do
  local seq = tonumber(ARGV[i])
  if seq <= last then
    local id = ARGV[i] .. '-0'
    local found = redis.call('XRANGE', KEYS[1], id, id)
    if #found == 0 or found[1][2][4] ~= ARGV[i + 2] then return last + 1 end
  elseif seq ~= last + 1 or meta[2] then
    return last + 1
  else
    redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], ARGV[i] .. '-0',
      't', ARGV[i + 1], 'd', ARGV[i + 2])
    last = seq
    appended = true
  end
end
if not appended then return 0 end
redis.call('HSET', KEYS[2], 'last_seq', last)
local live_ms = tonumber(ARGV[2])
if redis.call('PTTL', KEYS[2]) < live_ms / 2 then
  redis.call('PEXPIRE', KEYS[1], live_ms)
  redis.call('PEXPIRE', KEYS[2], live_ms)
end
return 0
"""
"""Atomic append of a batch: seq check, XADDs, last_seq, occasional TTL re-arm; one round
trip. ARGV: max events, live TTL (ms), then (seq, type, data) per event, in seq order.

Returns 0, or the seq that was expected when the caller skipped one, wrote to a turn that
has ended, or sent an event whose seq is already taken by a different one (a survivor
ended the turn of a replica it took for dead). An event already there, the same, is
skipped: a retry after a lost reply cannot fail the turn.
"""

_FINISH = """
local meta = redis.call('HMGET', KEYS[2], 'last_seq', 'finished')
if not meta[1] then return 0 end
if not meta[2] then
  redis.call('XADD', KEYS[1], meta[1] .. '-1', 'f', '1')
  redis.call('HSET', KEYS[2], 'finished', '1')
end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
return 1
"""
"""Mark ended, add the wake-up marker once, start the retention countdown."""

_REOPEN = """
local meta = redis.call('HMGET', KEYS[2], 'last_seq', 'finished')
if not meta[1] then return -1 end
if meta[2] then
  redis.call('XDEL', KEYS[1], meta[1] .. '-1')
  redis.call('HDEL', KEYS[2], 'finished')
end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
return tonumber(meta[1])
"""
"""Live again: drop the end marker and the `finished` flag, re-arm the live TTL; the last
seq, or -1 when Redis no longer holds the turn (the caller sends its events again)."""

_BLOCK_GRACE_SECONDS = 5.0
"""How long past its own BLOCK timeout a silent Redis may take before we call it lost."""


class RedisLogUnreachable(EventLogUnavailable, RuntimeError):
    """Redis cannot be reached; the message names host:port and never the password."""


class RedisEventLog(TurnEventLog):
    """`TurnEventLog` on Redis Streams, shared by every replica (see the module docstring)."""

    def __init__(
        self,
        url: str,
        *,
        ttl_seconds: float = 600,
        max_events_per_turn: int = 100_000,
        live_ttl_seconds: float = 3600,
        key_prefix: str = "chatwait",
        max_connections: int = 128,
        max_blocking_readers: int = 1024,
        socket_timeout: float = 5.0,
    ) -> None:
        common: dict[str, Any] = {
            "decode_responses": True,
            "socket_connect_timeout": socket_timeout,
        }
        # Named so `CLIENT LIST` tells which app (and which test) holds a connection.
        name = f"{key_prefix}:events"
        # One immediate retry on a dropped pooled socket; the append script makes it safe.
        pool = BlockingConnectionPool.from_url(
            url,
            max_connections=max_connections,
            timeout=socket_timeout,
            socket_timeout=socket_timeout,
            retry=Retry(NoBackoff(), 1),
            client_name=name,
            **common,
        )
        # No socket timeout (the read is bounded by `asyncio.timeout`) and no retry, so
        # closing the pool ends a blocked XREAD instead of reconnecting it.
        blocking = ConnectionPool.from_url(
            url,
            max_connections=max_blocking_readers,
            socket_timeout=None,
            retry=Retry(NoBackoff(), 0),
            client_name=f"{name}:wait",
            **common,
        )
        kwargs = pool.connection_kwargs
        self._where = kwargs.get("path") or f"{kwargs.get('host')}:{kwargs.get('port')}"
        self._password = str(kwargs.get("password") or "")
        self._redis = Redis.from_pool(pool)
        self._waiting = Redis.from_pool(blocking)
        self._slots = asyncio.Semaphore(max_blocking_readers)
        self._prefix = key_prefix
        self._ttl_ms = max(1, math.ceil(ttl_seconds * 1000))
        self._live_ttl_ms = max(1, math.ceil(live_ttl_seconds * 1000))
        self._max_events = max_events_per_turn
        self._append = self._redis.register_script(_APPEND)
        self._finish = self._redis.register_script(_FINISH)
        self._reopen = self._redis.register_script(_REOPEN)
        self._closed = False

    def keys(self, turn_id: str) -> tuple[str, str]:
        """The turn's stream and meta keys (tests and operators inspect them)."""
        base = f"{self._prefix}:turn:{{{turn_id}}}"
        return f"{base}:events", f"{base}:meta"

    async def start(self) -> None:
        """PING, so a wrong URL or a down Redis fails the app at startup, not mid-stream."""
        with self._unavailable("connect"):
            await self._redis.ping()

    async def close(self) -> None:
        """Drop every connection; blocked readers wake and return no events."""
        self._closed = True
        with contextlib.suppress(RedisError, OSError):
            await self._waiting.aclose()
        with contextlib.suppress(RedisError, OSError):
            await self._redis.aclose()

    async def append(self, turn_id: str, event: LoggedEvent) -> None:
        await self.append_many(turn_id, [event])

    async def append_many(self, turn_id: str, events: list[LoggedEvent]) -> None:
        """Append consecutive events in one round trip."""
        self._check_open()
        if not events:
            return
        with self._unavailable("append"):
            expected = int(await self._append(keys=self.keys(turn_id), args=self._args(events)))
        if expected:
            raise _refusal(turn_id, events, expected)

    async def append_batches(
        self, batches: Sequence[tuple[str, list[LoggedEvent]]]
    ) -> list[SeqRefused | None]:
        """Several turns' batches (each as `append_many` takes it) in one pipelined round
        trip, the replicated log's tick; per batch None, or the refusal it got. Raises
        `EventLogUnavailable` (nothing is known then: send them all again; an event already
        there is skipped)."""
        self._check_open()
        if not batches:
            return []
        with self._unavailable("append"):
            async with self._redis.pipeline(transaction=False) as pipe:
                for turn_id, events in batches:
                    await self._append(
                        keys=self.keys(turn_id), args=self._args(events), client=pipe
                    )
                replies = await pipe.execute()
        expected = [int(reply) for reply in replies]
        return [
            _refusal(turn_id, events, seq) if seq else None
            for (turn_id, events), seq in zip(batches, expected, strict=True)
        ]

    def _args(self, events: list[LoggedEvent]) -> list[str | int]:
        args: list[str | int] = [self._max_events, self._live_ttl_ms]
        for event in events:
            args += (event.seq, event.type, event.data)
        return args

    async def reopen(self, turn_id: str, events: list[LoggedEvent]) -> None:
        self._check_open()
        with self._unavailable("reopen"):
            last = int(await self._reopen(keys=self.keys(turn_id), args=[self._live_ttl_ms]))
        if last < 0:
            await self.append_many(turn_id, events)

    async def mark_reset(self, turn_id: str, after: int) -> None:
        """Say that seq numbers past `after` were never seen here as their writer numbered
        them (its unreplicated tail died with it): a resume past `after` must restart."""
        self._check_open()
        _, meta = self.keys(turn_id)
        with self._unavailable("mark"):
            await self._redis.hset(meta, "reset_after", after)

    async def finish(self, turn_id: str) -> None:
        self._check_open()
        with self._unavailable("finish"):
            await self._finish(keys=self.keys(turn_id), args=[self._ttl_ms])

    async def read(
        self, turn_id: str, after: int, *, wait: float, limit: int | None = None
    ) -> LogRead | None:
        self._check_open()
        after = max(after, 0)
        stream, meta = self.keys(turn_id)
        with self._unavailable("read"):
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.hmget(meta, "last_seq", "finished", "reset_after")
                pipe.xrange(stream, f"{after}-1", "+", count=limit)
                (last_seq, finished, reset_after), entries = await pipe.execute()
        if last_seq is None:
            return None
        found = _parse(after, int(last_seq), finished == "1", entries)
        if found is not None and found.events and found.events[-1].seq < found.last_seq:
            found = dataclasses.replace(found, finished=False)  # `limit` left the rest
        if found is not None and reset_after is not None:
            found = dataclasses.replace(found, reset_after=int(reset_after))
        if found is None or found.events or found.finished or wait <= 0:
            return found
        return await self._wait(stream, after, found.last_seq, wait, limit)

    async def _wait(
        self, stream: str, after: int, last_seq: int, wait: float, limit: int | None
    ) -> LogRead | None:
        """Block in XREAD on a connection of its own until an entry lands or `wait` ends."""
        timed_out = LogRead(events=[], last_seq=last_seq, finished=False)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        try:
            async with asyncio.timeout(wait):
                await self._slots.acquire()
        except TimeoutError:
            return timed_out  # every blocking slot busy for the whole wait: an empty poll
        try:
            block_ms = max(1, math.ceil((deadline - loop.time()) * 1000))
            with self._unavailable("wait"):
                async with asyncio.timeout(block_ms / 1000 + _BLOCK_GRACE_SECONDS):
                    reply = await self._waiting.xread(
                        {stream: f"{after}-0"}, count=limit, block=block_ms
                    )
        except EventLogUnavailable:
            if self._closed:
                return timed_out
            raise
        finally:
            self._slots.release()
        entries = _stream_entries(reply)
        if not entries:
            return timed_out
        return _parse(after, last_seq, False, entries)

    def _check_open(self) -> None:
        if self._closed:
            raise EventLogUnavailable(f"Redis event log at {self._where} is closed")

    @contextlib.contextmanager
    def _unavailable(self, action: str) -> Iterator[None]:
        """Turn any Redis or socket failure into `RedisLogUnreachable`, password scrubbed."""
        try:
            yield
        except (RedisError, OSError) as exc:
            detail = str(exc)
            if self._password:
                detail = detail.replace(self._password, "***")
            message = f"Redis event log at {self._where} unreachable ({action}): {detail}"
            raise RedisLogUnreachable(message) from None


def _refusal(turn_id: str, events: list[LoggedEvent], expected: int) -> SeqRefused:
    first = next((e.seq for e in events if e.seq >= expected), events[-1].seq)
    return SeqRefused(turn_id, first, expected)


def _parse(
    after: int, last_seq: int, finished: bool, entries: list[tuple[str, dict[str, str]]]
) -> LogRead | None:
    """Events out of stream entries; None when entries after `after` were trimmed away."""
    events: list[LoggedEvent] = []
    for entry_id, fields in entries:
        seq, _, part = entry_id.partition("-")
        if part == "0":
            events.append(LoggedEvent(seq=int(seq), type=fields["t"], data=fields["d"]))
        else:
            finished = True  # the marker `finish` adds
    if events:
        last_seq = max(last_seq, events[-1].seq)
    if after < last_seq and (not events or events[0].seq != after + 1):
        return None
    return LogRead(events=events, last_seq=last_seq, finished=finished)


def _stream_entries(reply: Any) -> list[tuple[str, dict[str, str]]]:
    """The one stream's entries from an XREAD reply, RESP2 list or RESP3/unified dict."""
    if not reply:
        return []
    if isinstance(reply, dict):
        (entries,) = reply.values()
        return list(entries[0] if entries and isinstance(entries[0], list) else entries)
    return list(reply[0][1])
