"""Child processes of a benchmark (offline provider, ChatWait) and what /proc says of them.

Each server runs in a process of its own, started with `sys.executable -m chatwait.cli`
(not `uv run`, whose pid would be uv's, not the server's), so its CPU time and memory are
read straight from `/proc/<pid>`: nothing is added to the product to observe it.
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
START_TIMEOUT_S = 30.0


def raise_fd_limit() -> int:
    """Raise RLIMIT_NOFILE to its hard limit (1,000+ streams need 2+ fds each)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def free_port() -> int:
    """A loopback port that is free now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a whole process (all threads, dead ones included)."""
    with open(f"/proc/{pid}/stat", "rb") as f:
        fields = f.read().rsplit(b")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine spent busy (all cores, from /proc/stat)."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / CLOCK_TICKS


def rss_bytes(pid: int) -> int:
    """Resident memory now."""
    with open(f"/proc/{pid}/statm", "rb") as f:
        return int(f.read().split()[1]) * PAGE_SIZE


def peak_rss_bytes(pid: int) -> int:
    """Peak resident memory since start or since the last `reset_peak_rss`."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def reset_peak_rss(pid: int) -> bool:
    """Start a new peak-RSS window (`5` to clear_refs); False where the kernel refuses."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


@dataclass
class Server:
    """One child server: its process, where it listens, and its log file."""

    name: str
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.pid)

    def stop(self) -> None:
        """SIGINT (uvicorn's graceful stop), then SIGKILL after a bounded wait."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def _child_setup() -> None:
    raise_fd_limit()


def _wait_ready(server: Server, path: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    url = server.base_url + path
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            tail = server.log_path.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{server.name} exited with {server.process.returncode}:\n{tail}")
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2) as response:
            if response.status == 200:
                return
        time.sleep(0.05)
    server.stop()
    raise RuntimeError(f"{server.name} did not answer {url} within {START_TIMEOUT_S:g} s")


def _spawn(
    name: str, args: list[str], env: dict[str, str], workdir: Path, module: str = "chatwait.cli"
) -> Server:
    port = free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    log_path = workdir / f"{name}.log"
    log = log_path.open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", module, *args, "--port", str(port)],
        env={**os.environ, **env},
        cwd=workdir,
        stdout=log,
        stderr=subprocess.STDOUT,
        preexec_fn=_child_setup,  # noqa: PLW1509 - only setrlimit, no threads yet
    )
    log.close()
    return Server(name, process, port, log_path)


@contextlib.contextmanager
def sim_server(
    workdir: Path, *, ttft_ms: float, tokens_per_second: float, answer_tokens: int
) -> Iterator[Server]:
    """The offline provider alone, stamping each token with its send time."""
    args = [
        "sim",
        "--host",
        "127.0.0.1",
        "--ttft-ms",
        f"{ttft_ms:g}",
        "--tokens-per-second",
        f"{tokens_per_second:g}",
        "--answer-tokens",
        str(answer_tokens),
        "--stamp-tokens",
    ]
    server = _spawn("sim", args, {"LOG_LEVEL": "WARNING"}, workdir)
    try:
        _wait_ready(server, "/v1/models")
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def chatwait_server(
    workdir: Path,
    *,
    sim: Server,
    database_url: str = "",
    run_timeout_s: float = 600.0,
    module: str = "chatwait.cli",
    extra_env: dict[str, str] | None = None,
) -> Iterator[Server]:
    """ChatWait with its offline agents pointed at `sim` (`module`: a wrapper of its CLI)."""
    data_dir = workdir / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {
        "OFFLINE_BASE_URL": f"{sim.base_url}/v1",
        "CHATWAIT_UI": "false",
        "CHATWAIT_DATA_DIR": str(data_dir),
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "WARNING",
        "RUN_TIMEOUT_SECONDS": f"{run_timeout_s:g}",
        "PROVIDER_TIMEOUT_SECONDS": "120",
        # One user drives the whole load: per-user limits would refuse most of it.
        "LIMIT_TURNS_PER_MINUTE": "unlimited",
        "LIMIT_CONCURRENT_TURNS": "unlimited",
        **(extra_env or {}),
    }
    server = _spawn("chatwait", ["--host", "127.0.0.1"], env, workdir, module)
    try:
        _wait_ready(server, "/healthz")
        yield server
    finally:
        server.stop()
