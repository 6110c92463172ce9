"""Request dependencies as named `Annotated` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from chatwait.runtime import Runtime


async def get_runtime(request: Request) -> Runtime:
    """The app's runtime. `async def`: FastAPI runs a plain `def` dependency in its
    thread pool, a thread hop (and GIL handoff) on every request for an attribute read."""
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
