"""A thread reopened while its last turn still runs: follow that turn live.

Chainlit resumes a thread by sending the browser the `ThreadDict` the data layer built
from `GET /conversations/{id}`, so a running turn's panes arrive as a snapshot. Here a
background task attaches to the turn's stream (`GET /chat/streaming/{turn_id}` from the
start: `TurnView` shows nothing twice) and updates the very element history drew (same
id, same message), coalesced like a live turn, then shows the turn as stored. It is the
session's `ActiveTurn` and current task, so the stop button cancels it like a live turn.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

import chainlit as cl

from .api import ApiClient, ApiError
from .chat import ActiveTurn, PaneRenderer
from .coalesce import Coalescer
from .history import running_turn
from .stream import follow_to_end
from .turn_view import TurnView

__all__ = ["follow_reopened_turn"]

logger = logging.getLogger(__name__)

_THREAD_SENT_TIMEOUT = 30.0
"""Seconds to wait for Chainlit to finish resuming before streaming anyway."""


def follow_reopened_turn(api: ApiClient, thread: Mapping[str, Any]) -> asyncio.Task[None] | None:
    """From `on_chat_resume`: follow the thread's running turn in the background, if any.

    Never raises: a turn that cannot be followed keeps showing its snapshot.
    """
    try:
        found = running_turn(thread)
        if found is None:
            return None
        view = TurnView("streaming")
        view.turn_id, view.conversation_id = found.turn_id, str(thread["id"])
        renderer = PaneRenderer.existing(
            view, element_id=found.element_id, for_id=found.answer_step_id
        )
        task = asyncio.create_task(_follow(api, renderer, resuming=asyncio.current_task()))
        cl.user_session.set("active", ActiveTurn(view, renderer, found.message, task))
        cl.context.session.current_task = task  # what Chainlit's stop button cancels
    except Exception:
        logger.exception("could not follow the running turn of thread %s", thread.get("id"))
        return None
    return task


async def _follow(
    api: ApiClient, renderer: PaneRenderer, *, resuming: asyncio.Task[Any] | None
) -> None:
    """Wait until Chainlit has sent the thread, then stream the turn into its panes."""
    if resuming is not None:
        # Chainlit sends the thread (with the snapshot) once the task running
        # `on_chat_resume` goes on; an update sent before would be overwritten by it.
        await asyncio.wait([resuming], timeout=_THREAD_SENT_TIMEOUT)
    emitter = cl.context.emitter
    await emitter.task_start()  # shows the stop button
    try:
        await _stream_to_end(api, renderer)
    finally:
        await emitter.task_end()


async def _stream_to_end(api: ApiClient, renderer: PaneRenderer) -> None:
    view = renderer.view
    turn_id = str(view.turn_id)
    try:
        view.apply_turn(await api.turn(turn_id))  # runs already over keep their stored text
        async with Coalescer(renderer.render) as coalescer:
            await follow_to_end(api, view, on_event=coalescer.mark)
    except ApiError as exc:
        view.fail(exc.message)
    except Exception as exc:  # a background task: nobody else would report it
        logger.exception("following reopened turn %s failed", turn_id)
        view.fail(f"Lost the live answer: {exc}")
    await renderer.render()
