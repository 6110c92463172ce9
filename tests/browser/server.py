"""Start the real app (`uv run chatwait`) in a subprocess, as a user would.

The subprocess gets a clean environment: no provider keys (so the offline agents are
the defaults), no database or Redis URL (SQLite in a temp data dir), and none of the
Chainlit variables the test process may have set. It runs from the temp dir so a
developer's `.env` does not leak in.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.support.servers import free_port

REPO = Path(__file__).resolve().parents[2]
_INHERITED_BLOCKLIST = (
    "CHAINLIT_",
    "CHATWAIT_",
    "SIM_",
    "OPENAI_",
    "GEMINI_",
    "DATABASE_URL",
    "REDIS_URL",
    "COMPATIBLE_PROVIDERS",
    "DEFAULT_AGENTS",
    "OFFLINE_",
)


@dataclass(frozen=True)
class Server:
    url: str
    data_dir: Path
    log: Path
    process: subprocess.Popen[bytes]


def _environment(data_dir: Path, overrides: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_INHERITED_BLOCKLIST)}
    env.update({"CHATWAIT_DATA_DIR": str(data_dir), "LOG_LEVEL": "WARNING", **overrides})
    return env


def _wait_until_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Poll `/healthz` (observable readiness); fail fast if the process dies."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"chatwait exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"chatwait did not become healthy:\n{log.read_text()}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group this helper started, SIGKILL if it will not go."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@contextmanager
def chatwait_server(workdir: Path, **overrides: str) -> Iterator[Server]:
    """`uv run chatwait --host 127.0.0.1 --port <free>` until the block exits."""
    port = free_port()
    data_dir = workdir / "data"
    log = workdir / "server.log"
    command = [
        "uv", "run", "--no-sync", "--project", str(REPO),
        "chatwait", "--host", "127.0.0.1", "--port", str(port),
    ]  # fmt: skip
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command,
            cwd=workdir,
            env=_environment(data_dir, overrides),
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_until_healthy(url, process, log)
            yield Server(url=url, data_dir=data_dir, log=log, process=process)
        finally:
            _stop(process)
