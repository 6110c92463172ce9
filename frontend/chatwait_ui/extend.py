"""Chainlit glue for the Regenerate and Fuse buttons under an ended turn.

A click (`turn_regenerate` / `turn_fuse` actions from `AgentPanes.jsx`) asks the backend
for a new run in the same turn; its 202 names the run and the seq its events follow
(`after`). The new pane shows at once, and a background task follows the turn's stream
after that seq (`follow_to_end`: the resuming follower of a live turn) into the very
panes element, until the next `turn_done`. It is the session's `ActiveTurn` and current
task, so the stop button cancels the added run like a live turn. A refusal (409 while
the turn runs, 429 limits, 422) is shown under the buttons; nothing already shown changes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import chainlit as cl

from .api import ApiClient, ApiError
from .chat import ActiveTurn, PaneRenderer, fuse_agents
from .coalesce import Coalescer
from .compare import turn_renderer
from .stream import follow_to_end
from .turn_actions import FUSE_STRATEGIES
from .turn_view import TurnView
from .usage import refusal_text
from .usage_panel import show_usage

__all__ = ["handle_fuse", "handle_regenerate"]

logger = logging.getLogger(__name__)

Start = Callable[[], Awaitable[dict[str, Any]]]
AddPane = Callable[[TurnView, Mapping[str, Any]], None]


async def handle_regenerate(api: ApiClient, payload: Mapping[str, Any]) -> str:
    """Regenerate one run: a new run of the same agent and model, shown as a new pane."""
    turn_id, run_id = str(payload.get("turn_id") or ""), str(payload.get("run_id") or "")

    def add_pane(view: TurnView, started: Mapping[str, Any]) -> None:
        old = view.panes.get(run_id)
        view.add_run(
            str(started["run_id"]),
            agent=old.agent if old else "",
            model=old.model if old else "",
            provider=old.provider if old else "",
            retry_of=run_id,
            after=int(started.get("after") or 0),
        )

    return await _add_run(api, turn_id, lambda: api.retry(turn_id, run_id), add_pane)


async def handle_fuse(api: ApiClient, payload: Mapping[str, Any]) -> str:
    """Fuse the turn's answers with one agent (`merge` or `critique`) into a new pane.

    Without an agent in the payload (a turn whose panes name none, the session's agents
    unknown), the first agent the user has chosen fuses.
    """
    turn_id = str(payload.get("turn_id") or "")
    strategy = str(payload.get("strategy") or FUSE_STRATEGIES[0][0])
    agent = str(payload.get("agent") or next(iter(fuse_agents(cl.user_session.get("choices"))), ""))
    if not agent:
        return "No agent to fuse with: enable one in the settings."

    def add_pane(view: TurnView, started: Mapping[str, Any]) -> None:
        fusion = started.get("fusion")
        view.add_run(
            str(started["run_id"]),
            agent=agent,
            fusion=fusion if isinstance(fusion, Mapping) else {"strategy": strategy},
            after=int(started.get("after") or 0),
        )

    def start() -> Awaitable[dict[str, Any]]:
        return api.fuse(turn_id, agent=agent, strategy=strategy)

    return await _add_run(api, turn_id, start, add_pane)


async def _add_run(api: ApiClient, turn_id: str, start: Start, add_pane: AddPane) -> str:
    """Ask for the run; on its 202 show its pane and follow it in the background."""
    try:
        renderer = await turn_renderer(api, turn_id)
    except ApiError as exc:
        return f"Could not read the turn: {exc.message}"
    view = renderer.view
    if not view.actions.agents:
        view.actions.agents = fuse_agents(cl.user_session.get("choices"))
    view.actions.busy, view.actions.notice = True, None
    await renderer.render()
    try:
        started = await start()
    except ApiError as exc:
        view.actions.busy = False
        view.actions.notice = refusal_text(exc) if exc.status == 429 else exc.message
        await renderer.render()
        return view.actions.notice
    add_pane(view, started)
    view.mode = view.mode or "streaming"
    await renderer.render()
    task = asyncio.create_task(_follow_added_run(api, renderer))
    cl.user_session.set("active", ActiveTurn(view, renderer, "", task))
    cl.context.session.current_task = task  # what Chainlit's stop button cancels
    return ""


async def _follow_added_run(api: ApiClient, renderer: PaneRenderer) -> None:
    """Stream the added run into the turn's panes, then show the turn as stored."""
    view, emitter = renderer.view, cl.context.emitter
    turn_id = str(view.turn_id)
    await emitter.task_start()  # shows the stop button
    try:
        async with Coalescer(renderer.render) as coalescer:
            await follow_to_end(api, view, on_event=coalescer.mark)
    except ApiError as exc:
        view.actions.notice = f"Lost the new answer's stream: {exc.message}"
        await _reread(api, view)
    except Exception as exc:  # a background task: nobody else would report it
        logger.exception("following the added run of turn %s failed", turn_id)
        view.actions.notice = f"Lost the new answer's stream: {exc}"
    finally:
        view.actions.busy = False
        await renderer.render()
        await emitter.task_end()
        await show_usage(api)  # the added run counted like a turn


async def _reread(api: ApiClient, view: TurnView) -> None:
    """Show the turn as the backend stored it, if it can be read."""
    try:
        view.apply_turn(await api.turn(str(view.turn_id)))
    except ApiError:
        logger.warning("could not re-read turn %s", view.turn_id)
