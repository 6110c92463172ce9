"""A graceful stop closes the MCP servers: the Streamable HTTP session is ended, not dropped.

`chatwait serve` as a real process (SIGTERM as an orchestrator sends it), its config file
naming a Streamable HTTP test server that notes every session a client ends (the SDK's
client sends an HTTP DELETE for its session when it closes). A process that exits
without closing its servers leaves the session open on the server.
"""

from __future__ import annotations

import signal
from pathlib import Path

import httpx

from tests.support.processes import launch_chatwait, supervised

from ._support import http_server


def test_sigterm_ends_the_streamable_http_session_of_a_configured_server(
    tmp_path: Path,
) -> None:
    record = tmp_path / "terminations.txt"
    with http_server(tmp_path, tools="add", record=record) as remote:
        config = tmp_path / "chatwait.toml"
        config.write_text(
            f'[[mcp_servers]]\nname = "remote"\nurl = "{remote.base_url}/mcp"\n\n'
            '[[agents]]\nname = "remote"\nprovider = "offline"\nmodel = "offline-tools"\n'
            'mcp_servers = ["remote"]\n',
            encoding="utf-8",
        )
        child = launch_chatwait(
            tmp_path,
            CHATWAIT_CONFIG=config,
            CHATWAIT_UI="false",
            DATABASE_URL=f"sqlite+aiosqlite:///{(tmp_path / 'chatwait.db').as_posix()}",
        )
        with supervised(child) as server:
            models = httpx.get(f"{server.base_url}/models", timeout=30).json()
            [remote_agent] = [a for a in models["agents"] if a["name"] == "remote"]
            assert remote_agent["mcp_servers"][0]["up"] is True
            assert not record.exists(), "no session ended while serving"
            server.terminate()
            assert server.wait_exit(60) in (0, -signal.SIGTERM)  # uvicorn re-raises it
        lines = record.read_text(encoding="utf-8").splitlines()
    [ended] = lines
    assert ended.startswith("DELETE ") and len(ended) > len("DELETE "), lines
