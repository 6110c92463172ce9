"""Serve the offline provider alone (`chatwait sim`), e.g. for benchmarks."""

from __future__ import annotations

import uvicorn

from chatwait.sim._app import create_sim_app
from chatwait.sim._config import SimConfig

_GRACEFUL_SHUTDOWN_SECONDS = 5


def run(host: str, port: int, config: SimConfig) -> None:
    """Serve until interrupted (blocking).

    The access log is off: benchmarks open thousands of streams and each log line costs
    CPU the load generator needs. A bounded graceful shutdown stops a Ctrl+C from
    waiting on minute-long paced streams.
    """
    server_config = uvicorn.Config(
        create_sim_app(config),
        host=host,
        port=port,
        lifespan="off",
        access_log=False,
        timeout_graceful_shutdown=_GRACEFUL_SHUTDOWN_SECONDS,
        backlog=4096,
    )
    uvicorn.Server(server_config).run()
