"""Chainlit glue: the composer's mode picker, the agent settings, and running a turn.

Everything that decides *what* the panes show lives in `turn_view.py`; this module only
moves data between the backend (`ApiClient`), the state (`TurnView`) and Chainlit
(one assistant message per turn carrying one inline `AgentPanes` element).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import chainlit as cl
from chainlit.input_widget import InputWidget, Select, Switch

from .api import ApiClient, ApiError, new_idempotency_key
from .bindings import bindings
from .choices import AGENT_PREFIX, METADATA_KEY, MODEL_PREFIX, AgentInfo, Choices, parse_models
from .coalesce import Coalescer
from .history import ELEMENT_NAME, ELEMENT_URL
from .stream import follow_turn, parse_event
from .turn_view import TurnView
from .usage import refusal_text, usage_markdown
from .usage_panel import show_usage

__all__ = [
    "MODE_ID",
    "ActiveTurn",
    "PaneRenderer",
    "bind_conversation",
    "current_choices",
    "fuse_agents",
    "load_agents",
    "mode_picker",
    "remember_choices",
    "run_turn",
    "send_controls",
    "send_usage",
    "settings_widgets",
    "stop_turn",
]

logger = logging.getLogger(__name__)

MODE_ID = "mode"
ASSISTANT = "ChatWait"


def mode_picker(selected: str) -> cl.Mode:
    """The Streaming/Wait picker shown in the composer."""
    return cl.Mode(
        id=MODE_ID,
        name="Mode",
        options=[
            cl.ModeOption(
                id="streaming",
                name="Streaming",
                description="Watch every agent answer live, side by side.",
                icon="activity",
                default=selected == "streaming",
            ),
            cl.ModeOption(
                id="wait",
                name="Wait",
                description="Wait for all final answers; they arrive together.",
                icon="hourglass",
                default=selected == "wait",
            ),
        ],
    )


def settings_widgets(agents: Sequence[AgentInfo], choices: Choices) -> list[InputWidget]:
    """One on/off switch and one model select per agent; unavailable ones say why,
    configured ones which tools they have."""
    values = choices.settings_values(agents)
    widgets: list[InputWidget] = []
    for agent in agents:
        widgets.append(
            Switch(
                id=AGENT_PREFIX + agent.name,
                label=f"{agent.name} ({agent.provider})",
                initial=values[AGENT_PREFIX + agent.name],
                disabled=not agent.available,
                description=agent.description(),
            )
        )
        if agent.models:
            widgets.append(
                Select(
                    id=MODEL_PREFIX + agent.name,
                    label=f"{agent.name} model",
                    values=list(agent.models),
                    initial_value=values[MODEL_PREFIX + agent.name],
                    disabled=not agent.available or len(agent.models) < 2,
                )
            )
    return widgets


async def load_agents(api: ApiClient) -> tuple[list[AgentInfo], list[str]]:
    """`GET /models`, kept in the session; on failure tell the user and offer nothing."""
    try:
        agents, defaults = parse_models(await api.models())
    except ApiError as exc:
        await cl.ErrorMessage(content=f"Could not list agents: {exc.message}").send()
        agents, defaults = [], []
    cl.user_session.set("agents", agents)
    cl.user_session.set("default_agents", defaults)
    return agents, defaults


async def send_controls(agents: list[AgentInfo], choices: Choices) -> None:
    """Show the agent settings and the mode picker with these choices selected."""
    if agents:
        await cl.ChatSettings(settings_widgets(agents, choices)).send()
    await cl.context.emitter.set_modes([mode_picker(choices.mode)])
    cl.user_session.set("choices", choices)


def fuse_agents(choices: Choices | None = None) -> list[str]:
    """The agents a turn's answers can be fused with: the chosen ones first, then every
    other available agent."""
    agents: list[AgentInfo] = cl.user_session.get("agents") or []
    available = [agent.name for agent in agents if agent.available]
    chosen = [name for name in (choices.agents if choices else []) if name in available]
    return list(dict.fromkeys([*chosen, *available]))


def current_choices(mode: str | None) -> Choices:
    """The choices for the next turn: the settings as they are now, this message's mode."""
    agents: list[AgentInfo] = cl.user_session.get("agents") or []
    remembered: Choices = cl.user_session.get("choices") or Choices()
    settings = cl.context.session.chat_settings or {}
    if agents and any(key.startswith(AGENT_PREFIX) for key in settings):
        choices = Choices.from_settings(settings, agents, mode or remembered.mode)
    else:
        choices = Choices(mode or remembered.mode, remembered.agents, remembered.models)
    if not choices.agents:
        fallback = Choices.defaults(agents, cl.user_session.get("default_agents") or [])
        choices = Choices(choices.mode, fallback.agents, fallback.models)
    cl.user_session.set("choices", choices)
    return choices


