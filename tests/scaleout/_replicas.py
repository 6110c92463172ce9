"""ChatWait replicas as real processes sharing one Postgres database and one Redis.

Each replica is the program `uv run chatwait --host 127.0.0.1 --port P` runs (the
`chatwait` console script of this environment, started directly: `uv run` could re-sync
the environment while others edit the lockfile, and a SIGKILL sent to `uv` would leave
the server orphaned). Each runs in a session of its own, so SIGKILL reaches the whole
process group; it gets a clean environment and working directory (no stray
`DATABASE_URL`, no `.env`), and its output goes to a log file shown when it misbehaves.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import redis

from tests.support.databases import postgres_database
from tests.support.servers import free_port

CHATWAIT = Path(sys.executable).with_name("chatwait")
_INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")
START_TIMEOUT = 60.0


@dataclass
class Replica:
    """One server process: its URL and the signals a test may send it."""

    name: str
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def alive(self) -> bool:
        return self.process.poll() is None

    def output(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def kill(self) -> None:
        """SIGKILL the process group: no shutdown code runs, as in a crash."""
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(30)

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM (a graceful shutdown); SIGKILL if it does not exit in time."""
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()

    def wait_healthy(self, timeout: float = START_TIMEOUT) -> None:
        """Poll `/healthz` until it answers 200; fail with the log if the process exits."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise AssertionError(f"replica {self.name} exited:\n{self.output()[-4000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            time.sleep(0.05)
        raise AssertionError(f"replica {self.name} not healthy:\n{self.output()[-4000:]}")


def spawn(name: str, directory: Path, env: Mapping[str, str]) -> Replica:
    """Start one replica on a free port (not waiting for it to be ready)."""
    port = free_port()
    workdir = directory / name
    workdir.mkdir(parents=True, exist_ok=True)
    log_path = workdir / "server.log"
    environment = {k: os.environ[k] for k in _INHERITED if k in os.environ}
    environment.update({"CHATWAIT_DATA_DIR": str(workdir), **env})
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [str(CHATWAIT), "--host", "127.0.0.1", "--port", str(port)],
            cwd=workdir,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Replica(name, process, port, log_path)


@dataclass
class Cluster:
    """Replicas sharing a database and a Redis key prefix; more can join later."""

    directory: Path
    env: dict[str, str]
    prefix: str
    replicas: dict[str, Replica] = field(default_factory=dict)

    def start(self, *names: str, **overrides: str) -> list[Replica]:
        """Start replicas at once (they migrate the same database concurrently)."""
        started = [spawn(n, self.directory, {**self.env, **overrides}) for n in names]
        self.replicas.update((r.name, r) for r in started)
        for replica in started:
            replica.wait_healthy()
        return started

    def __getitem__(self, name: str) -> Replica:
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
