"""`run()` as `chatwait sim` uses it: a real process that serves and stops on SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import sys

import httpx

from tests.support.eventually import eventually
from tests.support.servers import free_port

from ._support import conversation

_SERVE = (
    "import sys\n"
    "from chatwait.sim import SimConfig, run\n"
    "run('127.0.0.1', int(sys.argv[1]), SimConfig(ttft_ms=0, answer_tokens=5))\n"
)


def _wait_until_serving(url: str, process: subprocess.Popen[bytes]) -> None:

    def serving() -> bool:
        assert process.poll() is None, "sim server exited"
        return httpx.get(f"{url}/models", timeout=1).status_code == 200

    eventually(
        serving, timeout=20, message="sim server did not start", ignoring=(httpx.TransportError,)
    )


def test_run_serves_until_sigterm() -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/v1"
    process = subprocess.Popen([sys.executable, "-c", _SERVE, str(port)])
    try:
        _wait_until_serving(url, process)
        answer = httpx.post(
            f"{url}/chat/completions",
            json={"model": "offline-1", "messages": conversation("Hello?")},
            headers={"authorization": "Bearer anything"},
            timeout=10,
        )
        assert answer.json()["usage"]["completion_tokens"] == 5
        process.send_signal(signal.SIGTERM)
        # uvicorn re-raises the signal it handled once shutdown is complete.
        assert process.wait(timeout=20) in (0, -signal.SIGTERM)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
