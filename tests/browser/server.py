"""Start the real app (the `chatwait` program `uv run chatwait` runs) with its UI on.

`tests.support.processes` gives it a clean environment (no provider keys, so the
offline agents are the defaults; no database or Redis URL, so SQLite in a temp data
dir; none of the Chainlit variables the test process may have set) and runs it from the
temp dir so a developer's `.env` does not leak in.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.processes import ChildServer, launch_chatwait, supervised


@contextmanager
def chatwait_server(workdir: Path, **overrides: str) -> Iterator[ChildServer]:
    """ChatWait with its UI until the block exits, then a graceful stop (SIGTERM)."""
    settings = {"CHATWAIT_UI": "true", "LOG_LEVEL": "WARNING", **overrides}
    child = launch_chatwait(workdir, **settings)
    with supervised(child, timeout=120, graceful=True) as ready:
        yield ready
