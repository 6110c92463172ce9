"""ChatWait's unchanged CLI with wall-clock stamps on a streamed turn's start-up path.

Run by `bench.experiments.start_path` as the server module (`chatwait_server(module=...)`).
Each stamp is the first time in a turn that its point was reached, in ms from
`TurnService.start`; one JSON line per turn goes to `$START_PATH_OUT` once the turn's
first text frame has been written. Turns must run one at a time (the stamps are kept for
the current turn only).
"""

from __future__ import annotations

import functools
import json
import os
import time
from collections.abc import Callable
from typing import Any

from chatwait.api import sse_response
from chatwait.providers.fast import _http
from chatwait.store import turn_rows
from chatwait.turns import live, live_run, service

_OUT = open(os.environ["START_PATH_OUT"], "a")  # noqa: SIM115 - the server's lifetime
_stamps: dict[str, float] = {}


def _stamp(name: str) -> None:
    _stamps.setdefault(name, time.perf_counter())


def _around(owner: Any, name: str, before: str | None, after: str | None) -> None:
    original: Callable[..., Any] = getattr(owner, name)

    @functools.wraps(original)
    async def stamped(*args: Any, **kwargs: Any) -> Any:
        if before:
            _stamp(before)
        try:
            return await original(*args, **kwargs)
        finally:
            if after:
                _stamp(after)

    setattr(owner, name, stamped)


def _install() -> None:
    start = service.TurnService.start

    async def started(self: Any, *args: Any, **kwargs: Any) -> Any:
        _stamps.clear()
        _stamp("start")
        return await start(self, *args, **kwargs)

    service.TurnService.start = started  # type: ignore[method-assign]
    _around(service.TurnService, "_admit", None, "admitted")
    _around(_http.StreamTransport, "open", "request out", "response headers in")
    _around(turn_rows, "insert_turn", "rows insert begins", None)
    _around(live.LiveTurn, "open", "rows committed", "turn_started logged")
    _around(live_run.LiveRun, "emit_text", "first text from the provider", None)
    send = sse_response.TurnEventStream._send

    async def sent(self: Any, asgi_send: Any, message: Any) -> None:
        await send(self, asgi_send, message)
        first = "first text from the provider" in _stamps and "first text sent" not in _stamps
        if message.get("type") == "http.response.body" and first:
            _stamp("first text sent")
            base = _stamps["start"]
            row = {k: round((v - base) * 1000, 3) for k, v in _stamps.items()}
            _OUT.write(json.dumps(row) + "\n")
            _OUT.flush()

    sse_response.TurnEventStream._send = sent  # type: ignore[method-assign]


_install()

if __name__ == "__main__":
    from chatwait.cli import main

    main()