async def remember_choices(api: ApiClient, choices: Choices) -> None:
    """Store the choices in the conversation's metadata when they changed."""
    conversation_id = cl.user_session.get("conversation_id")
    saved = cl.user_session.get("saved_choices")
    if not conversation_id or saved == choices.to_metadata():
        return
    try:
        await api.merge_metadata(conversation_id, {METADATA_KEY: choices.to_metadata()})
        cl.user_session.set("saved_choices", choices.to_metadata())
    except ApiError as exc:
        logger.warning("could not remember choices for %s: %s", conversation_id, exc.message)


def bind_conversation(conversation_id: str | None) -> None:
    """Adopt the backend's conversation id as this session's thread id (`bindings.py`)."""
    if not conversation_id:
        return
    session = cl.context.session
    cl.user_session.set("conversation_id", conversation_id)
    placeholder = session.thread_id
    if placeholder != conversation_id:
        session.thread_id = conversation_id
        if bindings.is_pending(placeholder):
            bindings.resolve(placeholder, conversation_id)


class PaneRenderer:
    """The inline `AgentPanes` element that shows a `TurnView`."""

    def __init__(self, view: TurnView, element: cl.CustomElement | None = None) -> None:
        self.view = view
        if element is None:
            element = cl.CustomElement(
                name=ELEMENT_NAME, props=view.to_props(), display="inline", url=ELEMENT_URL
            )
        self.element = element

    @classmethod
    def existing(cls, view: TurnView, *, element_id: str, for_id: str) -> PaneRenderer:
        """Render into panes already on the page (a reopened thread's): same ids."""
        element = cl.CustomElement(
            id=element_id,
            for_id=for_id,
            name=ELEMENT_NAME,
            props=view.to_props(),
            display="inline",
            url=ELEMENT_URL,
        )
        return cls(view, element)

    async def send(self) -> None:
        """Show the panes in a new assistant message."""
        await cl.Message(content="", author=ASSISTANT, elements=[self.element]).send()

    async def render(self) -> None:
        self.element.props = self.view.to_props()
        await self.element.update()


@dataclass
class ActiveTurn:
    """The turn in flight, kept in the session so the stop button can reach it."""

    view: TurnView
    renderer: PaneRenderer
    message: str
    task: asyncio.Task[Any] | None
    body: dict[str, Any] | None = None
    """The start request, sent with `key`: sent again it attaches to the same turn."""
    key: str | None = None


async def run_turn(
    api: ApiClient, text: str, choices: Choices, *, blind: bool = False
) -> tuple[TurnView, PaneRenderer]:
    """Show the panes, run the turn in the chosen mode, bind the conversation.

    `blind`: the runs are labelled A, B, … and named only after the vote.
    """
    conversation_id = cl.user_session.get("conversation_id")
    body = choices.request(text, conversation_id)
    if blind:
        body["blind"] = True
    key = new_idempotency_key()
    view = TurnView(choices.mode, planned=choices.planned(), blind=blind)  # type: ignore[arg-type]
    view.actions.agents = fuse_agents(choices)
    renderer = PaneRenderer(view)
    await renderer.send()
    active = ActiveTurn(view, renderer, text, asyncio.current_task(), body, key)
    cl.user_session.set("active", active)
    if choices.mode == "wait":
        await _run_wait(api, active)
    else:
        await _run_streaming(api, active)
    return view, renderer


