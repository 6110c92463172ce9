"""ChatWait replicas as real processes sharing one Postgres database and one Redis.

Each replica is a `chatwait` process started by `tests.support.processes` (its own
session, clean environment and working directory, output in a log file), named after
its working directory under the cluster's directory.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import redis

from tests.support.databases import postgres_database
from tests.support.processes import ChildServer, launch_chatwait


@dataclass
class Cluster:
    """Replicas sharing a database and a Redis key prefix; more can join later."""

    directory: Path
    env: dict[str, str]
    prefix: str
    replicas: dict[str, ChildServer] = field(default_factory=dict)

    def start(self, *names: str, **overrides: str) -> list[ChildServer]:
        """Start replicas at once (they migrate the same database concurrently)."""
        env = {**self.env, **overrides}
        started = [launch_chatwait(self.directory / n, name=n, **env) for n in names]
        self.replicas.update((r.name, r) for r in started)
        for replica in started:
            replica.wait_ready()
        return started

    def __getitem__(self, name: str) -> ChildServer:
        return self.replicas[name]


BASE_ENV = {
    "CHATWAIT_UI": "false",
    "LOG_LEVEL": "WARNING",
    "PROVIDER_TIMEOUT_SECONDS": "5",
    "PROVIDER_MAX_RETRIES": "0",
    "RUN_TIMEOUT_SECONDS": "120",
    "SSE_PING_SECONDS": "1",
    "SHUTDOWN_GRACE_SECONDS": "1",
}


@contextmanager
def cluster(
    directory: Path, *, redis_url: str, postgres_admin_url: str | None, **env: str
) -> Iterator[Cluster]:
    """A fresh database (Postgres when given, else none) and Redis prefix for replicas.

    Every replica is stopped, the database dropped and the prefix's keys deleted after.
    """
    prefix = f"chatwait-scaleout-{uuid.uuid4().hex[:12]}"
    with contextlib.ExitStack() as stack:
        base = {**BASE_ENV, "REDIS_URL": redis_url, "REDIS_KEY_PREFIX": prefix, **env}
        if postgres_admin_url:
            base["DATABASE_URL"] = stack.enter_context(postgres_database(postgres_admin_url))
        group = Cluster(directory, base, prefix)
        stack.callback(delete_keys, redis_url, prefix)
        try:
            yield group
        finally:
            for replica in group.replicas.values():
                replica.stop()


def delete_keys(redis_url: str, prefix: str) -> None:
    with contextlib.suppress(redis.RedisError), redis.Redis.from_url(redis_url) as client:
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
