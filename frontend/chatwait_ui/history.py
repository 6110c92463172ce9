"""Conversations (backend) → Chainlit threads, steps and elements (plain dicts).

Pure (no Chainlit import) so the mapping is unit-tested on its own. Each turn becomes a
`user_message` step, an empty `assistant_message` step, and one inline `AgentPanes`
custom element attached to it that holds every run's pane, exactly as a live turn is
shown. Ids are derived from the turn id (uuid5), so reopening a thread twice yields the
same ids.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .turn_view import TERMINAL_STATUSES, TurnView

__all__ = [
    "ELEMENT_NAME",
    "ELEMENT_URL",
    "RunningTurn",
    "panes_element",
    "running_turn",
    "thread_from_conversation",
    "thread_summary",
    "turn_step_ids",
]

ELEMENT_NAME = "AgentPanes"
"""The custom element: `public/elements/AgentPanes.jsx`."""
ELEMENT_URL = f"/public/elements/{ELEMENT_NAME}.jsx"
"""Given as the element's url so Chainlit does not write its props to a file per update."""
_NAMESPACE = uuid.UUID("5b0c7f5e-3a57-4c36-9f0e-8f5a3c1d2e47")
_PARTS = ("user", "answer", "panes")


def turn_step_ids(turn_id: str) -> tuple[str, str, str]:
    """Stable (user step, assistant step, panes element) ids for a turn."""
    user, answer, panes = (uuid.uuid5(_NAMESPACE, f"{turn_id}:{part}") for part in _PARTS)
    return str(user), str(answer), str(panes)


def panes_element(
    props: Mapping[str, Any], *, element_id: str, for_id: str, thread_id: str
) -> dict[str, Any]:
    """An `ElementDict` for the panes of one turn."""
    return {
        "id": element_id,
        "threadId": thread_id,
        "type": "custom",
        "name": ELEMENT_NAME,
        "display": "inline",
        "url": ELEMENT_URL,
        "chainlitKey": None,
        "objectKey": None,
        "size": None,
        "language": None,
        "page": None,
        "autoPlay": None,
        "playerConfig": None,
        "props": dict(props),
        "forId": for_id,
        "mime": "application/json",
    }


def thread_summary(
    conversation: Mapping[str, Any], *, user_id: str, user_identifier: str
) -> dict[str, Any]:
    """A sidebar entry (`ThreadDict` without steps) for a conversation summary.

    `createdAt` is the conversation's last activity: the sidebar groups threads by it
    ("Today", "Previous 7 days"), and the backend lists them newest-updated first.
    """
    return {
        "id": str(conversation["id"]),
        "createdAt": str(conversation.get("updated_at") or conversation.get("created_at") or ""),
        "name": conversation.get("title") or "Untitled conversation",
        "userId": user_id,
        "userIdentifier": user_identifier,
        "tags": [],
        "metadata": dict(conversation.get("metadata") or {}),
        "steps": [],
        "elements": [],
    }


def thread_from_conversation(
    conversation: Mapping[str, Any], *, user_id: str, user_identifier: str
) -> dict[str, Any]:
    """A full `ThreadDict`: every turn as user step + assistant step + panes element."""
    thread = thread_summary(conversation, user_id=user_id, user_identifier=user_identifier)
    thread["createdAt"] = str(conversation.get("created_at") or thread["createdAt"])
    steps: list[dict[str, Any]] = []
    elements: list[dict[str, Any]] = []
    for turn in conversation.get("turns") or []:
        user_step, answer_step, element_id = turn_step_ids(str(turn["turn_id"]))
        created = str(turn.get("created_at") or thread["createdAt"])
        common = {"threadId": thread["id"], "createdAt": created, "start": created}
        steps.append(
            {
                **common,
                "id": user_step,
                "name": user_identifier,
                "type": "user_message",
                "output": str(turn.get("message") or ""),
                "metadata": {},
            }
        )
        steps.append(
            {
                **common,
                "id": answer_step,
                "name": "ChatWait",
                "type": "assistant_message",
                "output": "",
                "metadata": {"turn_id": turn["turn_id"]},
            }
        )
        view = TurnView(mode=None)
        view.apply_turn(turn)
        elements.append(
            panes_element(
                view.to_props(), element_id=element_id, for_id=answer_step, thread_id=thread["id"]
            )
        )
    thread["steps"] = steps
    thread["elements"] = elements
    return thread


@dataclass(frozen=True)
class RunningTurn:
    """A turn of a reopened thread that has not finished: where its panes are shown."""

    turn_id: str
    message: str
    answer_step_id: str
    element_id: str


def running_turn(thread: Mapping[str, Any]) -> RunningTurn | None:
    """The latest turn of a thread built here whose panes show it unfinished, if any.

    Only panes elements with the ids `thread_from_conversation` gave them count, so a
    live update of that element replaces the snapshot in place.
    """
    messages = {step.get("id"): step.get("output") for step in thread.get("steps") or []}
    for element in reversed(thread.get("elements") or []):
        props = element.get("props") or {}
        turn_id = props.get("turnId")
        if element.get("name") != ELEMENT_NAME or not turn_id:
            continue
        if props.get("status") in TERMINAL_STATUSES:
            continue
        user_step, answer_step, element_id = turn_step_ids(str(turn_id))
        if (element.get("id"), element.get("forId")) != (element_id, answer_step):
            continue
        message = str(messages.get(user_step) or "")
        return RunningTurn(str(turn_id), message, answer_step, element_id)
    return None
