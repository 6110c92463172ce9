"""ChatWait and its offline provider as real subprocesses: for crashes, signals and memory.

An in-thread server cannot be SIGKILLed, cannot receive SIGTERM on its own, and shares
the test's heap. These helpers start the very program `uv run chatwait` runs (the
`chatwait` console script of this environment), each in a session of its own, on a free
loopback port, with a clean environment (nothing inherited: no stray API key or
DATABASE_URL) and a working directory of its own (no `.env` picked up), its stdout and
stderr captured in a log file. Readiness is `/healthz` (or `/v1/models` for the sim)
answering, polled against a deadline. On exit whatever is still running is killed by
the id of the process group it was started in, and reaped.

`uv run` itself is not put in between: it may re-sync the environment while other work
edits the lockfile, and SIGKILL to `uv` would leave the real server orphaned.

The reliability tests use `chatwait_server` and `sim_server`; the scale-out replicas
(`tests/scaleout/_replicas.py`) and the browser tests' server (`tests/browser/server.py`)
start theirs with `launch_chatwait` and `supervised`.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.support.eventually import eventually
from tests.support.servers import free_port

NO_TURN_LIMITS = {"LIMIT_TURNS_PER_MINUTE": "unlimited", "LIMIT_CONCURRENT_TURNS": "unlimited"}
"""Tests start turns faster than a person: the per-user defaults are off unless a test sets them."""

CHATWAIT = Path(sys.executable).with_name("chatwait")
"""The console script `uv run chatwait` executes."""

_INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")

FAST_SIM_ENV = {"SIM_TTFT_MS": "5", "SIM_TOKENS_PER_SECOND": "400", "SIM_ANSWER_TOKENS": "24"}


@dataclass
class ChildServer:
    """One started process: its URL, its log file, and the signals a test may send it."""

    name: str
    process: subprocess.Popen[bytes]
    base_url: str
    port: int
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL the process group: no shutdown code runs, exactly like a crash."""
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGKILL)
        self.process.wait(30)

    def terminate(self) -> None:
        """SIGTERM: what an orchestrator sends before it stops a container."""
        os.kill(self.pid, signal.SIGTERM)

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM (a graceful shutdown); SIGKILL if it does not exit within `timeout`."""
        if self.alive():
            self.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout)
        self.kill()

    def wait_exit(self, timeout: float) -> int:
        """The exit code; raises `subprocess.TimeoutExpired` if it outlives `timeout`."""
        return self.process.wait(timeout)

    def wait_ready(self, path: str = "/healthz", timeout: float = 60.0) -> None:
        """Poll `path` until it answers 200; fail with the log if the process exits."""

        def ready() -> bool:
            if not self.alive():
                raise RuntimeError(f"{self.name} exited early:\n{self.log_text()[-4000:]}")
            return httpx.get(self.base_url + path, timeout=2.0).status_code == 200

        eventually(
            ready,
            timeout=timeout,
            message=lambda: f"{self.name} not ready:\n{self.log_text()[-4000:]}",
            ignoring=(httpx.TransportError,),
        )

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def rss_kib(self) -> int:
        """Resident memory now (Linux `/proc`)."""
        return _status_kib(self.pid, "VmRSS")

    def peak_rss_kib(self) -> int:
        """Highest resident memory since start (`VmHWM`)."""
        return _status_kib(self.pid, "VmHWM")


def _status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"/proc/{pid}/status has no {field}")


def clean_env(overrides: Mapping[str, object]) -> dict[str, str]:
    """A minimal environment plus `overrides` (values turned into strings)."""
    env = {name: os.environ[name] for name in _INHERITED if name in os.environ}
    env["PYTHONUNBUFFERED"] = "1"
    env.update({name: str(value) for name, value in overrides.items()})
    return env


def launch(
    argv: list[str], *, name: str, workdir: Path, port: int, env: Mapping[str, object]
) -> ChildServer:
    """Start `argv` in a session of its own from `workdir`, with `clean_env(env)`.

    Does not wait for readiness: see `ChildServer.wait_ready` and `supervised`.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    log_path = workdir / f"{name}-{port}.log"
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            argv,
            cwd=workdir,
            env=clean_env(env),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return ChildServer(name, process, f"http://127.0.0.1:{port}", port, log_path)


def launch_chatwait(
    workdir: Path, *, name: str = "chatwait", port: int | None = None, **settings: object
) -> ChildServer:
    """`chatwait serve` on 127.0.0.1 with data in `workdir/data` and `settings` (env names)."""
    port = port or free_port()
    env = {
        "CHATWAIT_HOST": "127.0.0.1",
        "CHATWAIT_PORT": port,
        "CHATWAIT_DATA_DIR": workdir / "data",
        **NO_TURN_LIMITS,
        **settings,
    }
    return launch([str(CHATWAIT), "serve"], name=name, workdir=workdir, port=port, env=env)


@contextmanager
def supervised(
    child: ChildServer,
    *,
    ready_path: str = "/healthz",
    timeout: float = 60.0,
    graceful: bool = False,
) -> Iterator[ChildServer]:
    """`child` once ready; on exit SIGKILLed (or, if `graceful`, stopped with SIGTERM)."""
    try:
        child.wait_ready(ready_path, timeout)
        yield child
    finally:
        if graceful:
            child.stop()
        else:
            child.kill()


@contextmanager
def chatwait_server(
    workdir: Path, database_url: str, *, port: int | None = None, **settings: object
) -> Iterator[ChildServer]:
    """`chatwait` serving on 127.0.0.1 with this database and `settings` (env names)."""
    defaults = {
        "CHATWAIT_UI": "false",
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "INFO",
        "PROVIDER_TIMEOUT_SECONDS": "5",
        **FAST_SIM_ENV,
    }
    child = launch_chatwait(workdir, port=port, **{**defaults, **settings})
    with supervised(child) as ready:
        yield ready


@contextmanager
def sim_server(
    workdir: Path,
    *,
    ttft_ms: float = 5,
    tokens_per_second: float = 400,
    answer_tokens: int = 24,
) -> Iterator[ChildServer]:
    """`chatwait sim` alone: the offline provider as a separate upstream process."""
    port = free_port()
    argv = [
        str(CHATWAIT),
        "sim",
        "--port",
        str(port),
        "--ttft-ms",
        str(ttft_ms),
        "--tokens-per-second",
        str(tokens_per_second),
        "--answer-tokens",
        str(answer_tokens),
    ]
    child = launch(argv, name="sim", workdir=workdir, port=port, env={})
    with supervised(child, ready_path="/v1/models") as ready:
        yield ready
