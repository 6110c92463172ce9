"""Settings that change behaviour: CORS origins, the run wall clock, tracing export."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest

from tests.support.app import running_app


def test_cors_allows_configured_origins_only(tmp_path: Path) -> None:
    with running_app(tmp_path, CORS_ORIGINS=["http://ui.example"]) as (url, _):
        headers = {"Origin": "http://ui.example", "Access-Control-Request-Method": "POST"}
        allowed = httpx.options(f"{url}/chat/wait", headers=headers)
        assert allowed.headers["access-control-allow-origin"] == "http://ui.example"
        other = httpx.get(f"{url}/healthz", headers={"Origin": "http://evil.example"})
        assert "access-control-allow-origin" not in other.headers


def test_run_wall_clock_ends_a_hanging_run_as_timeout(tmp_path: Path) -> None:
    # the healthy run is a 5-token answer at once: well inside the limit even on a busy box
    with running_app(
        tmp_path,
        RUN_TIMEOUT_SECONDS=3.0,
        PROVIDER_TIMEOUT_SECONDS=60.0,
        SIM_TTFT_MS=0,
        SIM_TOKENS_PER_SECOND=1000,
        SIM_ANSWER_TOKENS=5,
    ) as (url, _):
        body = httpx.post(
            f"{url}/chat/wait",
            json={
                "message": "hang",
                "agents": ["offline", "offline-2"],
                "models": {"offline-2": "fault-hang"},
            },
            timeout=30,
        ).json()
        healthy, hung = body["runs"]
        assert healthy["status"] == "done"
        assert hung["status"] == "timeout" and hung["error"]["code"] == "timeout"
        assert hung["latency_ms"] >= 3000


def test_no_tracing_export_warning_without_a_key(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="openai.agents")
    with running_app(tmp_path) as (url, _):
        response = httpx.post(f"{url}/chat/wait", json={"message": "trace?"}, timeout=30)
        assert response.status_code == 200
    assert not [r for r in caplog.records if r.name.startswith("openai.agents")]
