"""The real ChatWait app on a real socket, with the offline provider it mounts.

Set `CHATWAIT_TEST_REDIS_URL` (e.g. redis://127.0.0.1:6379/0) to serve every app with
the Redis event log and replica machinery (`REDIS_URL`) instead of the in-process log:
each app gets a key prefix of its own, and its keys are deleted when it stops.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from chatwait.api import create_app
from chatwait.config import Settings
from tests.support.databases import throwaway_database
from tests.support.processes import NO_TURN_LIMITS
from tests.support.servers import free_port, serve_in_thread

FAST_SIM = {"SIM_TTFT_MS": 5.0, "SIM_TOKENS_PER_SECOND": 400.0, "SIM_ANSWER_TOKENS": 24}


def test_settings(directory: Path, database_url: str, port: int, **overrides: Any) -> Settings:
    """Settings for a test server: no UI, no keys, a fast offline provider."""
    values: dict[str, Any] = {
        "CHATWAIT_DATA_DIR": str(directory),
        "CHATWAIT_PORT": port,
        "CHATWAIT_UI": False,
        "DATABASE_URL": database_url,
        "PROVIDER_TIMEOUT_SECONDS": 2.0,
        "RUN_TIMEOUT_SECONDS": 30.0,
        "LOG_LEVEL": "WARNING",
        **FAST_SIM,
        **NO_TURN_LIMITS,
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


REDIS_URL_ENV = "CHATWAIT_TEST_REDIS_URL"


@contextmanager
def running_app(directory: Path, **overrides: Any) -> Iterator[tuple[str, Settings]]:
    """Serve ChatWait on a free port; yield (base URL, settings)."""
    port = free_port()
    with throwaway_database(directory) as database_url, _redis_settings() as redis:
        settings = test_settings(directory, database_url, port, **{**redis, **overrides})
        with serve_in_thread(create_app(settings), port=port) as base_url:
            yield base_url, settings


@contextmanager
def _redis_settings() -> Iterator[dict[str, Any]]:
    """REDIS_URL and a fresh key prefix when `CHATWAIT_TEST_REDIS_URL` is set; keys go after."""
    url = os.environ.get(REDIS_URL_ENV)
    if not url:
        yield {}
        return
    import redis

    prefix = f"chatwait-test-{uuid.uuid4().hex[:12]}"
    try:
        yield {"REDIS_URL": url, "REDIS_KEY_PREFIX": prefix}
    finally:
        with redis.Redis.from_url(url) as client:
            keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
            if keys:
                client.delete(*keys)
