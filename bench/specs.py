"""ChatWait arms of one run: one ChatWait server per spec, all against the same provider.

Without `--chatwait-arms` a run has one ChatWait server and one arm, `stream`, configured
by `--provider-client` and `--redis-url` (as before). `--chatwait-arms fast,sdk` (or
`memory,redis`, `fast,sdk,fast+redis`...) starts one server per spec instead, each measured
as its own arm `stream:<spec>`, interleaved in the same rounds as `direct` and `sdk`, so
their ratios and differences come from the same run.

A spec is one or two parts joined by `+`: a provider client (`fast` or `sdk`, ChatWait's
PROVIDER_CLIENT) and an event log (`memory` or `redis`). A part left out follows the run's
`--provider-client` / `--redis-url`. `redis` uses `--redis-url`, or
redis://127.0.0.1:6379/0 when none is given; every Redis server gets a key prefix of its
own (its keys are deleted when its load phase ends).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from dataclasses import dataclass

CLIENTS = ("fast", "sdk")
LOGS = ("memory", "redis")
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
SINGLE_ARM = "stream"


@dataclass(frozen=True)
class ChatWaitSpec:
    """One ChatWait server of a run: its arm's name and its settings."""

    arm: str
    """`stream` (the one server of a run without `--chatwait-arms`) or `stream:<spec>`."""
    provider_client: str
    """PROVIDER_CLIENT; empty = ChatWait's default."""
    redis_url: str
    """REDIS_URL; empty = the memory event log."""

    def env(self, index: int) -> dict[str, str]:
        """The server's settings; `index` makes its Redis key prefix its own."""
        env: dict[str, str] = {}
        if self.provider_client:
            env["PROVIDER_CLIENT"] = self.provider_client
        if self.redis_url:
            env["REDIS_URL"] = self.redis_url
            suffix = "" if self.arm == SINGLE_ARM else f"-{os.getpid()}-{index}"
            env["REDIS_KEY_PREFIX"] = f"chatwait-bench-{int(time.time())}{suffix}"
        return env

    def describe(self) -> dict[str, str]:
        return {
            "provider_client": self.provider_client or "default",
            "event_log": "redis" if self.redis_url else "memory",
        }


def parse_arms(text: str) -> tuple[str, ...]:
    """`fast,sdk` -> ("fast", "sdk"), each spec checked; ValueError says what is wrong."""
    specs = tuple(part.strip() for part in text.split(",") if part.strip())
    for spec in specs:
        parts = spec.split("+")
        clients = [p for p in parts if p in CLIENTS]
        logs = [p for p in parts if p in LOGS]
        unknown = [p for p in parts if p not in CLIENTS + LOGS]
        if unknown or len(clients) > 1 or len(logs) > 1:
            raise ValueError(
                f"bad ChatWait arm {spec!r}: one of {'|'.join(CLIENTS)} and/or one of "
                f"{'|'.join(LOGS)}, joined by '+'"
            )
    if len(set(specs)) != len(specs):
        raise ValueError(f"ChatWait arms repeat: {','.join(specs)}")
    return specs


def chatwait_specs(
    arms: tuple[str, ...], provider_client: str, redis_url: str
) -> list[ChatWaitSpec]:
    """The servers of a run: one `stream` without `arms`, else one per spec, in order."""
    if not arms:
        return [ChatWaitSpec(SINGLE_ARM, provider_client, redis_url)]
    out = []
    for spec in arms:
        parts = spec.split("+")
        client = next((p for p in parts if p in CLIENTS), provider_client)
        if "redis" in parts:
            url = redis_url or DEFAULT_REDIS_URL
        else:
            url = "" if "memory" in parts else redis_url
        out.append(ChatWaitSpec(f"{SINGLE_ARM}:{spec}", client, url))
    return out


def stream_arms(arms: Iterable[str]) -> list[str]:
    """The ChatWait streaming arms among `arms`, in order."""
    return [a for a in arms if a == SINGLE_ARM or a.startswith(f"{SINGLE_ARM}:")]


def delete_keys(redis_url: str, prefix: str) -> int:
    """Delete the keys a server of this run wrote under `prefix`; how many there were."""
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        for start in range(0, len(keys), 500):
            client.delete(*keys[start : start + 500])
        return len(keys)
    finally:
        client.close()
