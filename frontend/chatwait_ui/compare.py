"""Chainlit glue for comparing: the blind toggle, votes and reveals, the leaderboard page,
export and share of the current conversation.

The blind toggle is a persistent command button in the composer: while it is on, every
message starts a blind turn. The vote bar under a finished blind turn (`AgentPanes.jsx`)
calls the `blind_vote` action; the panes are re-rendered in place with the turn as the
vote (or reveal) returns it, named.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import chainlit as cl
from chainlit.types import CommandDict

from .api import ApiClient, ApiError
from .blind import vote_notice
from .chat import ASSISTANT, PaneRenderer
from .history import turn_step_ids
from .leaderboard import leaderboard_props, parse_request
from .turn_view import TurnView

__all__ = [
    "BLIND_COMMAND",
    "COMPARE_COMMANDS",
    "handle_compare_command",
    "handle_vote",
    "is_compare_command",
    "remember_turn",
    "turn_renderer",
]

logger = logging.getLogger(__name__)

BLIND_COMMAND = "blind"
LEADERBOARD_COMMAND = "leaderboard"
EXPORT_COMMAND = "export"
SHARE_COMMAND = "share"
UNSHARE_COMMAND = "unshare"


def _command(id_: str, icon: str, description: str, *, button: bool = False) -> CommandDict:
    return CommandDict(
        id=id_, icon=icon, description=description, button=button, persistent=button, selected=False
    )


COMPARE_COMMANDS: list[CommandDict] = [
    _command(BLIND_COMMAND, "eye-off", "Blind battle: answers as A, B until you vote", button=True),
    _command(LEADERBOARD_COMMAND, "trophy", "Leaderboard: ratings, intervals and cost"),
    _command(EXPORT_COMMAND, "download", "Export this conversation (markdown and JSON)"),
    _command(SHARE_COMMAND, "share-2", "Share a read-only link to this conversation"),
    _command(UNSHARE_COMMAND, "link-2-off", "Revoke this conversation's shared link"),
]
_HANDLED = {LEADERBOARD_COMMAND, EXPORT_COMMAND, SHARE_COMMAND, UNSHARE_COMMAND}


def is_compare_command(command: str | None) -> bool:
    """A command answered here instead of starting a turn (`blind` does start one)."""
    return command in _HANDLED


def remember_turn(view: TurnView, renderer: PaneRenderer) -> None:
    """Keep a turn's panes, so a vote, a regenerate or a fusion re-renders them in place."""
    if view.turn_id is None:
        return
    turns: dict[str, PaneRenderer] = cl.user_session.get("turn_panes") or {}
    turns[view.turn_id] = renderer
    cl.user_session.set("turn_panes", turns)


async def turn_renderer(api: ApiClient, turn_id: str) -> PaneRenderer:
    """This session's panes of the turn, or those history drew (their ids are stable)."""
    turns: dict[str, PaneRenderer] = cl.user_session.get("turn_panes") or {}
    if turn_id in turns:
        return turns[turn_id]
    view = TurnView(None)
    view.apply_turn(await api.turn(turn_id))
    _, answer, element = turn_step_ids(turn_id)
    renderer = PaneRenderer.existing(view, element_id=element, for_id=answer)
    remember_turn(view, renderer)
    return renderer


async def handle_vote(api: ApiClient, payload: Mapping[str, Any]) -> str:
    """Vote for a slot (`winner`), a tie or both bad, rank every slot (`ranking`, best
    first), or reveal without voting."""
    turn_id = str(payload.get("turn_id") or "")
    try:
        renderer = await turn_renderer(api, turn_id)
    except ApiError as exc:
        return f"Could not read the turn: {exc.message}"
    view, battle = renderer.view, renderer.view.battle
    if battle is None:
        return "This turn is not blind."
    battle.busy = True
    await renderer.render()
    try:
        if payload.get("reveal"):
            view.apply_turn(await api.reveal(turn_id))
            battle.notice = "Revealed without a vote (this turn can no longer be voted on)."
        else:
            ranking = payload.get("ranking")
            if isinstance(ranking, list):
                result = await api.vote(turn_id, ranking=[str(slot) for slot in ranking])
            else:
                result = await api.vote(turn_id, str(payload.get("winner") or ""))
            battle.voted = True
            view.apply_turn(result.get("turn") or await api.turn(turn_id))
            battle.notice = vote_notice(result)
    except ApiError as exc:
        battle.notice = exc.message
        if exc.status == 409:  # voted already (another tab): show the turn as it is now
            battle.voted = True
            try:
                view.apply_turn(await api.turn(turn_id))
            except ApiError:
                logger.warning("could not re-read turn %s after a refused vote", turn_id)
    finally:
        battle.busy = False
    await renderer.render()
    return battle.notice or ""


async def handle_compare_command(api: ApiClient, command: str, text: str) -> None:
    """Answer `leaderboard`, `export`, `share` or `unshare` with a message."""
    if command == LEADERBOARD_COMMAND:
        await _send_leaderboard(api, text)
        return
    conversation_id = cl.user_session.get("conversation_id")
    if not conversation_id:
        await _say("Nothing to export or share yet: send a message first.")
        return
    try:
        if command == EXPORT_COMMAND:
            await _send_export(api, conversation_id)
        elif command == SHARE_COMMAND:
            hide = "hide" in text.lower() or "no cost" in text.lower()
            url = await api.share(conversation_id, hide_costs=hide)
            costs = " Costs and tokens are hidden." if hide else ""
            await _say(
                f"Anyone with this link can read this conversation (read-only):{costs}\n\n"
                f"[{url}]({url})\n\nA new `share` replaces the link; `unshare` revokes it."
            )
        elif command == UNSHARE_COMMAND:
            await api.unshare(conversation_id)
            await _say("The shared link is revoked: it no longer opens.")
    except ApiError as exc:
        await _say(f"Could not {command} this conversation: {exc.message}")


async def _send_export(api: ApiClient, conversation_id: str) -> None:
    name = f"conversation-{conversation_id}"
    files = [
        cl.File(
            name=f"{name}.md",
            content=await api.export(conversation_id, "markdown"),
            mime="text/markdown",
            display="inline",
        ),
        cl.File(
            name=f"{name}.json",
            content=await api.export(conversation_id, "json"),
            mime="application/json",
            display="inline",
        ),
    ]
    await cl.Message(
        content="This conversation, every turn and every run with its metadata:",
        author=ASSISTANT,
        elements=list(files),
    ).send()


async def _send_leaderboard(api: ApiClient, text: str) -> None:
    scope, board = parse_request(text)
    try:
        props = leaderboard_props(
            await api.leaderboard(scope=scope, board=board), scope=scope, board=board
        )
    except ApiError as exc:
        props = leaderboard_props({}, scope=scope, board=board, notice=exc.message)
    element = cl.CustomElement(name="Leaderboard", props=props, display="inline")
    await cl.Message(content="", author=ASSISTANT, elements=[element]).send()


async def _say(content: str) -> None:
    await cl.Message(content=content, author=ASSISTANT).send()
