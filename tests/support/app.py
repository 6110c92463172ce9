"""The real ChatWait app on a real socket, with the offline provider it mounts."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from chatwait.api import create_app
from chatwait.config import Settings
from tests.support.databases import throwaway_database
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
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@contextmanager
def running_app(directory: Path, **overrides: Any) -> Iterator[tuple[str, Settings]]:
    """Serve ChatWait on a free port; yield (base URL, settings)."""
    port = free_port()
    with throwaway_database(directory) as database_url:
        settings = test_settings(directory, database_url, port, **overrides)
        with serve_in_thread(create_app(settings), port=port) as base_url:
            yield base_url, settings