async def _run_streaming(api: ApiClient, active: ActiveTurn) -> None:
    view, renderer = active.view, active.renderer
    async with Coalescer(renderer.render) as coalescer:
        try:
            async for event in follow_turn(api, view, body=active.body, idempotency_key=active.key):
                if event.type == "turn_started":
                    bind_conversation(view.conversation_id)
                    await show_usage(api)  # the bars count it running, its tokens reserved
                coalescer.mark()
        except ApiError as exc:
            view.fail(_failure(exc))
    if view.has_gaps and view.turn_id:
        # Only a backend that broke its replay promise gets here: show the record.
        view.apply_turn(await api.turn(view.turn_id))
        await renderer.render()


async def _run_wait(api: ApiClient, active: ActiveTurn) -> None:
    """Start the turn, learn its ids, then wait for every answer.

    The turn is started as a stream named by the turn's `Idempotency-Key` and read up to
    `turn_started` (the ids the stop button and the thread need); the wait that follows
    carries the same key, so it attaches to that turn instead of starting another.
    """
    view, renderer = active.view, active.renderer
    try:
        await _learn_ids(api, active)
        bind_conversation(view.conversation_id)
        await show_usage(api)  # the bars count it running, its tokens reserved
        view.apply_turn(await api.wait(active.body or {}, idempotency_key=active.key, attempts=3))
        bind_conversation(view.conversation_id)
    except ApiError as exc:
        view.fail(_failure(exc))
    await renderer.render()


def _failure(exc: ApiError) -> str:
    """Why the turn did not run; a refused one (429) says when to retry."""
    return refusal_text(exc) if exc.status == 429 else exc.message


async def _learn_ids(api: ApiClient, active: ActiveTurn) -> None:
    """Start (or attach to) the active turn and read its `turn_started`."""
    stream = api.open_stream(body=active.body, idempotency_key=active.key)
    async with stream as source, contextlib.aclosing(source.aiter_sse()) as frames:
        async for sse in frames:
            event = parse_event(sse)
            if event is not None and event.type == "turn_started":
                active.view.apply(event)
                return
    raise ApiError("stream_lost", "The turn's stream closed before the turn started.")


async def stop_turn(api: ApiClient) -> None:
    """The stop button: cancel the turn on the backend, then show how each run ended.

    Chainlit has already cancelled the task running the turn, which only stops our
    reading; the runs go on in the backend until told otherwise.
    """
    active: ActiveTurn | None = cl.user_session.get("active")
    if active is None or active.view.finished:
        return
    if active.task is not None and not active.task.done():
        await asyncio.wait([active.task], timeout=5)
    view = active.view
    if view.turn_id is None and active.key is not None:
        # Stopped before the turn's ids arrived: the same key attaches to the turn the
        # start request began (or starts it, if it never arrived), so it can be cancelled.
        with contextlib.suppress(ApiError):
            await _learn_ids(api, active)
    turn_id = view.turn_id
    if turn_id is None:
        view.fail("Stopped before the backend started the turn.")
        await active.renderer.render()
        return
    try:
        await api.cancel(turn_id)
        async with Coalescer(active.renderer.render) as coalescer:
            async for _ in follow_turn(api, view):
                coalescer.mark()
        view.apply_turn(await api.turn(turn_id))
    except ApiError as exc:
        view.notice = f"Stop failed: {exc.message}"
    bind_conversation(view.conversation_id)
    await active.renderer.render()


async def send_usage(api: ApiClient) -> None:
    """Answer the `usage` command with the user's limits and usage."""
    try:
        content = usage_markdown(await api.usage())
    except ApiError as exc:
        content = f"Could not read your usage: {exc.message}"
    await cl.Message(content=content, author=ASSISTANT).send()
